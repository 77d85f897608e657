import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import type { Limits } from '../config.js';
import { logger } from '../observability/log.js';
import { jsonTooDeep } from './json.js';

/** Close code for a socket past one of its limits (TEAM conventions: 4429 "too many"). */
export const CLOSE_TOO_MANY = 4429;
/** Close code for a message that is refused unread (graphql-ws' own code for a bad request). */
export const CLOSE_BAD_REQUEST = 4400;
/** Close code for a message too large (RFC 6455 "message too big"; ws' own for `maxPayload`). */
export const CLOSE_TOO_BIG = 1009;

/**
 * What one graphql-ws socket and one user may hold, checked on each message before graphql-ws reads it:
 * - messages per second per socket (past it the socket is closed 4429 and nothing more it sends is read);
 * - message size: `maxInitPayloadBytes` until the socket's connection_init is accepted (then ws' `maxPayload`);
 *   past it the socket is closed 1009;
 * - JSON nesting: a message nested deeper than `maxJsonDepth` levels closes the socket 4400 unparsed;
 * - open sockets per member, or per address without a session — and every socket counts against its address
 *   from the moment it opens until its connection_init is accepted (past it the socket is closed 4429).
 * Operations per socket are counted in the transport's `onSubscribe`.
 */
export class SocketLimits {
  readonly #open = new Map<string, number>();

  constructor(
    readonly limits: Limits['ws'],
    readonly maxJsonDepth: number,
  ) {}

  /**
   * Counts a new socket (from `address`, its TCP peer's) against its address; past the per-address limit it is
   * closed 4429 and false is returned. The place is kept until `admit` moves it, or the socket closes.
   */
  arrive(socket: WebSocket, address: string): boolean {
    const key = `address:${address}`;
    if (!this.#take(key)) {
      logger.info({ limit: 'wsSocketsPerUser', key }, 'Socket closed by a limit');
      socket.close(CLOSE_TOO_MANY, 'Trop de sockets ouverts');
      return false;
    }
    // One object per socket and listeners shared by every socket (issue 11: thousands of idle subscribers each
    // held the closures, their scopes, and a `once` wrapper with its bound function).
    (socket as WatchedSocket)[WATCH] = new SocketWatch(this, address, key);
    socket.on('close', releaseOnClose);
    return true;
  }

  #take(key: string): boolean {
    const open = this.#open.get(key) ?? 0;
    if (open >= this.limits.maxSocketsPerUser) return false;
    this.#open.set(key, open + 1);
    return true;
  }

  /** Gives back a place taken under `key` (`#take`). */
  release(key: string): void {
    const left = (this.#open.get(key) ?? 1) - 1;
    if (left > 0) this.#open.set(key, left);
    else this.#open.delete(key);
  }

  /**
   * Checks each message a socket (counted by `arrive`) sends before any listener (graphql-ws') sees it: the
   * socket's `emit` of `message` is filtered, so a refused message is never parsed, and nothing the socket sends
   * after is read. Messages are counted in fixed one-second windows; size and JSON depth are scanned linearly.
   */
  watchMessages(socket: WebSocket): void {
    const watch = (socket as WatchedSocket)[WATCH];
    if (!watch) return;
    watch.watching = true;
    socket.emit = watchedEmit as typeof socket.emit;
  }

  /**
   * Admits a socket for `key` (a member, or an address) once its connection_init is accepted: its place moves
   * from its address to `key` while fewer than the limit are open there, and is released when it closes; a
   * socket past the limit is closed 4429 and false is returned.
   */
  admit(socket: WebSocket, key: string): boolean {
    // Closed while it authenticated: nothing to count (its close event has passed).
    if (socket.readyState !== socket.OPEN) return false;
    const watch = (socket as WatchedSocket)[WATCH];
    const held = watch?.held;
    if (held !== key) {
      if (!this.#take(key)) {
        logger.info({ limit: 'wsSocketsPerUser', key }, 'Socket closed by a limit');
        socket.close(CLOSE_TOO_MANY, 'Trop de sockets ouverts');
        return false;
      }
      if (held !== undefined) this.release(held);
      if (watch) watch.held = key;
    }
    if (watch) watch.admitted = true;
    return true;
  }
}

/** Where a socket's `SocketWatch` is kept on it. */
const WATCH = Symbol('socketWatch');

type WatchedSocket = WebSocket & { [WATCH]?: SocketWatch };

/** One socket's place and message window (`SocketLimits`). */
class SocketWatch {
  /** The key its place is held under (its address until admitted, then its member or address); undefined once released. */
  held: string | undefined;
  /** Its connection_init was accepted: past it, messages may be as large as ws' `maxPayload`. */
  admitted = false;
  watching = false;
  refused = false;
  windowStart = performance.now();
  count = 0;

  constructor(
    readonly owner: SocketLimits,
    readonly address: string,
    key: string,
  ) {
    this.held = key;
  }

  accept(socket: WebSocket, data: WebSocket.RawData): boolean {
    if (this.refused) return false;
    const limits = this.owner.limits;
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    if (this.count > limits.maxMessagesPerSecond)
      return this.#refuse(socket, 'wsMessagesPerSecond', CLOSE_TOO_MANY, 'Trop de messages par seconde');
    const bytes = messageBytes(data);
    if (!this.admitted && bytes.length > limits.maxInitPayloadBytes)
      return this.#refuse(socket, 'wsInitPayloadBytes', CLOSE_TOO_BIG, 'Message trop volumineux avant connection_init');
    if (jsonTooDeep(bytes, this.owner.maxJsonDepth))
      return this.#refuse(socket, 'jsonDepth', CLOSE_BAD_REQUEST, 'JSON imbriqué trop profondément');
    return true;
  }

  #refuse(socket: WebSocket, limit: string, code: number, reason: string): false {
    logger.info({ limit, address: this.address }, 'Socket closed by a limit');
    this.refused = true;
    socket.close(code, reason);
    return false;
  }
}

/** A watched socket's `emit` (shared by all): a `message` its watch refuses reaches no listener. */
function watchedEmit(this: WatchedSocket, event: string | symbol, ...args: unknown[]): boolean {
  const watch = this[WATCH];
  if (event === 'message' && watch?.watching && !watch.accept(this, args[0] as WebSocket.RawData)) return false;
  return EventEmitter.prototype.emit.call(this, event, ...args);
}

/** A counted socket's `close` listener (shared by all): its place is given back. */
function releaseOnClose(this: WatchedSocket): void {
  const watch = this[WATCH];
  const held = watch?.held;
  if (!watch || held === undefined) return;
  watch.held = undefined;
  watch.owner.release(held);
}

/** A ws message's bytes (ws hands a Buffer, an ArrayBuffer or, fragmented, an array of Buffers). */
function messageBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
