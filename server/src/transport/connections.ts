import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../observability/log.js';

/** What `capConnectionsPerAddress` reports, for metrics and tests. */
export interface ConnectionCap {
  /** Connections open now, all addresses together. */
  readonly open: number;
  /** Connections refused so far because their address was at its cap. */
  readonly refused: number;
}

/**
 * Caps the TCP connections one address holds open on the HTTP server at `maxPerAddress`: plain requests,
 * keep-alive connections, SSE streams and WebSockets alike (a WebSocket keeps the socket its upgrade came on).
 * A connection past the cap is closed as soon as it is accepted, before a byte of it is read or a parser is set up
 * for it, so a burst of slow or idle connections from one address (slow POSTs, sockets that never send) costs one
 * file descriptor each for a moment instead of holding thousands of them, and the event loop is free for others.
 *
 * Nothing is written to a refused connection: an answer would race with the request bytes the kernel is still
 * receiving (closing a socket with unread input resets it, and the client may lose the answer anyway), and
 * waiting for the client to read it would hold its descriptor again. Browsers open at most six connections per
 * origin; `maxPerAddress` leaves room for a shared (NAT) address. The address is the TCP peer's (SECURITY.md).
 *
 * Logged at `info` once when an address reaches its cap, and again only after all its connections closed: not per
 * refused connection (a flood would flood the log); `refused` counts them all (`/metrics`).
 */
export function capConnectionsPerAddress(server: Server, maxPerAddress: number): ConnectionCap {
  const open = new Map<string, number>();
  /** Addresses whose refusal was logged since they were last under their cap. */
  const logged = new Set<string>();
  let total = 0;
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= maxPerAddress) {
      refused += 1;
      socket.destroy();
      if (!logged.has(address)) {
        logged.add(address);
        logger.info({ address, open: count, limit: maxPerAddress }, 'Connections refused: too many open from this address');
      }
      return;
    }
    open.set(address, count + 1);
    total += 1;
    socket.once('close', () => {
      total -= 1;
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else {
        open.delete(address);
        logged.delete(address);
      }
    });
  });
  return {
    get open() {
      return total;
    },
    get refused() {
      return refused;
    },
  };
}
