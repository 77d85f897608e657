import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { GraphQLError, getOperationAST } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import WebSocket, { WebSocketServer } from 'ws';
import { type Authenticated, resolveSignedIn } from '../auth/sessions.js';
import type { Limits } from '../config.js';
import { bearerToken, type Context, type InitialContext } from '../context.js';
import type { SqlRunner } from '../db/database.js';
import { isUnavailable } from '../errors.js';
import { callerKey, clientAddress } from '../limits/callers.js';
import { rateLimited } from '../limits/refusals.js';
import { CLOSE_TOO_MANY, SocketLimits } from '../limits/sockets.js';
import { LiveConnection } from '../live/connection.js';
import { type FanoutSink, internText, type SharedPayload, sharedPayload, withSharedPayload } from '../live/fanout.js';
import type { Lifecycle } from '../live/lifecycle.js';
import { flatText, inRequest, logger, requestIdFrom } from '../observability/log.js';
import { closeReason, handshakeRefusal } from './french.js';
import { refuseUpgrade, requestPath } from './http.js';
import { CLOSE_TRY_AGAIN_LATER, isUnavailableGraphQLError, unavailableError } from './unavailable.js';

/** The GraphQL path, shared by HTTP, SSE and graphql-ws. */
export const GRAPHQL_PATH = '/graphql';
const KEEP_ALIVE_MS = 15_000;
/**
 * How long a socket may wait before its connection_init (ms): graphql-ws' default, closed 4408 past it. Kept here
 * rather than by graphql-ws, whose timer (cleared, but held by its closure) stayed with each socket for its life.
 */
const CONNECTION_INIT_WAIT_MS = 3_000;
/** How late a keep-alive round may run (ms) and still judge sockets that have not answered. */
const KEEP_ALIVE_LATE_MS = 1_000;

/** graphql-ws receives Yoga's enveloped execute and subscribe through the root value. */
interface EnvelopedRoot {
  /** The operation's request id (the socket's, a dot, the operation's id): its log lines carry it. */
  reqId: string;
  execute: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;
  subscribe: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['subscribe']>>;
}

/** What graphql-ws' hooks see of a socket (`ctx.extra`). */
interface SocketExtra {
  socket: FanoutSocket;
  request: UpgradeRequest;
}

/**
 * What is kept of a socket's upgrade request for its life: the one header read (`x-request-id`) and the TCP socket
 * (its peer's address). Node's `IncomingMessage`, with every header of the handshake, was ~1.3 KB of each idle
 * subscriber (issue 11) and nothing read the rest.
 */
