import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { Limits } from '../config.js';
import { logger } from '../observability/log.js';
import { clientAddress } from './callers.js';

/** Close code for a socket past one of its limits (TEAM conventions: 4429 "too many"). */
export const CLOSE_TOO_MANY = 4429;

/**
 * What one graphql-ws socket and one user may hold: messages per second per socket (past it the socket is
 * closed 4429 and nothing more it sends is read) and open sockets per member, or per address before or
 * without a session (past it the new socket is closed 4429). Message size is ws' `maxPayload` and operations
 * per socket are counted in the transport's `onSubscribe`.
 */
export class SocketLimits {
  readonly #open = new Map<string, number>();

  constructor(readonly limits: Limits['ws']) {}

  /**
   * Counts the messages a socket sends in fixed one-second windows. The check is synchronous and comes before
   * graphql-ws' own listener, so a flood is cut at the message that crosses the limit, not a chunk later.
   */
  watchMessages(socket: WebSocket, request: IncomingMessage): void {
    let windowStart = performance.now();
    let count = 0;
    const onMessage = () => {
      const now = performance.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        count = 0;
      }
      count += 1;
      if (count <= this.limits.maxMessagesPerSecond) return;
      logger.info({ limit: 'wsMessagesPerSecond', address: clientAddress(request) }, 'Socket closed by a limit');
      // Stop reading this socket at once: graphql-ws' listener still sees this one message, none after it.
      socket.removeAllListeners('message');
      socket.close(CLOSE_TOO_MANY, 'Too many messages');
    };
    socket.prependListener('message', onMessage);
  }

  /**
   * Admits a socket for `key` (a member, or an address) while fewer than the limit are open, releasing its
   * place when it closes; a socket past the limit is closed 4429 and false is returned.
   */
  admit(socket: WebSocket, key: string): boolean {
    // Closed while it authenticated: nothing to count (its close event has passed).
    if (socket.readyState !== socket.OPEN) return false;
    const open = this.#open.get(key) ?? 0;
    if (open >= this.limits.maxSocketsPerUser) {
      logger.info({ limit: 'wsSocketsPerUser', key }, 'Socket closed by a limit');
      socket.close(CLOSE_TOO_MANY, 'Too many sockets');
      return false;
    }
    this.#open.set(key, open + 1);
    socket.once('close', () => {
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    });
    return true;
  }
}
