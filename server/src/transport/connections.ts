import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { logger } from '../observability/log.js';

/** What `capConnections` reports, for metrics and tests. */
export interface ConnectionCap {
  /** Connections open now, all addresses together. */
  readonly open: number;
  /** Connections refused so far because their address was at its cap (`HTTP_MAX_CONNECTIONS_PER_ADDRESS`). */
  readonly refused: number;
  /** Connections refused so far because the server as a whole was at its cap (`HTTP_MAX_CONNECTIONS`). */
  readonly refusedTotal: number;
}

/** The limits `capConnections` applies (`HttpLimits`). */
export interface ConnectionLimits {
  /** Connections one address may hold open at once. */
  maxPerAddress: number;
  /** Connections all addresses together may hold open at once. */
  max: number;
}

/**
 * Caps the TCP connections the HTTP server holds open: `max` in all (Node's own `server.maxConnections`: a connection
 * past it is closed by Node as it is accepted, before a socket object is even made for it), and `maxPerAddress` for
 * one address: plain requests, keep-alive connections, SSE streams and WebSockets alike (a WebSocket keeps the socket
 * its upgrade came on). A connection past a cap is closed as soon as it is accepted, before a byte of it is read or
 * a parser is set up for it, so a burst of slow or idle connections (slow POSTs, sockets that never send) costs one
 * file descriptor each for a moment instead of holding thousands of them, and the event loop is free for others.
 * The total cap is what many addresses together (a botnet, a misbehaving proxy) meet: the process keeps descriptors
 * for its database, files and logs, and the connections already open (keep-alive, live streams) go on being served.
 *
 * Nothing is written to a refused connection: an answer would race with the request bytes the kernel is still
 * receiving (closing a socket with unread input resets it, and the client may lose the answer anyway), and
 * waiting for the client to read it would hold its descriptor again. Browsers open at most six connections per
 * origin; `maxPerAddress` leaves room for a shared (NAT) address. The address is the TCP peer's (SECURITY.md).
 *
 * Logged at `info` once when an address reaches its cap, and again only after all its connections closed; at `warn`
 * once when the server reaches its total cap, and again only after it went back under it: not per refused
 * connection (a flood would flood the log); `refused` and `refusedTotal` count them all (`/metrics`).
 */
export function capConnections(server: Server, limits: ConnectionLimits): ConnectionCap {
  const { maxPerAddress, max } = limits;
  const open = new Map<string, number>();
  /** Addresses whose refusal was logged since they were last under their cap. */
  const logged = new Set<string>();
  let total = 0;
  let refused = 0;
  let refusedTotal = 0;
  let loggedFull = false;
  server.maxConnections = max;
  // Node closed a connection on arrival: the server had `maxConnections` open.
  server.on('drop', (data?: { remoteAddress?: string }) => {
    refusedTotal += 1;
    if (loggedFull) return;
    loggedFull = true;
    logger.warn(
      { address: data?.remoteAddress, open: total, limit: max },
      'Connections refused: the server holds HTTP_MAX_CONNECTIONS open',
    );
  });
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
      if (total < max) loggedFull = false;
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
    get refusedTotal() {
      return refusedTotal;
    },
  };
}
