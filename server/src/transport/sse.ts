import { randomUUID } from 'node:crypto';
import { type ExecutionResult, GraphQLError, getOperationAST } from 'graphql';
import {
  createHandler,
  type Request as SseRequest,
  type Response as SseResponse,
  TOKEN_HEADER_KEY,
  TOKEN_QUERY_KEY,
} from 'graphql-sse';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config.js';
import { isClientGone, isUnavailable } from '../errors.js';
import { jsonTooDeep } from '../limits/json.js';
import { rateLimited } from '../limits/refusals.js';
import { logger } from '../observability/log.js';
import { errorsInFrench } from './french.js';
import { jsonTooDeepError, mediaType } from './http.js';
import { clientGoneError, maskUnavailable, UNEXPECTED_MESSAGE, unavailableError } from './unavailable.js';
import { GRAPHQL_PATH } from './websocket.js';

/**
 * Where the `graphql-sse` protocol is served, in both its modes (github.com/enisdenjo/graphql-sse PROTOCOL.md):
 * "single connection" (PUT reserves a stream and answers its token, an `Accept: text/event-stream` request with
 * the token opens it, each operation is then a POST carrying the token and comes back on that one stream, and
 * DELETE `?operationId=` completes one), which browsers need beyond six streams per origin over HTTP/1.1; and
 * "distinct connections" (one `text/event-stream` request per operation), as on `/graphql` itself.
 */
export const SSE_STREAM_PATH = `${GRAPHQL_PATH}/stream`;

/** The header carrying a single-connection stream's token. */
const TOKEN_HEADER = TOKEN_HEADER_KEY;

/**
 * What the context factory is handed for an operation posted onto a single-connection stream: its request is
 * answered at once (202), so the operation's connection is not the request but this controller, aborted when the
 * operation completes, is completed by the client (DELETE), or its stream closes.
 */
export interface SseOperationContext {
  sseOperation?: AbortController;
}

/**
 * An async iterable whose end, however it comes (completed, returned by a DELETE or a closed stream, thrown),
 * aborts `operation` first (a posted operation's; a distinct-connection stream has none, its request is its connection): the stream generators wait on their connection's signal, so aborting is what lets a
 * `return()` through while they wait for the next event. A stream that ends with an error (SESSION_REVOKED,
 * ACCESS_REVOKED…) delivers it as its last result, as graphql-ws and SSE on /graphql do: thrown, it would end the
 * whole shared event stream, every other operation on it included.
 */
function releasing(
  source: AsyncIterable<ExecutionResult>,
  operation?: AbortController,
): AsyncGenerator<ExecutionResult, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const release = () => {
    ended = true;
    operation?.abort();
  };
  const done = { done: true, value: undefined } as const;
  const generator: AsyncGenerator<ExecutionResult, undefined> = {
    [Symbol.asyncIterator]: () => generator,
    async next() {
      if (ended) return done;
      try {
        const step = await iterator.next();
        if (!step.done) return step;
        release();
        return done;
      } catch (error) {
        release();
        // Masked as on /graphql (`maskUnavailable`): an outage met mid-stream (PostgreSQL stopped while the stream
        // reloads or re-authorises) is UNAVAILABLE, a lost race CONFLICT; only the rest is an unexpected error.
        const coded = error instanceof GraphQLError && typeof error.extensions.code === 'string';
        if (!coded && !isUnavailable(error)) logger.error({ err: error }, 'A stream over graphql-sse failed');
        const reported = coded ? error : (maskUnavailable(error, UNEXPECTED_MESSAGE) as GraphQLError);
        return { done: false, value: { data: null, errors: [reported] } };
      }
    },
    async return() {
      release();
      await iterator.return?.();
      return done;
    },
    async throw(error: unknown) {
      release();
      await iterator.return?.();
      throw error;
    },
  };
  return generator;
}

const isAsyncIterable = <T>(value: unknown): value is AsyncIterable<T> =>
  typeof Object(value)[Symbol.asyncIterator] === 'function';

