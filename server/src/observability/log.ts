import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';

/** What a request's log lines carry: its id (accepted from `x-request-id` or made here). */
export interface RequestScope {
  reqId: string;
}

/**
 * The request a piece of work belongs to. Entered once per HTTP request (and per graphql-ws operation), so
 * every log line written on its behalf, by whichever module, carries its `reqId` (see `mixin` below).
 */
const scopes = new AsyncLocalStorage<RequestScope>();

/**
 * The server's structured logger: one JSON object per line on stdout (pino), so a log collector can read
 * every field. `LOG_LEVEL` sets the threshold (`info` by default, `silent` to mute, as tests may).
 * Expected refusals (a rule broken, a wrong password) are `info`; `error` is for what an operator must look at.
 * Inside a request, every line carries the request's `reqId`.
 */
export const logger = pino({
  // Quiet inside vitest unless asked: test output stays readable, and server processes keep their own.
  level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  base: { service: 'collectifs' },
  timestamp: pino.stdTimeFunctions.isoTime,
  mixin: () => {
    const scope = scopes.getStore();
    return scope ? { reqId: scope.reqId } : {};
  },
});

export type Logger = typeof logger;

/** Longest request id accepted from a client; longer or odd ones are replaced (they end up in every log line). */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * The id of a request: the caller's `x-request-id` when it is a plain token (a proxy or client that already
 * has one, so their logs and ours join up), a new UUID otherwise.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && REQUEST_ID.test(given) ? given : flatText(randomUUID());
}

/**
 * `text` as one flat string when it is Latin-1 (as request ids and connection ids are), else as it is. For texts
 * kept as long as a connection: Node's `randomUUID()` returns a rope of 14 concatenated pieces (~490 B of heap
 * against 56 B flat) and a template literal is a rope too, so each idle subscriber held ~0.9 KB of such ropes in
 * its connection id and request ids (issue 11, heap snapshot of bench/fanout).
 */
export function flatText(text: string): string {
  const flat = Buffer.from(text, 'latin1').toString('latin1');
  return flat === text ? flat : text;
}

/** Runs `work` as part of the request `reqId`: every log line it writes, now or later in its promises, carries it. */
export function inRequest<T>(reqId: string, work: () => T): T {
  return scopes.run({ reqId }, work);
}

/** The id of the request being served here, if any. */
export function currentRequestId(): string | undefined {
  return scopes.getStore()?.reqId;
}
