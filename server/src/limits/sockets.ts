import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { Limits } from '../config.js';
import { logger } from '../observability/log.js';
import { clientAddress } from './callers.js';
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
  /** The key each open socket holds a place under (its address until admitted, then its member or address). */
  readonly #held = new WeakMap<WebSocket, string>();
  /** Sockets whose connection_init was accepted: past it, messages may be as large as ws' `maxPayload`. */
  readonly #admitted = new WeakSet<WebSocket>();

  constructor(
    readonly limits: Limits['ws'],
    readonly maxJsonDepth: number,
  ) {}

  /**
   * Counts a new socket against its address; past the per-address limit it is closed 4429 and false is
   * returned. The place is kept until `admit` moves it, or the socket closes.
   */
  arrive(socket: WebSocket, request: IncomingMessage): boolean {
    const key = `address:${clientAddress(request)}`;
    if (!this.#take(key)) {
      logger.info({ limit: 'wsSocketsPerUser', key }, 'Socket closed by a limit');
      socket.close(CLOSE_TOO_MANY, 'Trop de sockets ouverts');
      return false;
    }
    this.#held.set(socket, key);
    socket.once('close', () => {
      const held = this.#held.get(socket);
      this.#held.delete(socket);
      if (held !== undefined) this.#release(held);
    });
    return true;
  }

  #take(key: string): boolean {
    const open = this.#open.get(key) ?? 0;
    if (open >= this.limits.maxSocketsPerUser) return false;
    this.#open.set(key, open + 1);
    return true;
  }

  #release(key: string): void {
    const left = (this.#open.get(key) ?? 1) - 1;
    if (left > 0) this.#open.set(key, left);
    else this.#open.delete(key);
  }

  /**
   * Checks each message a socket sends before any listener (graphql-ws') sees it: the socket's `emit` of
   * `message` is filtered, so a refused message is never parsed, and nothing the socket sends after is read.
   * Messages are counted in fixed one-second windows; size and JSON depth are scanned linearly.
   */
  watchMessages(socket: WebSocket, request: IncomingMessage): void {
    let windowStart = performance.now();
    let count = 0;
    let refused = false;
    const refuse = (limit: string, code: number, reason: string) => {
      logger.info({ limit, address: clientAddress(request) }, 'Socket closed by a limit');
      refused = true;
      socket.close(code, reason);
      return false;
    };
    const accept = (data: WebSocket.RawData): boolean => {
      if (refused) return false;
      const now = performance.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        count = 0;
      }
      count += 1;
      if (count > this.limits.maxMessagesPerSecond)
        return refuse('wsMessagesPerSecond', CLOSE_TOO_MANY, 'Trop de messages par seconde');
      const bytes = messageBytes(data);
      if (!this.#admitted.has(socket) && bytes.length > this.limits.maxInitPayloadBytes)
        return refuse('wsInitPayloadBytes', CLOSE_TOO_BIG, 'Message trop volumineux avant connection_init');
      if (jsonTooDeep(bytes, this.maxJsonDepth)) return refuse('jsonDepth', CLOSE_BAD_REQUEST, 'JSON imbriqué trop profondément');
      return true;
    };
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string | symbol, ...args: unknown[]) =>
      event === 'message' && !accept(args[0] as WebSocket.RawData) ? false : emit(event, ...args)) as typeof socket.emit;
  }

  /**
   * Admits a socket for `key` (a member, or an address) once its connection_init is accepted: its place moves
   * from its address to `key` while fewer than the limit are open there, and is released when it closes; a
   * socket past the limit is closed 4429 and false is returned.
   */
  admit(socket: WebSocket, key: string): boolean {
    // Closed while it authenticated: nothing to count (its close event has passed).
    if (socket.readyState !== socket.OPEN) return false;
    const held = this.#held.get(socket);
    if (held !== key) {
      if (!this.#take(key)) {
        logger.info({ limit: 'wsSocketsPerUser', key }, 'Socket closed by a limit');
        socket.close(CLOSE_TOO_MANY, 'Trop de sockets ouverts');
        return false;
      }
      if (held !== undefined) this.#release(held);
      this.#held.set(socket, key);
    }
    this.#admitted.add(socket);
    return true;
  }
}

/** A ws message's bytes (ws hands a Buffer, an ArrayBuffer or, fragmented, an array of Buffers). */
function messageBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