export interface UpgradeRequest {
  readonly headers: { readonly 'x-request-id'?: string | string[] | undefined };
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/**
 * The limits a client needs to know before it sends, in the `connection_ack` payload (`{ limits }`): a message past
 * `maxMessageBytes` closes the socket (1009) and would be sent again on every reconnect by graphql-ws' client, so
 * the web app never sends one (client/src/client.ts); a `pushSectionUpdate` update past `maxUpdateBytes` (decoded
 * bytes) is refused `UPDATE_TOO_LARGE`, so the editor marks such an edit refused without sending it.
 */
export interface SocketAckLimits {
  /** `WS_MAX_PAYLOAD_BYTES`: the largest message the socket reads, in bytes (UTF-8 JSON text). */
  maxMessageBytes: number;
  /**
   * The largest co-editing update pushed, in decoded bytes: `MAX_UPDATE_BYTES`, lowered if need be so that its
   * base64 (4/3) and the push's envelope fit in one message.
   */
  maxUpdateBytes: number;
}

/** The envelope of a `pushSectionUpdate` message around its base64 update (document, ids, JSON), in bytes, with room. */
export const PUSH_ENVELOPE_BYTES = 8 * 1024;

/** The limits `connection_ack` carries, from the server's settings (see `SocketAckLimits`). */
export function socketAckLimits(maxPayloadBytes: number, maxUpdateBytes: number): SocketAckLimits {
  const fitting = Math.floor(((maxPayloadBytes - PUSH_ENVELOPE_BYTES) * 3) / 4);
  return { maxMessageBytes: maxPayloadBytes, maxUpdateBytes: Math.max(0, Math.min(maxUpdateBytes, fitting)) };
}

/** What the app needs to stop the WebSocket side. */
export interface GraphqlWebSocket {
  server: WebSocketServer;
  /** Stops keep-alive, completes every operation and closes the sockets. */
  close(): Promise<void>;
}

/**
 * graphql-ws on the HTTP server's GraphQL path. Each operation runs through Yoga's envelop, so Yoga's plugins
 * and the request context apply exactly as over HTTP and SSE.
 */
export function attachGraphqlWs(
  http: Server,
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's server context type is the app's own; only getEnveloped is used.
  yoga: YogaServerInstance<any, Context>,
  sql: Pick<SqlRunner, 'query'>,
  lifecycle: Lifecycle,
  limits: Limits['ws'],
  maxJsonDepth: number,
  maxUpdateBytes: number,
): GraphqlWebSocket {
  const acknowledged = { limits: socketAckLimits(limits.maxPayloadBytes, maxUpdateBytes) };
  // graphql-ws on the same port and path: Yoga's envelop runs the operation, so plugins and context apply.
  // ws closes a socket whose message is past maxPayload with 1009 (its own default would be 100 MiB).
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, WebSocket: FanoutSocket });
  // Upgrades are routed here rather than by ws (`server` and `path`), whose refusals are English text/html: each is
  // the API's typed JSON refusal, in French, as on every other path.
  let closing = false;
  http.on('upgrade', (request, socket, head) => {
    const path = requestPath(request.url);
    if (path === null) return refuseUpgrade(socket, 400, 'Adresse de requête mal formée.');
    if (path !== GRAPHQL_PATH)
      return refuseUpgrade(socket, 404, `Aucun WebSocket à cette adresse : ouvrez-le sur ${GRAPHQL_PATH}.`);
    if (closing) return refuseUpgrade(socket, 503, 'Le serveur s’arrête : reconnectez-vous.');
    wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
  });
  // ws' own checks of the handshake (method, Upgrade, key, version…), answered by us once ws has found the fault.
  wsServer.on('wsClientError', (error, socket) => {
    const refusal = handshakeRefusal(error.message);
    const headers: Record<string, string> = /Version/.test(error.message) ? { 'Sec-WebSocket-Version': '13, 8' } : {};
    refuseUpgrade(socket, refusal.status, refusal.message, headers);
  });
  const socketLimits = new SocketLimits(limits, maxJsonDepth);
  const server = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    // The wait for connection_init is the transport's (`GraphqlWsSocket`): graphql-ws would keep its timer per socket.
    connectionInitWaitTimeout: Number.POSITIVE_INFINITY,
    // Authenticated once, in connection_init: a token that names no live session is refused (4403
    // Forbidden). Without a token the socket stays anonymous, and every operation but signIn is refused.
    // The session is kept for the socket's operations; the lifecycle ends it with the session.
    onConnect: async (ctx) => {
      const socket = ctx.extra.socket;
      const wiring = socket.wiring as GraphqlWsSocket;
      // graphql-ws' operations of the socket (before any operation: graphql-ws refuses one before connection_init
      // is acknowledged).
      wiring.ctx = ctx;
      const token = bearerToken({ connectionParams: ctx.connectionParams ?? {} });
      // The session and the viewer's memberships in one statement, shared by the sockets of the same token that
      // authenticate meanwhile or soon after (Lifecycle.authenticate); the memberships are kept for the socket's
      // queries and subscriptions unless a change of memberships is applied meanwhile (`epoch`, taken before the read).
      let epoch = lifecycle.accessEpoch;
      let signedIn: Authenticated | null = null;
      try {
        if (token !== null) ({ signedIn, epoch } = await lifecycle.authenticate(token, () => resolveSignedIn(sql, token)));
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        // The session cannot be read now: 1013 (the client retries), not 4500 (final) nor 4403 (not a refusal).
        tryAgainLater(socket, error);
        return false;
      }
      const session = signedIn?.session ?? null;
      if (token !== null && session === null) return false;
      // Sockets per member (per address when anonymous): past the limit this one is closed 4429.
      if (!socketLimits.admit(socket, callerKey({ session, clientAddress: clientAddress(ctx.extra.request) }))) return false;
      const connection = new LiveConnection('ws', session);
      // Closed with the socket (`onSocketClose`), or now if it already has.
      if (socket.readyState !== WebSocket.OPEN) connection.close();
      wiring.connection = connection;
      lifecycle.register(connection);
      if (signedIn) lifecycle.remember(connection, signedIn.memberships, epoch);
      // Acknowledged with the limits the client must keep to (`SocketAckLimits`).
      return acknowledged;
    },
    execute: (args) => {
      const root = args.rootValue as EnvelopedRoot;
      return inRequest(root.reqId, () => root.execute(args));
    },
    subscribe: async (args) => {
      const root = args.rootValue as EnvelopedRoot;
      return inRequestSteps(root.reqId, refusedAsError(await inRequest(root.reqId, () => root.subscribe(args))));
    },
    onSubscribe: async (ctx, id, payload) => {
      // Read before any await: graphql-ws calls this hook within the dispatch of the operation's message.
      const wiring = ctx.extra.socket.wiring;
      const socketOperations = wiring?.operations;
      const operation = socketOperations?.starting ?? new Operation();
      // Every operation still running on the socket counts, a completed one until its work has ended (its stream
      // released); this one is not counted yet: past the limit it is refused.
      if ((socketOperations?.size ?? 0) >= limits.maxOperationsPerSocket) {
        return [rateLimited('operationsPerSocket', 'Trop d’opérations en cours sur ce socket : terminez-en une d’abord.')];
      }
      // Flat (`flatText`): a subscription keeps it for its life, and a template literal is a rope.
      const reqId = flatText(`${wiring?.reqId ?? requestIdFrom(undefined)}.${id}`);
      // One copy of a query text that many subscriptions send alike (the payload is graphql-ws' message, kept with
      // the operation, and the context's `params`): ~200 B of each idle subscriber of the web app's selection.
      if (typeof payload.query === 'string') (payload as { query: string }).query = internText(payload.query);
      try {
        // Every field the operation's context will hold is in this literal from the start (the context's own unset,
        // typed so that a field added to Context must be added here), so the object keeps the fast layout V8 gives a
        // literal: Yoga adds the context factory's fields with Object.assign, which past a dozen added properties
        // turned it into a dictionary (1.6 KB of each idle subscription, in a heap snapshot). graphql-ws' own
        // bookkeeping (acknowledged, subscriptions…) is not copied: nothing reads it from the context.
        const initial: Pick<InitialContext, 'operationKind'> & Record<keyof Context, unknown> & Record<string, unknown> = {
          extra: ctx.extra,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          connectionParams: ctx.connectionParams,
          liveConnection: wiring?.connection,
          fanoutSink: new OperationSink(id, operation, ctx, ctx.extra.socket),
          operationKind: undefined,
          prisma: undefined,
          config: undefined,
          events: undefined,
          live: undefined,
          documents: undefined,
          presence: undefined,
          session: undefined,
          connection: undefined,
          access: undefined,
          signInGuard: undefined,
          work: undefined,
          clientAddress: undefined,
        };
        const { schema: enveloped, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(initial);
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          // A syntax error or a query limit (tokens) answers this operation; thrown, it would close the socket.
          if (!(error instanceof GraphQLError)) throw error;
          // Coded as Yoga codes it over HTTP (its own hook only runs on HTTP requests).
          (error.extensions as Record<string, unknown>).code ??= 'GRAPHQL_PARSE_FAILED';
          return [error];
        }
        // Read by the context factory (the same object): queries and subscriptions reuse the socket's memberships.
        initial.operationKind = getOperationAST(document, payload.operationName)?.operation;
        operation.kind = initial.operationKind;
        const args = {
          schema: enveloped,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await inRequest(reqId, contextFactory),
          rootValue: { execute, subscribe, reqId },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        tryAgainLater(ctx.extra.socket, error);
        return [unavailableError()];
      }
    },
    // An operation that meets an outage (its stream could not open, or stopped) closes the socket with 1013:
    // the client reconnects and subscribes again from its last position.
    onError: (ctx, id, _payload, errors) => {
      ctx.extra.socket.wiring?.operations.answered(id, true);
      if (errors.some(isUnavailableGraphQLError)) tryAgainLater(ctx.extra.socket, errors[0]);
    },
    onNext: (ctx, id, _payload, args, result) => {
      ctx.extra.socket.wiring?.operations.answered(id, false);
      // An event's result shared by many subscriptions is serialised once (live/fanout.ts, FanoutSocket).
      const shared = sharedPayload(result);
      if (shared) return shared as unknown as typeof result;
      if (!('errors' in result) || !result.errors?.some(isUnavailableGraphQLError)) return undefined;
      // A mutation or query answers UNAVAILABLE and the socket stays; a subscription's event that could not be
      // resolved is not delivered half: the socket closes and the client resumes from the event before.
      if (getOperationAST(args.document, args.operationName)?.operation === 'subscription')
        tryAgainLater(ctx.extra.socket, result.errors[0]);
      return undefined;
    },
  });
  // graphql-ws' `useServer` for ws, but for two points: its keep-alive is off (it pinged every socket on a timer of
  // its own every 12 s besides ours below, a tenth of a fan-out's CPU at 1,000 sockets), and each socket's messages
  // go through `SocketOperations`, so an id reused after `complete` starts its operation only once the completed
  // one has ended (graphql-ws' cleanup of the old one, keyed by the id, would otherwise forget the new one).
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.once('error', (error) => {
    logger.error({ err: error }, 'WebSocket server error');
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  // One handler per socket, before anything it sends is read: the socket counts against its address from the start,
  // each message is checked (rate, size before connection_init, JSON depth) ahead of anything graphql-ws does with
  // it, and graphql-ws' side of it is one object (`GraphqlWsSocket`) with listeners shared by every socket (issue 11:
  // each idle subscriber held a dozen closures, their scopes and `once` wrappers here).
  wsServer.on('connection', (ws, request) => {
    const socket = ws as FanoutSocket;
    const address = clientAddress(request);
    if (socketLimits.arrive(socket, address)) socketLimits.watchMessages(socket);
    socket.on('error', onSocketError);
    const upgrade: UpgradeRequest = {
      headers: { 'x-request-id': request.headers['x-request-id'] },
      socket: { remoteAddress: address },
    };
    const wiring = new GraphqlWsSocket(socket, upgrade, limits.maxOperationsPerSocket);
    socket.wiring = wiring;
    wiring.closed = server.opened(wiring, { socket, request: upgrade });
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketClose);
    socket.on('pong', onSocketPong);
  });

  // Keep-alive: ping every socket; one that has not answered since the last ping is gone.
  // A round that runs late follows a stall of the event loop (a long collection, a heap snapshot, a burst of
  // subscribes): the pongs that arrived meanwhile are still unread, since timers run before I/O, so such a round
  // judges no socket, it only pings again. Judged anyway, healthy sockets were terminated: 173 of 1,000 idle
  // subscribers (client 1006) after a 30-second heap snapshot in bench/fanout.
  let lastRound = performance.now();
  const keepAlive = setInterval(() => {
    const now = performance.now();
    const late = now - lastRound > KEEP_ALIVE_MS + KEEP_ALIVE_LATE_MS;
    lastRound = now;
    for (const client of wsServer.clients) {
      const socket = client as FanoutSocket;
      if (!socket.alive && !late) {
        socket.terminate();
        continue;
      }
      socket.alive = false;
      socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  return {
    server: wsServer,
    close: async () => {
      closing = true;
      clearInterval(keepAlive);
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * Sockets corked during this turn (`FanoutSocket`), each with its uncork. A turn is the callback the event loop is
 * running (a socket's message, a timer, an immediate) with the promise jobs it queued: it ends in a `process.nextTick`
 * queued by its first frame, which runs once those jobs have run. Ended in a setImmediate instead, it lasted until
 * every other callback of the loop's poll phase had run: a corked acknowledgement waited behind the execution of
 * every other message read in the same phase (several milliseconds each at 20 editors, issue 11), and a frame sent
 * from an immediate (a section's group commit) waited for the next iteration of the loop.
 */
let corked: Array<() => void> = [];
/** The turn of the event loop frames are being sent in (`FanoutSocket`): counted up at each turn's end. */
let turn = 0;
/** Whether the end of the current turn is scheduled (`endTurn`, in a `process.nextTick`). */
let turnEnding = false;

function endTurn(): void {
  turn += 1;
  turnEnding = false;
  const now = corked;
  corked = [];
  for (const uncork of now) uncork();
}

/**
 * The server's sockets: a message whose payload is a shared result's token (live/fanout.ts `SharedPayload`) is
 * sent with the result's serialisation in its place; every other message as it is. Every close carries a French
 * reason, graphql-ws' and ws' own included (`closeReason`). A socket's first frame in a turn of the event loop is
 * written at once, the next ones of that turn together at its end (`#corkUntilNextTurn`).
 */
export class FanoutSocket extends WebSocket {
  #corked = false;
  /** The turn in which it last sent a frame (`turn`). */
  #sentInTurn = -1;
  /** graphql-ws' side of the socket (`attachGraphqlWs`). */
  wiring: GraphqlWsSocket | undefined;
  /** Whether it answered the last keep-alive ping (a new socket has not been pinged yet). */
  alive = true;

  /** Sends a message already in its final form (no shared payload to put in place); `done` once written. */
  sendFinal(message: string, done?: () => void): void {
    this.#corkUntilNextTurn();
    super.send(message, done);
  }

  /**
   * Sends a text message made of `head` (a few characters) and `tail` (UTF-8 bytes shared by many sockets: a shared
   * result's `next` message, `SharedPayload.tail`) as one WebSocket frame in one buffer, written to the TCP socket in
   * one call: ws would encode the whole message from a string for each socket and write its header and body apart
   * (a `writev` of two). Server frames are not masked and this one is not compressed (RSV1 clear: valid with or
   * without permessage-deflate), so the frame is its header and the bytes. Through ws' own `send` whenever ws holds
   * frames of its own back (compressing, reading a blob) or the socket is not open, so frames keep their order.
   */
  sendShared(head: string, tail: Buffer, done?: () => void): void {
    const raw = (this as unknown as { _socket?: Socket })._socket;
    const sender = (this as unknown as { _sender?: { _state?: unknown; _queue?: unknown[] } })._sender;
    if (this.readyState !== WebSocket.OPEN || !raw || !raw.writable || sender?._state !== 0 || sender._queue?.length) {
      this.sendFinal(`${head}${tail.toString('utf8')}`, done);
      return;
    }
    const headBytes = Buffer.byteLength(head);
    const length = headBytes + tail.length;
    const offset = length < 126 ? 2 : length < 65_536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(offset + length);
    // FIN and the text opcode; then the payload length, in 7 bits, 16 or 64 (RFC 6455 §5.2).
    frame[0] = 0x81;
    if (offset === 2) frame[1] = length;
    else if (offset === 4) {
      frame[1] = 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 127;
      frame.writeUInt32BE(0, 2);
      frame.writeUInt32BE(length, 6);
    }
    frame.write(head, offset, 'utf8');
    tail.copy(frame, offset + headBytes);
    this.#corkUntilNextTurn();
    if (done) raw.write(frame, () => done());
    else raw.write(frame);
  }

  override send(data: unknown, options?: unknown, cb?: unknown): void {
    const message = typeof data === 'string' ? withSharedPayload(data) : data;
    this.#corkUntilNextTurn();
    (super.send as (data: unknown, options?: unknown, cb?: unknown) => void)(message, options, cb);
  }

  /**
   * The first frame of a turn of the event loop goes out at once; from its second frame on, the socket is corked
   * until the turn's end, so the rest are written together (one `writev`): a stored batch of co-editing pushes is
   * several `next` messages per listener, and each was a system call of its own (`writev`, the largest self time
   * at 20 editors). A fan-out sends one frame per socket per turn: corking it too held every socket's write until
   * the whole fan-out had run, so the first subscriber got its event only when the last one's was ready, and the
   * clients stayed idle meanwhile (issue 11). Delayed by the rest of this turn at most; written in order either way.
   */
  #corkUntilNextTurn(): void {
    if (!turnEnding) {
      turnEnding = true;
      process.nextTick(endTurn);
    }
    if (this.#sentInTurn !== turn) {
      this.#sentInTurn = turn;
      return;
    }
    const raw = (this as unknown as { _socket?: Socket })._socket;
    if (this.#corked || !raw || raw.destroyed) return;
    this.#corked = true;
    raw.cork();
    corked.push(() => {
      this.#corked = false;
      raw.uncork();
    });
  }

  override close(code?: number, reason?: string | Buffer): void {
    const text = typeof reason === 'string' ? reason : reason?.toString('utf8');
    // A code without a reason (1000, or none) stays so: ws refuses a reason without a code.
    if (code === undefined) super.close();
    else super.close(code, closeReason(code, text));
  }
}

/** A socket's buffered bytes past which a write straight from the fan-out waits until it is written. */
const SINK_BUFFER_BOUND = 1 << 20;

/**
 * A graphql-ws operation's socket, for the events the fan-out writes to it itself (live/fanout.ts `FanoutSink`):
 * the `next` message graphql-ws would send (same fields, same order), without its per-message work.
 */
class OperationSink implements FanoutSink {
  constructor(
    private readonly id: string,
    private readonly operation: Operation,
    private readonly ctx: { subscriptions: Record<string, unknown> },
    private readonly socket: FanoutSocket,
  ) {}

  get open(): boolean {
    // graphql-ws forgets an operation when its client completes it, and all of them when the socket closes; an
    // id reused later names another operation, so this one's end is checked on the object, not by the id.
    return this.socket.readyState === WebSocket.OPEN && !this.operation.ended && this.id in this.ctx.subscriptions;
  }

  get congested(): boolean {
    return this.socket.bufferedAmount >= SINK_BUFFER_BOUND;
  }

  writeNext(payload: SharedPayload): Promise<void> | undefined {
    const head = `{"id":${JSON.stringify(this.id)}`;
    if (this.socket.bufferedAmount < SINK_BUFFER_BOUND) {
      this.socket.sendShared(head, payload.tail);
      return undefined;
    }
    return new Promise((resolve) => this.socket.sendShared(head, payload.tail, () => resolve()));
  }
}

/**
 * Characters of a socket's messages held behind operations still ending (`SocketOperations`), at most: room for
 * two messages of the largest size a socket may send (`WS_MAX_PAYLOAD_BYTES`, 2 MiB by default) is not needed by any
 * client that waits for answers; a socket past it is closed 4429.
 */
const MAX_HELD_BYTES = 4 * 1024 * 1024;

/** One `subscribe` message's operation on a socket, ended once graphql-ws has run its cleanup for it. */
class Operation {
  ended = false;
  /** Its kind, once its document is parsed. */
  kind: 'query' | 'mutation' | 'subscription' | undefined;
  /**
   * Its answer is being sent (a query's or mutation's result, or an error): it only finishes (graphql-ws sends its
   * `complete` once the answer is written), so a `subscribe` at the cap waits for its end instead of being refused.
   */
  answered = false;
}

/**
 * A socket's messages on their way to graphql-ws, and its running operations by object. graphql-ws keys an
 * operation by its id only: its cleanup of a completed operation (`delete ctx.subscriptions[id]`, its final
 * `complete`) would hit an operation subscribed since under the same id, which could then never be completed,
 * escaped the per-socket cap and let the old stream write under the id again (issue 10 item 3, issue 9). So a
 * `subscribe` (and every later message of that id, in order) whose id names an operation completed but not yet
 * ended waits for that end (its stream is released at once, so the wait is short); a duplicate of an operation
 * still running is left to graphql-ws, which closes the socket 4409. Messages of other ids are not held.
 * Likewise a `subscribe` that the cap would refuse only because completed operations are still releasing waits
 * for one of them to end: a client that completes one operation and starts another is never refused for it.
 */
class SocketOperations {
  /** Per id, the operation graphql-ws runs under it and the end of its message's handling. */
  readonly #running = new Map<string, { operation: Operation; done: Promise<void> }>();
  /** Per id, the last of the messages held behind an operation's end. */
  readonly #held = new Map<string, Promise<void>>();
  /** The operation whose `subscribe` graphql-ws is handling right now (its `onSubscribe` runs within it). */
  starting: Operation | undefined;
  /** Messages held (waiting in `#held`), and their characters: at most `cap`, and `MAX_HELD_BYTES`. */
  #heldCount = 0;
  #heldBytes = 0;

  constructor(
    private readonly wiring: GraphqlWsSocket,
    private readonly cap: number,
  ) {}

  /** Operations whose handling has not ended: running, or completed and still releasing their stream. */
  get size(): number {
    return this.#running.size;
  }

  /** A message of the socket: handled now, or after the end of the operation its id still names. */
  receive(data: string): void {
    const { id, type } = peekMessage(data);
    if (type === 'connection_init') this.wiring.initReceived();
    if (id === undefined) {
      void this.#dispatch(data, id, type);
      return;
    }
    const held = this.#held.get(id);
    const wait = held ? held.then(() => this.#admitted(id, type)) : this.#admitted(id, type);
    if (!wait) {
      this.#dispatch(data, id, type);
      return;
    }
    // Held messages are bounded like running operations (attack of 8e1b886: behind an operation completed while
    // still running, new subscribes of 0.5 MiB were held 15 s each, +328 MiB for one socket): past the bound the
    // socket is closed 4429, as a message flood is.
    if (this.#heldCount >= this.cap || this.#heldBytes + data.length > MAX_HELD_BYTES) {
      this.wiring.socket.close(CLOSE_TOO_MANY, 'Trop de messages en attente sur ce socket.');
      return;
    }
    this.#heldCount += 1;
    this.#heldBytes += data.length;
    const tail = wait.then(() => {
      this.#heldCount -= 1;
      this.#heldBytes -= data.length;
      this.#dispatch(data, id, type);
    });
    this.#held.set(id, tail);
    void tail.then(() => {
      if (this.#held.get(id) === tail) this.#held.delete(id);
    });
  }

  /**
   * graphql-ws is sending operation `id`'s result (`final`: an error, which ends any operation): a query or mutation
   * has nothing more to send, and only finishes (its `complete` follows once the answer is written).
   */
  answered(id: string, final: boolean): void {
    const operation = this.#running.get(id)?.operation;
    if (operation && (final || (operation.kind !== undefined && operation.kind !== 'subscription'))) operation.answered = true;
  }

  /** Resolves once `#endOfPrevious` has nothing more to wait for (judged again after each end); undefined at once. */
  #admitted(id: string, type: unknown): Promise<void> | undefined {
    return this.#endOfPrevious(id, type)?.then(() => this.#admitted(id, type));
  }

  /**
   * For a `subscribe`, what it waits for: the end of the operation its id names if graphql-ws forgot it but its
   * handling runs still, or, at the cap, the first end among such operations (judged once one has ended).
   */
  #endOfPrevious(id: string, type: unknown): Promise<void> | undefined {
    if (type !== 'subscribe') return undefined;
    const subscriptions = this.wiring.subscriptions;
    const previous = this.#running.get(id);
    if (previous && !(id in subscriptions)) return previous.done;
    if (this.#running.size < this.cap) return undefined;
    // Completed by the client and still releasing, or answered and finishing: a client that saw a query's answer
    // may start the next operation before the query's own `complete` reaches it.
    const releasing = [...this.#running]
      .filter(([other, entry]) => !(other in subscriptions) || entry.operation.answered)
      .map(([, entry]) => entry.done);
    return releasing.length > 0 ? Promise.race(releasing) : undefined;
  }

  #dispatch(data: string, id: string | undefined, type: unknown): void {
    // Held past the socket's close: graphql-ws has released everything already; nothing may start now.
    if (this.wiring.socket.readyState !== WebSocket.OPEN) return;
    if (type !== 'subscribe' || id === undefined || this.#running.has(id)) {
      void this.wiring.handle(data);
      return;
    }
    const operation = new Operation();
    this.starting = operation;
    let handled: Promise<void>;
    try {
      handled = this.wiring.handle(data);
    } finally {
      this.starting = undefined;
    }
    const done = handled.finally(() => {
      operation.ended = true;
      if (this.#running.get(id)?.operation === operation) this.#running.delete(id);
    });
    this.#running.set(id, { operation, done });
  }
}

/** graphql-ws' record of a socket's operations before its connection_init: none. */
const NO_OPERATIONS: Record<string, unknown> = Object.freeze(Object.create(null));

/**
 * One socket as graphql-ws sees it (its `WebSocket`: protocol, send, close, onMessage) and what the transport keeps
 * of it: its operations, its connection once authenticated, its request id. A class, so that each socket holds one
 * object rather than a closure per field (issue 11).
 */
class GraphqlWsSocket {
  readonly protocol: string;
  readonly operations: SocketOperations;
  /** graphql-ws' context of the socket, from its connection_init on (it replaces `subscriptions` when the socket closes). */
  ctx: { subscriptions: Record<string, unknown> } | undefined;
  /** The socket's connection, made once it is authenticated; every operation on the socket shares it. */
  connection: LiveConnection | undefined;
  /** graphql-ws' end of the socket (`server.opened`'s answer). */
  closed: ((code?: number, reason?: string) => Promise<void>) | undefined;
  #handler: ((data: string) => Promise<void>) | undefined;
  #reqId: string | undefined;
  /** Closes the socket 4408 unless its connection_init arrives first; dropped then (`initReceived`). */
  #initWait: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: FanoutSocket,
    readonly request: UpgradeRequest,
    cap: number,
  ) {
    this.protocol = socket.protocol;
    this.operations = new SocketOperations(this, cap);
    this.#initWait = setTimeout(initTimedOut, CONNECTION_INIT_WAIT_MS, this);
  }

  /** A connection_init arrived (graphql-ws judges it): the socket no longer waits for one. */
  initReceived(): void {
    clearTimeout(this.#initWait);
    this.#initWait = undefined;
  }

  /** Whether it still waits for its connection_init. */
  get awaitingInit(): boolean {
    return this.#initWait !== undefined;
  }

  /** The socket's request id: its upgrade request's x-request-id when usable, a new one otherwise. */
  get reqId(): string {
    this.#reqId ??= requestIdFrom(this.request.headers['x-request-id']);
    return this.#reqId;
  }

  /** graphql-ws' operations of the socket, read each time (graphql-ws replaces the record when the socket closes). */
  get subscriptions(): Record<string, unknown> {
    return this.ctx?.subscriptions ?? NO_OPERATIONS;
  }

  send(data: string): Promise<void> {
    const socket = this.socket;
    return new Promise<void>((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return resolve();
      socket.send(data, (error?: Error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(cb: (data: string) => Promise<void>): void {
    this.#handler = cb;
  }

  /** Hands a message to graphql-ws; a failure closes the socket 4500. */
  handle(data: string): Promise<void> {
    const handler = this.#handler;
    if (!handler) return Promise.resolve();
    return handler(data).catch((error: unknown) => {
      logger.error({ err: error }, 'WebSocket message failed');
      this.socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
  }
}

/** A socket without connection_init in time is closed as graphql-ws closes it (4408, its French reason). */
function initTimedOut(wiring: GraphqlWsSocket): void {
  if (wiring.awaitingInit) wiring.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}

/**
 * A socket's listeners, shared by every socket (`this` is the socket). ws' own protocol errors (`WS_ERR_*`: a message
 * past `maxPayload`, invalid UTF-8, a bad frame) are the client's fault and ws has already closed the socket with
 * their code (1009, 1007, 1002): logged as such, not as a server error. Anything else is.
 */
function onSocketError(this: WebSocket, error: Error): void {
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
    logger.info(
      { code, reason: error.message.slice(0, 200) },
      'WebSocket closed: the client sent a message the protocol refuses',
    );
    return;
  }
  logger.error({ err: error }, 'WebSocket socket error');
  this.close(CloseCode.InternalServerError, 'Internal server error');
}

function onSocketMessage(this: WebSocket, data: WebSocket.RawData): void {
  (this as FanoutSocket).wiring?.operations.receive(String(data));
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  const wiring = (this as FanoutSocket).wiring;
  if (!wiring) return;
  wiring.initReceived();
  // graphql-ws first (its operations' iterators returned), then the connection (its streams and listeners).
  void wiring.closed?.(code, String(reason));
  wiring.connection?.close();
}

function onSocketPong(this: WebSocket): void {
  (this as FanoutSocket).alive = true;
}

/** A graphql-transport-ws message's id and type, read without validating it (graphql-ws validates it next). */
function peekMessage(data: string): { id: string | undefined; type: unknown } {
  try {
    const message = JSON.parse(data) as { id?: unknown; type?: unknown } | null;
    return { id: typeof message?.id === 'string' ? message.id : undefined, type: message?.type };
  } catch {
    return { id: undefined, type: undefined };
  }
}

/** Closes a socket with 1013 "try again later" because a service is down; logged as a warning, not an error. */
function tryAgainLater(socket: WebSocket, error: unknown): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  logger.warn(
    { reason: String((error as Error | undefined)?.message ?? error).slice(0, 300) },
    'WebSocket closed 1013: a service is unavailable',
  );
  socket.close(CLOSE_TRY_AGAIN_LATER, 'Service momentanément indisponible : réessayez.');
}

/**
 * A subscription refused before its stream opened (an argument its validation refused, a subject not found)
 * is an ExecutionResult with errors and no data: graphql-ws would send it as `next` then `complete`, while a
 * refusal in `onSubscribe` (syntax, limits, rates) is an `error` message. A stream whose first step fails is
 * what graphql-ws answers with `error` (carrying the error's extensions), so every refusal arrives alike.
 */
function refusedAsError<T>(result: AsyncIterableIterator<T> | T): AsyncIterableIterator<T> | T {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return result;
  const { data, errors } = result as { data?: unknown; errors?: readonly GraphQLError[] };
  if (data != null || !errors?.length) return result;
  const refused: AsyncIterableIterator<T> = {
    next: () => Promise.reject(errors[0]),
    return: (value) => Promise.resolve({ done: true as const, value }),
    [Symbol.asyncIterator]: () => refused,
  };
  return refused;
}

/** A subscription's stream whose every step runs (and logs) as part of its operation's request. */
function inRequestSteps<T>(reqId: string, result: AsyncIterableIterator<T> | T): AsyncIterableIterator<T> | T {
  if (typeof result !== 'object' || result === null || !(Symbol.asyncIterator in result)) return result;
  return new StepsInRequest(reqId, result);
}

/** `inRequestSteps`' iterator: a class, so that each idle subscription holds one object, not four closures. */
class StepsInRequest<T> implements AsyncIterableIterator<T> {
  constructor(
    private readonly reqId: string,
    private readonly inner: AsyncIterableIterator<T>,
  ) {}

  next(): Promise<IteratorResult<T>> {
    return inRequest(this.reqId, () => this.inner.next());
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    return inRequest(this.reqId, () => this.inner.return?.(value) ?? Promise.resolve({ done: true as const, value: value as T }));
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    return inRequest(this.reqId, () => this.inner.throw?.(error) ?? Promise.reject(error));
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
