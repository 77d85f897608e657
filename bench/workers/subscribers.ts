// Subscribers in a client process of their own: graphql-ws clients (one socket each, as browsers have), or
// bare WebSocket sockets for the baseline. Each message carries a marker (`<tag> <k>` in the event payload's
// `name`): the worker records when each subscriber received each marker, so the parent counts what was
// missed or duplicated and computes latencies against the instants it sent them.
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { serveCommands } from '../lib/processes.js';
import { now } from '../lib/stats.js';

interface OpenArgs {
  /** graphql-ws URLs (subscriber i uses urls[i % urls.length]) or, with `bare`, plain WebSocket URLs. */
  urls: string[];
  bare: boolean;
  count: number;
  token: string;
  query: string;
  variables: Record<string, unknown>;
  /** The prefix of this run's markers. */
  tag: string;
}

interface Subscriber {
  /** Receipt instants per marker number (−1: a warm-up). */
  received: Map<number, number[]>;
  warm: boolean;
  /** Its socket closed: it can receive nothing more (what it misses counts as missed), so nobody waits for it. */
  closed: boolean;
}

let subscribers: Subscriber[] = [];
let clients: Client[] = [];
let sockets: WebSocket[] = [];
let closedEarly = 0;
let errors: string[] = [];
const waiters = new Set<() => void>();

/** How long a socket may wait for `connection_ack` (ms): opening 10,000 on a busy embedded database takes a minute. */
const ACK_WAIT_MS = 180_000;

/** A short description of a socket failure (an Error, a CloseEvent or an ErrorEvent). */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const event = error as { code?: number; reason?: string; message?: string };
  return event.code !== undefined ? `closed ${event.code} ${event.reason ?? ''}`.trim() : String(event.message ?? error);
}

function markerOf(name: unknown, tag: string): number | null {
  if (typeof name !== 'string' || !name.startsWith(`${tag} `)) return null;
  const rest = name.slice(tag.length + 1);
  return rest === 'warm' ? -1 : Number(rest);
}

function record(subscriber: Subscriber, name: unknown, tag: string): void {
  const at = now();
  const marker = markerOf(name, tag);
  if (marker === null) return;
  if (marker === -1) subscriber.warm = true;
  else {
    const times = subscriber.received.get(marker) ?? [];
    times.push(at);
    subscriber.received.set(marker, times);
  }
  for (const wake of waiters) wake();
}

async function open(args: OpenArgs): Promise<{ openedMs: number }> {
  const started = performance.now();
  subscribers = [];
  errors = [];
  closedEarly = 0;
  const opened: Promise<void>[] = [];
  for (let i = 0; i < args.count; i += 1) {
    const subscriber: Subscriber = { received: new Map(), warm: false, closed: false };
    subscribers.push(subscriber);
    const url = args.urls[i % args.urls.length] as string;
    if (args.bare) {
      const socket = new WebSocket(url);
      sockets.push(socket);
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as {
          payload?: { data?: { collectiveActivity?: { payload?: { name?: string } } } };
        };
        record(subscriber, message.payload?.data?.collectiveActivity?.payload?.name, args.tag);
      });
      socket.on('error', (error) => errors.push(String(error)));
      socket.on('close', () => {
        closedEarly += 1;
        subscriber.closed = true;
        for (const wake of waiters) wake();
      });
      opened.push(
        new Promise<void>((resolve) => {
          socket.once('open', () => resolve());
          socket.once('error', () => resolve());
        }),
      );
      continue;
    }
    opened.push(
      new Promise<void>((resolve) => {
        const client = createClient({
          url,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${args.token}` },
          lazy: false,
          retryAttempts: 0,
          // A socket the server never acknowledges counts as closed (4504) instead of holding the run forever.
          connectionAckWaitTimeout: ACK_WAIT_MS,
          // The default prints every failed socket's whole event; the run reports a count and the first few.
          onNonLazyError: (error) => errors.push(describe(error)),
          // The benchmark counts every loss: nothing must reconnect behind its back.
          on: {
            connected: () => resolve(),
            closed: (event) => {
              const code = (event as { code?: number }).code;
              if (code !== 1000) closedEarly += 1;
              subscriber.closed = true;
              for (const wake of waiters) wake();
              resolve();
            },
          },
        });
        clients.push(client);
        client.subscribe<{ collectiveActivity: { payload?: { name?: string } } }>(
          { query: args.query, variables: args.variables },
          {
            next: (result) => {
              if (result.errors) errors.push(JSON.stringify(result.errors));
              record(subscriber, result.data?.collectiveActivity?.payload?.name, args.tag);
            },
            error: (error) => errors.push(describe(error)),
            complete: () => {},
          },
        );
      }),
    );
  }
  await Promise.all(opened);
  return { openedMs: performance.now() - started };
}

/** Resolves once `check` holds, or after `timeoutMs`; returns whether it held. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const wake = () => {
        waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(wake, Math.min(left, 50));
      waiters.add(wake);
    });
  }
  return true;
}

serveCommands({
  open,
  /** How many subscribers have received a warm-up message (their subscription is live). */
  warm: () => subscribers.filter((s) => s.warm).length,
  /** How many subscribers are warm or closed (nothing more to wait for before measuring). */
  settled: () => subscribers.filter((s) => s.warm || s.closed).length,
  /**
   * Resolves when every subscriber here whose socket is open received marker `k` (or after the timeout): the
   * number that did. A closed one is not waited for (each change would otherwise last the whole timeout).
   */
  waitMarker: async ({ k, timeoutMs }: { k: number; timeoutMs: number }) => {
    await until(() => subscribers.every((s) => s.received.has(k) || s.closed), timeoutMs);
    return subscribers.filter((s) => s.received.has(k)).length;
  },
  /** For markers 0…changes−1: receipt instants (first receipt per subscriber), missed and duplicated counts. */
  collect: ({ changes }: { changes: number }) => {
    const firsts: number[][] = Array.from({ length: changes }, () => []);
    let missed = 0;
    let duplicated = 0;
    for (const subscriber of subscribers) {
      for (let k = 0; k < changes; k += 1) {
        const times = subscriber.received.get(k);
        if (!times) missed += 1;
        else {
          (firsts[k] as number[]).push(times[0] as number);
          duplicated += times.length - 1;
        }
      }
    }
    return { firsts, missed, duplicated, closedEarly, errors: errors.slice(0, 5), errorCount: errors.length };
  },
  close: async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    for (const socket of sockets) socket.terminate();
    clients = [];
    sockets = [];
    subscribers = [];
    return true;
  },
});