/** What `useSingleConnectionSse` needs from the app. */
export interface SseOptions {
  reservations: Limits['sseReservations'];
  /** The largest request body read, in bytes (`HTTP_MAX_BODY_BYTES`, as on /graphql). */
  maxBodyBytes: number;
  /** The deepest JSON nesting read (`JSON_MAX_DEPTH`, as on /graphql). */
  maxJsonDepth: number;
  /** The member whose live session the request's bearer token names, or null (anonymous, unknown, ended). */
  memberOf: (request: Request) => Promise<string | null>;
}

/**
 * Results a graphql-sse stream has produced and its client has read (the response body pulled them): an
 * operation waits for room (`room`) before it adds one more, so a client that does not read (or never opens its
 * reserved stream) holds at most `maxUnreadResults` of them; the rest wait in the operations' own bounded buffers.
 */
class Unread {
  #produced = 0;
  #read = 0;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  /** `held`: the results every stream of the endpoint holds unread, kept up to date by each (`/metrics`). */
  constructor(private readonly held: { results: number }) {}

  /** One result read by the client. */
  read(): void {
    this.#read += 1;
    if (!this.#closed && this.#read <= this.#produced) this.held.results -= 1;
    this.#wake();
  }

  /** The stream is gone: nobody waits for room any more (what follows is dropped with the stream). */
  close(): void {
    if (!this.#closed) this.held.results -= Math.max(0, this.#produced - this.#read);
    this.#closed = true;
    this.#wake();
  }

  /** Resolves once one more result fits under `max`, the stream is gone, or `signal` (the operation's) aborts. */
  async room(max: number, signal: AbortSignal | undefined): Promise<void> {
    while (!this.#closed && !signal?.aborted && this.#produced - this.#read >= max) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener('abort', wake);
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
    this.#produced += 1;
    if (!this.#closed) this.held.results += 1;
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

/**
 * An operation posted onto a single-connection stream under its `operationId`, from its POST to its end (its
 * `complete` queued on the stream, then graphql-sse's own cleanup of the id). graphql-sse keys its cleanup by id
 * only: an operation stopped by DELETE is forgotten at once but its stream ends later, then deletes whatever the
 * id names and writes its `complete` under it. So a POST reusing the id waits for this end (`done`), as a
 * graphql-ws `subscribe` does (websocket.ts `SocketOperations`).
 */
interface PostedOperation {
  /** The controller the operation's connection closes with (`SseOperationContext`), once its POST is handled. */
  operation?: AbortController;
  /** Completed by the client (DELETE): its events from then on are not sent. */
  stopped: boolean;
  /** Handed to graphql-sse (it may run): before that the POST waits for the id's previous operation to end. */
  forwarded: boolean;
  /** Answered 202: graphql-sse streams its results, then a `complete`. */
  accepted: boolean;
  /** Its `complete` is queued on the stream (graphql-sse's `onComplete`). */
  completed: boolean;
  /** Its events are dropped from the stream until its `complete` (included) passes. */
  silenced: boolean;
  done: Promise<void>;
  end: () => void;
}

/** A single-connection stream reserved by `PUT`: whose it is, until when it may be opened, what it has unread. */
interface Reservation {
  token: string;
  /** `member:…`: reservations and open streams are counted per member. */
  owner: string;
  opened: boolean;
  expiry: NodeJS.Timeout;
  unread: Unread;
  /** Per operation id, the last operation posted under it that has not ended. */
  operations: Map<string, PostedOperation>;
  /**
   * Per id, how many operations stopped by DELETE (still releasing) have their `complete` yet to pass: the id's
   * events are dropped while it is above 0. A count, not a flag: an id stopped, reused and stopped again before the
   * reader reaches the first `complete` has two operations to silence.
   */
  silenced: Map<string, number>;
}

/** A new `PostedOperation`, not yet handed to graphql-sse. */
function postedOperation(): PostedOperation {
  let end = () => {};
  const done = new Promise<void>((resolve) => {
    end = resolve;
  });
  return { stopped: false, forwarded: false, accepted: false, completed: false, silenced: false, done, end };
}

/** The `operationId` an operation posted onto a stream names (POST body's or GET query's extensions), or ''. */
function operationIdOf(request: Request, body: Record<string, unknown> | null): string {
  let extensions: unknown = body?.extensions;
  if (request.method === 'GET') {
    try {
      extensions = JSON.parse(new URL(request.url).searchParams.get('extensions') ?? 'null');
    } catch {
      return '';
    }
  }
  const id = (extensions as { operationId?: unknown } | null)?.operationId;
  return id === undefined || id === null ? '' : String(id);
}

/** The operation id a stream event (`event: next|complete`, data `{"id":…}` as graphql-sse prints it) is for. */
function eventOperationId(event: string): string | undefined {
  const quoted = /^data: \{"id":("(?:[^"\\]|\\.)*")/m.exec(event)?.[1];
  if (!quoted) return undefined;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

/** The code a graphql-sse refusal of a given status gets (its own errors carry none). */
const CODE_BY_STATUS: Record<number, string> = { 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 409: 'CONFLICT', 429: 'RATE_LIMITED' };

/** What graphql-sse answers with no body, said in words. */
const MESSAGE_BY_STATUS: Record<number, string> = {
  404: 'Introuvable.',
  405: 'Méthode non acceptée : GET, POST, PUT ou DELETE.',
  406: 'Non acceptable : demandez text/event-stream, ou application/json pour poster sur un flux.',
  415: 'Les requêtes GraphQL sont acceptées en application/json seulement.',
};

/** A GraphQL error as it is sent: message, locations, path and extensions, without the HTTP hints Yoga reads. */
function sent(error: GraphQLError | { message: string; extensions?: Record<string, unknown> }) {
  const { http: _http, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
  const { locations, path } = error as Partial<GraphQLError>;
  return {
    message: error.message,
    ...(locations ? { locations } : {}),
    ...(path ? { path } : {}),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}

/** Refusals as they are sent, each with a code (graphql-sse's own carry none: the status says which). */
function sentErrors(errors: readonly Parameters<typeof sent>[0][], status: number) {
  return errors.map((error) => {
    const { extensions, ...rest } = sent(error);
    const code = extensions?.code ?? CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
    return { ...rest, extensions: { ...extensions, code } };
  });
}

/** A result as it is sent on a stream: its errors without HTTP hints (they are Yoga's, not the caller's). */
function sentResult<T extends ExecutionResult>(result: T): T {
  if (!result.errors?.some((error) => error.extensions?.http !== undefined)) return result;
  return { ...result, errors: result.errors.map(sent) };
}

/** A JSON refusal `{ errors }` with `status` (and any headers graphql-sse gave it). */
function refusal(status: number, errors: Parameters<typeof sentErrors>[0], headers: Record<string, string> = {}): Response {
  return Response.json({ errors: sentErrors(errors, status) }, { status, headers });
}

/** The status a GraphQL error asks for (Yoga's `extensions.http.status`), else 400. */
const statusOf = (error: GraphQLError) => (error.extensions.http as { status?: number } | undefined)?.status ?? 400;

/** The body of a POST, at most `max` bytes, or null past it. */
async function readBody(request: Request, max: number): Promise<string | null> {
  if (Number(request.headers.get('content-length') ?? 0) > max) return null;
  const reader = request.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const streamToken = (request: { headers: { get(name: string): string | null | undefined }; url: string }) =>
  request.headers.get(TOKEN_HEADER) || new URL(request.url, 'http://localhost').searchParams.get(TOKEN_QUERY_KEY) || null;

/**
 * GraphQL over SSE in the `graphql-sse` protocol at `SSE_STREAM_PATH`, single-connection mode included
 * (graphql-sse's own handler, with the hooks the protocol leaves to the server). Each operation posted onto a
 * stream is a connection of transport `sse` of its own (the session read from its own bearer token, per-member
 * SSE stream limits, the lifecycle's re-authorisation and release), released when it completes, is completed by
 * the client (DELETE), its POST is abandoned before it is answered, or its stream closes or expires.
 *
 * Every answer is a GraphQL one, as on /graphql: documents are parsed and validated by Yoga's envelop (its limits,
 * GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED), refusals at execution (UNAUTHENTICATED introspection,
 * RATE_LIMITED…) come as results, and graphql-sse's own refusals (no such stream, bad method…) get a code; a
 * failure is masked ("Unexpected error.", UNAVAILABLE), never a stack.
 *
 * Streams (SECURITY.md): only a signed-in member may reserve one (`PUT`, else 401) and only they may use it (its
 * token from anyone else: 401 anonymous, 404 another member), at most
 * `reservations.maxPerUser` reserved or open at once (429 `sseReservationsPerUser`); a reservation not opened
 * within `reservations.ttlMs` is dropped with the operations posted onto it (their SSE stream places freed);
 * a stream whose client does not read holds at most `reservations.maxUnreadResults` results.
 *
 * `operations` goes first in Yoga's plugins (its result hooks then see the refusals of every later plugin),
 * `endpoint` last (it answers the requests of its path).
 */
export function useSingleConnectionSse(options: SseOptions): {
  operations: Plugin<SseOperationContext>;
  endpoint: Plugin;
  /** Results the endpoint's streams hold that their clients have not read, all streams together (`/metrics`). */
  unreadResults: () => number;
} {
  const answered = new WeakSet<Request>();
  const operations: Plugin<SseOperationContext> = {
    onRequest({ request, url, serverContext }) {
      if (!url.pathname.endsWith(SSE_STREAM_PATH)) return;
      const accept = request.headers.get('accept') ?? '';
      // An operation posted onto a registered stream (the stream itself asks for text/event-stream).
      if (!['POST', 'GET'].includes(request.method) || !streamToken(request) || accept === 'text/event-stream') return;
      const operation = new AbortController();
      (serverContext as SseOperationContext).sseOperation = operation;
      // The client gave up before its 202 (graphql-sse's client then sends no DELETE): nobody will complete it.
      request.signal.addEventListener('abort', () => answered.has(request) || operation.abort(), { once: true });
    },
    onResponse({ request }) {
      answered.add(request);
    },
    onSubscribe({ args }) {
      const operation = (args.contextValue as SseOperationContext).sseOperation;
      if (!operation) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return setResult(releasing(result, operation));
          operation.abort();
        },
      };
    },
    onExecute({ args }) {
      const operation = (args.contextValue as SseOperationContext).sseOperation;
      if (!operation) return;
      return {
        onExecuteDone() {
          operation.abort();
        },
      };
    },
  };

  const { reservations: limits } = options;
  /** The server context (node request, SSE operation) of each request handed to graphql-sse. */
  const serverContexts = new WeakMap<Request, object>();
  /** The operation context of each request whose operation runs, for its signal. */
  const contexts = new WeakMap<Request, { connection?: { signal: AbortSignal } }>();
  /** The token a PUT reserves, chosen here (random, unguessable) before graphql-sse registers it. */
  const issued = new WeakMap<Request, string>();
  const reservations = new Map<string, Reservation>();
  /** The operation each POST onto a stream carries, for graphql-sse's `onComplete` (it hands the request). */
  const postedOf = new WeakMap<Request, PostedOperation>();
  const heldBy = new Map<string, number>();
  /** Distinct-connection streams (one operation each, no token): what their clients have unread. */
  const distinct = new WeakMap<Request, Unread>();
  const held = { results: 0 };
  let yoga: Parameters<NonNullable<Plugin['onYogaInit']>>[0]['yoga'];
  let handler: ReturnType<typeof createHandler<Request>>;

  const hold = (owner: string, by: number) => {
    const held = (heldBy.get(owner) ?? 0) + by;
    if (held > 0) heldBy.set(owner, held);
    else heldBy.delete(owner);
  };

  /** Forgets a reservation (expired, or its stream closed): its owner's place is free, its operations stop waiting. */
  const release = (reservation: Reservation) => {
    if (reservations.get(reservation.token) !== reservation) return;
    reservations.delete(reservation.token);
    clearTimeout(reservation.expiry);
    hold(reservation.owner, -1);
    reservation.unread.close();
    // graphql-sse ends every operation of the stream as it goes: none is waited for any more.
    for (const posted of reservation.operations.values()) posted.end();
    reservation.operations.clear();
  };

  /**
   * A reservation not opened in time: dropped, and graphql-sse's stream with it. graphql-sse drops a stream only
   * once its event stream ends, so it is opened here and ended at once, as a client connecting and leaving would:
   * that completes every operation posted onto it (their connections close, their places are freed).
   */
  const expire = async (token: string) => {
    const reservation = reservations.get(token);
    if (!reservation || reservation.opened) return;
    release(reservation);
    const [body] = await handler({
      method: 'GET',
      url: `http://localhost${SSE_STREAM_PATH}`,
      headers: new Headers({ accept: 'text/event-stream', [TOKEN_HEADER]: token }),
      body: null,
      raw: undefined as unknown as Request,
      context: undefined,
    });
    if (body && typeof body !== 'string') await body.return(undefined);
  };

  /** The event stream's response: each result read counts against `unread`; `end` runs once it ends, however. */
  const streaming = (
    request: Request,
    events: AsyncGenerator<string>,
    init: ResponseInit,
    unread: Unread,
    silenced: Map<string, number> | undefined,
    end: () => void,
  ) => {
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      end();
    };
    const encoder = new TextEncoder();
    const body = new yoga.fetchAPI.ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          for (;;) {
            const { done, value } = await events.next();
            if (value != null) {
              const next = value.startsWith('event: next');
              if (next) unread.read();
              // An operation stopped by DELETE says nothing more, its `complete` included: the client may already
              // have posted another operation under its id.
              const id = silenced?.size && (next || value.startsWith('event: complete')) ? eventOperationId(value) : undefined;
              const silencing = id === undefined ? 0 : (silenced?.get(id) ?? 0);
              if (id !== undefined && silencing > 0) {
                if (!next) {
                  if (silencing > 1) silenced?.set(id, silencing - 1);
                  else silenced?.delete(id);
                }
                if (!done) continue;
              } else controller.enqueue(encoder.encode(value));
            }
            if (done) {
              finish();
              controller.close();
            }
            return;
          }
        } catch (error) {
          finish();
          logger.error({ err: error }, 'A graphql-sse stream failed');
          controller.error(error);
        }
      },
      async cancel() {
        finish();
        await events.return(undefined);
      },
    });
    const leave = () => {
      finish();
      void events.return(undefined);
    };
    if (request.signal.aborted) leave();
    else request.signal.addEventListener('abort', leave, { once: true });
    return new yoga.fetchAPI.Response(body, init);
  };

  /** graphql-sse's answer as a Response, its refusals coded like every GraphQL refusal. */
  const answer = (body: string | null, init: ResponseInit): Response => {
    const status = init.status ?? 200;
    if (status < 400) return new yoga.fetchAPI.Response(body, init);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    let errors: { message: string }[] = [{ message: MESSAGE_BY_STATUS[status] ?? 'Requête invalide.' }];
    try {
      if (body) errors = (JSON.parse(body) as { errors: { message: string }[] }).errors;
    } catch {}
    // graphql-sse's own refusals are worded in English: said in French (graphql-js' document errors stay as they are).
    errorsInFrench(errors);
    return refusal(status, errors, headers);
  };

  const reserve = async (request: Request, serverContext: object): Promise<Response> => {
    const member = await options.memberOf(request);
    if (!member) return refusal(401, [{ message: 'Connectez-vous pour réserver un flux.' }]);
    const owner = `member:${member}`;
    if ((heldBy.get(owner) ?? 0) >= limits.maxPerUser) {
      const error = rateLimited(
        'sseReservationsPerUser',
        'Trop de flux réservés ou ouverts : fermez-en un d’abord.',
        undefined,
        owner,
      );
      return refusal(429, [error]);
    }
    const token = randomUUID();
    issued.set(request, token);
    hold(owner, 1);
    const [body, init] = await handler(sseRequest(request, null, serverContext));
    if (init.status !== 201) {
      hold(owner, -1);
      return answer(body as string | null, init);
    }
    const expiry = setTimeout(() => {
      expire(token).catch((error: unknown) => logger.error({ err: error }, 'A graphql-sse reservation could not be dropped'));
    }, limits.ttlMs);
    expiry.unref();
    reservations.set(token, {
      token,
      owner,
      opened: false,
      expiry,
      unread: new Unread(held),
      operations: new Map(),
      silenced: new Map(),
    });
    return answer(body as string, init);
  };

  const sseRequest = (request: Request, body: Record<string, unknown> | null, serverContext: object): SseRequest<Request> => {
    serverContexts.set(request, serverContext);
    return { method: request.method, url: request.url, headers: request.headers, body, raw: request, context: undefined };
  };

  const handle = async (request: Request, serverContext: object): Promise<Response> => {
    if (request.method === 'PUT') return reserve(request, serverContext);
    const accept = request.headers.get('accept') ?? '*/*';
    const token = streamToken(request);
    let body: Record<string, unknown> | null = null;
    if (request.method === 'POST') {
      if (mediaType(request) !== 'application/json')
        return refusal(415, [{ message: MESSAGE_BY_STATUS[415] as string }], { accept: 'application/json' });
      const text = await readBody(request, options.maxBodyBytes);
      if (text === null)
        return refusal(413, [{ message: `Corps de requête trop volumineux : au plus ${options.maxBodyBytes} octets.` }]);
      if (jsonTooDeep(text, options.maxJsonDepth)) return refusal(400, [jsonTooDeepError(options.maxJsonDepth)]);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return refusal(400, [{ message: 'Le corps de la requête n’est pas du JSON valide.' }]);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return refusal(400, [{ message: 'Le corps de la requête doit être un objet JSON.' }]);
      body = parsed as Record<string, unknown>;
    } else if (request.method === 'GET') {
      const search = new URL(request.url).searchParams;
      for (const name of ['variables', 'extensions']) {
        const value = search.get(name);
        if (value && jsonTooDeep(value, options.maxJsonDepth)) return refusal(400, [jsonTooDeepError(options.maxJsonDepth)]);
      }
    }
    const noSuchStream = `Flux introuvable : réservez-en un avec PUT, puis ouvrez-le dans les ${limits.ttlMs} ms.`;
    const reservation = token ? reservations.get(token) : undefined;
    // A stream is its reserver's: opening it, posting onto it or completing its operations takes the same member's
    // session (a token seen by someone else, in a log or a proxy, reads nothing). Anonymous: 401; another member:
    // 404, as for a token never issued, so a token's existence is not told to others either.
    if (reservation) {
      const member = await options.memberOf(request);
      if (!member) return refusal(401, [{ message: 'Connectez-vous en tant que le membre qui a réservé ce flux.' }]);
      if (`member:${member}` !== reservation.owner) return refusal(404, [{ message: noSuchStream }]);
    }
    if (accept === 'text/event-stream') {
      if (token && !reservation) return refusal(404, [{ message: noSuchStream }]);
      const unread = reservation?.unread ?? new Unread(held);
      if (!reservation) distinct.set(request, unread);
      const [events, init] = await handler(sseRequest(request, body, serverContext));
      if (!events || typeof events === 'string') return answer(events, init);
      if (reservation) {
        reservation.opened = true;
        clearTimeout(reservation.expiry);
      }
      return streaming(request, events, init, unread, reservation?.silenced, () =>
        reservation ? release(reservation) : unread.close(),
      );
    }
    if (!token) return refusal(404, [{ message: 'Demandez text/event-stream, ou réservez un flux avec PUT et postez dessus.' }]);
    if (reservation && request.method === 'DELETE') stopPosted(reservation, new URL(request.url).searchParams.get('operationId'));
    const id = reservation && request.method !== 'DELETE' ? operationIdOf(request, body) : '';
    if (!reservation || !id) {
      const [result, init] = await handler(sseRequest(request, body, serverContext));
      return answer(result as string | null, init);
    }
    return post(request, body, serverContext, reservation, id);
  };

  /**
   * A DELETE of operation `id`: it is stopped (its events from now on are not sent), or, still waiting for the end
   * of the id's previous operation, never starts. graphql-sse then ends it (the DELETE is handed on).
   */
  const stopPosted = (reservation: Reservation, id: string | null) => {
    const posted = id === null ? undefined : reservation.operations.get(id);
    if (id === null || !posted) return;
    posted.stopped = true;
    silence(reservation, id, posted);
  };

  /** Drops the rest of a stopped operation's events if graphql-sse streams them and its `complete` is not queued yet. */
  const silence = (reservation: Reservation, id: string, posted: PostedOperation) => {
    if (!posted.stopped || !posted.accepted || posted.completed || posted.silenced) return;
    posted.silenced = true;
    reservation.silenced.set(id, (reservation.silenced.get(id) ?? 0) + 1);
  };

  /**
   * An operation posted onto a stream under `id`. The id names an operation that runs (or waits to): 409 CONFLICT,
   * as graphql-sse answers a duplicate, and nothing changes. It names one stopped (DELETE) or ended by itself but
   * still releasing: this one waits for that end, so graphql-sse's cleanup of the old one never touches it.
   */
  const post = async (
    request: Request,
    body: Record<string, unknown> | null,
    serverContext: object,
    reservation: Reservation,
    id: string,
  ): Promise<Response> => {
    const previous = reservation.operations.get(id);
    if (previous && !previous.stopped && !previous.operation?.signal.aborted)
      return refusal(409, [
        {
          message: `Une opération d’identifiant « ${id} » est déjà en cours sur ce flux : arrêtez-la (DELETE) ou prenez un autre identifiant.`,
        },
      ]);
    const posted = postedOperation();
    reservation.operations.set(id, posted);
    const operation = (serverContext as SseOperationContext).sseOperation;
    try {
      if (previous) await previous.done;
      // Completed by the client while it waited, or the stream is gone: it never runs.
      if (posted.stopped || reservations.get(reservation.token) !== reservation) {
        operation?.abort();
        posted.end();
        return new yoga.fetchAPI.Response(null, { status: 204, statusText: 'No Content' });
      }
      posted.forwarded = true;
      posted.operation = operation;
      postedOf.set(request, posted);
      const [result, init] = await handler(sseRequest(request, body, serverContext));
      if (init.status === 202) {
        posted.accepted = true;
        silence(reservation, id, posted);
        // The stream expired or closed while this operation was being prepared: it was accepted onto nothing.
        if (!reservations.has(reservation.token)) operation?.abort();
      } else {
        // Refused, or completed (DELETE) while prepared: graphql-sse streams nothing of it, and may not have ended
        // what it started (a 204 after `prepare` drops the subscription unreturned): its connection closes here.
        operation?.abort();
        posted.end();
      }
      return answer(result as string | null, init);
    } catch (error) {
      operation?.abort();
      posted.end();
      throw error;
    } finally {
      void posted.done.then(() => {
        if (reservation.operations.get(id) === posted) reservation.operations.delete(id);
      });
    }
  };

  /** Unexpected failures are masked and logged; an outage is UNAVAILABLE (503), a client gone CLIENT_CLOSED_REQUEST, as on /graphql. */
  const failed = (error: unknown): Response => {
    if (error instanceof GraphQLError && typeof error.extensions.code === 'string') return refusal(statusOf(error), [error]);
    if (isClientGone(error)) return refusal(499, [clientGoneError()]);
    if (isUnavailable(error)) {
      logger.warn({ reason: String((error as Error).message ?? error).slice(0, 300) }, 'Request met an outage: UNAVAILABLE');
      return refusal(503, [unavailableError()]);
    }
    logger.error({ err: error }, 'A graphql-sse request failed');
    return refusal(500, [{ message: UNEXPECTED_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  };

  const endpoint: Plugin = {
    onYogaInit({ yoga: instance }) {
      yoga = instance;
      handler = createHandler<Request>({
        // The token a PUT reserves is ours; other requests name theirs (none: distinct-connection mode).
        authenticate: (req) => issued.get(req.raw) ?? streamToken(req) ?? '',
        onSubscribe: async (req, params): Promise<SseResponse | ExecutionResult | AsyncIterable<ExecutionResult>> => {
          const enveloped = yoga.getEnveloped({ ...serverContexts.get(req.raw), request: req.raw, params });
          const stream = req.headers.get('accept') === 'text/event-stream';
          // A document refused before it runs answers like /graphql: an event on an event stream, else a 4xx.
          const refuse = (errors: readonly GraphQLError[]): SseResponse | ExecutionResult =>
            stream
              ? sentResult({ data: undefined, errors })
              : [
                  JSON.stringify({ errors: sentErrors(errors, statusOf(errors[0] as GraphQLError)) }),
                  {
                    status: statusOf(errors[0] as GraphQLError),
                    statusText: 'Bad Request',
                    headers: { 'content-type': 'application/json; charset=utf-8' },
                  },
                ];
          let document: ReturnType<typeof enveloped.parse>;
          try {
            document = enveloped.parse(params.query);
          } catch (error) {
            if (error instanceof GraphQLError) return refuse([error]);
            throw error;
          }
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length > 0) return refuse(errors);
          const contextValue = await enveloped.contextFactory();
          contexts.set(req.raw, contextValue as { connection?: { signal: AbortSignal } });
          const args = {
            schema: enveloped.schema,
            document,
            contextValue,
            variableValues: params.variables,
            operationName: params.operationName,
          };
          const subscription = getOperationAST(document, params.operationName)?.operation === 'subscription';
          const result = (await (subscription ? enveloped.subscribe(args) : enveloped.execute(args))) as
            | ExecutionResult
            | AsyncGenerator<ExecutionResult>;
          // A stream refused as it opens (FORBIDDEN, NOT_FOUND: its generator throws on its first step) or ended
          // with an error delivers it as its last result, then `complete`, as on /graphql: thrown, it would fail the
          // distinct-connection stream's response (logged as a server error, the request left open with its place).
          // Posted operations are wrapped already (`operations.onSubscribeResult`).
          if (isAsyncIterable<ExecutionResult>(result))
            return (contextValue as SseOperationContext).sseOperation ? result : releasing(result);
          // A refusal at execution ({ errors }, no data) is a result all the same: graphql-sse would read it as arguments.
          return 'data' in result ? result : { data: undefined, ...result };
        },
        // A posted operation's `complete` is queued: it ends once graphql-sse's cleanup of its id (a microtask
        // after this hook) has run, so the next operation posted under the id is never touched by it.
        onComplete: (_ctx, req) => {
          const posted = postedOf.get(req.raw);
          if (!posted) return;
          posted.completed = true;
          setImmediate(posted.end);
        },
        // Room for one more result on the stream, else this operation waits (see `Unread`).
        onNext: async (_ctx, req, result) => {
          const token = streamToken(req);
          const unread = distinct.get(req.raw) ?? (token ? reservations.get(token)?.unread : undefined);
          await unread?.room(limits.maxUnreadResults, contexts.get(req.raw)?.connection?.signal);
          return sentResult(result as ExecutionResult);
        },
      });
    },
    onRequest({ request, url, endResponse, serverContext }) {
      if (url.pathname !== SSE_STREAM_PATH) return;
      return handle(request, serverContext).then(endResponse, (error: unknown) => endResponse(failed(error)));
    },
  };
  return { operations, endpoint, unreadResults: () => held.results };
}
