import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, expect, onTestFailed } from 'vitest';
import WebSocket from 'ws';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import type { Json } from '../support/app.js';
import { CollabClient, sectionScenario } from '../support/collab.js';
import { type Inbox, sseSubscribe, subscribe, wsClient } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid } from '../support/scenario.js';
import { type PostgresService, type Service, startPostgres, startRedis } from '../support/services.js';

/** One GraphQL request over HTTP: its status, body and how long it took. */
export interface Answer {
  status: number;
  body: Json;
  /** The first error's `extensions.code`, if any. */
  code: string | null;
}

/** Posts a GraphQL operation (with an optional `Idempotency-Key`); never throws for a refused connection. */
export async function post(
  baseUrl: string,
  query: string,
  variables: Json,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: response.status, body, code: body?.errors?.[0]?.extensions?.code ?? null };
}

/**
 * Waits, without sleeping blind, until `check` holds: re-evaluated every 50 ms, failing with `what` after a
 * generous `timeoutMs` (the machine may be loaded).
 */
export async function until<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: () => string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once the server process printed a line matching `pattern` (its JSON logs), after `from` characters. */
export function logged(server: ServerProcess, pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<true> {
  return until(
    () => pattern.test(server.output().slice(from)),
    () => `${pattern} in the server's output:\n${server.output().slice(-4000)}`,
    timeoutMs,
  );
}

/** A graphql-ws client that records how its socket closed; no retries, so a test sees each close. */
export function observedClient(baseUrl: string, token: string): { client: Client; closes: number[]; connected: Promise<void> } {
  const closes: number[] = [];
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve) => {
    onConnected = resolve;
  });
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: {
      connected: () => onConnected(),
      closed: (event) => closes.push((event as { code: number }).code),
    },
  });
  return { client, closes, connected };
}

/** Whether the process is still running (it neither exited nor was killed). */
export function alive(server: ServerProcess): boolean {
  return server.process.exitCode === null && server.process.signalCode === null;
}

/** `GET /ready`'s verdict (true on 200, false on 503); null when the server does not answer at all. */
export async function ready(baseUrl: string): Promise<boolean | null> {
  try {
    const response = await fetch(`${baseUrl}/ready`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return null;
  }
}

/** Resolves once every server's `/ready` says `expected`. */
export function readiness(servers: ServerProcess[], expected: boolean, timeoutMs = 60_000): Promise<true> {
  return until(
    async () => (await Promise.all(servers.map((server) => ready(server.url)))).every((verdict) => verdict === expected),
    () => `/ready to turn ${expected}`,
    timeoutMs,
  );
}

/** Two real server processes sharing a throwaway PostgreSQL and Redis, and a database connection of the test's own. */
export interface TwoInstances {
  postgres: PostgresService;
  redis: Service;
  a: ServerProcess;
  b: ServerProcess;
  db: Database;
}

/**
 * Starts, before the file's tests, a throwaway PostgreSQL and Redis (never the shared ones), two server processes
 * on them (logging at info, so that tests can await their lines; `env` adds settings) and a database connection;
 * kills and disposes of everything after. The returned object is filled in once `beforeAll` has run.
 */
export function twoInstances(env: Record<string, string> = {}): TwoInstances {
  const instances = {} as TwoInstances;
  beforeAll(async () => {
    [instances.postgres, instances.redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await instances.postgres.createDatabase();
    const settings = { DATABASE_URL: url, REDIS_URL: instances.redis.url, LOG_LEVEL: 'info', ...env };
    [instances.a, instances.b] = await Promise.all([startServerProcess(settings), startServerProcess(settings)]);
    instances.db = await openDatabase({ databaseUrl: url });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([instances.a?.stop('SIGKILL'), instances.b?.stop('SIGKILL')]);
    await instances.db?.close();
    await Promise.all([instances.postgres?.dispose(), instances.redis?.dispose()]);
  });
  return instances;
}

/** When the running test fails, prints the end (`chars` characters) of both servers' output. */
export function printOutputOnFailure({ a, b }: TwoInstances, chars: number): void {
  onTestFailed(() => {
    process.stderr.write(`--- A\n${a.output().slice(-chars)}\n--- B\n${b.output().slice(-chars)}\n`);
  });
}

/** A collective's section with two members (its animator first), each with a session. */
export async function twoMembers(db: Database) {
  const { members, collective, section } = await sectionScenario(db.prisma, { members: 2 });
  const [animator, other] = members as [(typeof members)[0], (typeof members)[0]];
  const { token } = await openSession(db.prisma, animator.id, 3_600_000);
  const { token: otherToken } = await openSession(db.prisma, other.id, 3_600_000);
  return { collective, section, collectiveId: gid('Collective', collective.id), token, otherToken };
}

export const ACTIVITY = /* GraphQL */ `
  subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) { ... on ActivityEvent { position type } } }
`;
export const UPDATE = /* GraphQL */ `
  mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename } }
`;

/**
 * The collective's activity from the log's head on, subscribed on both instances and both transports: graphql-ws
 * on B with the first member's session, SSE on A with the other's.
 */
export async function activityOnBoth({ a, b, db }: TwoInstances, members: Awaited<ReturnType<typeof twoMembers>>) {
  const head = (await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } }))?.position ?? 0n;
  const variables = { id: members.collectiveId, after: head.toString() };
  const onB = subscribe(wsClient(b.url, members.token), ACTIVITY, variables);
  const onA = sseSubscribe(a.url, members.otherToken, ACTIVITY, variables);
  return { head, onA, onB };
}

/** Two editors of the section, connected: alice on A (the first member), bob on B (the other). */
export async function editorsOnBoth({ a, b }: TwoInstances, members: Awaited<ReturnType<typeof twoMembers>>) {
  const alice = new CollabClient(a.url, members.token, members.section.id);
  const bob = new CollabClient(b.url, members.otherToken, members.section.id);
  await Promise.all([alice.connect(), bob.connect()]);
  return { alice, bob };
}

/** The positions an inbox of `collectiveActivity` received, in order. */
export const positions = (inbox: Inbox): string[] =>
  inbox.received.map((message) => message.collectiveActivity.position as string);

/** The collective's events logged after `head`, in order. */
export function loggedSince(db: Database, collectiveId: string, head: bigint) {
  return db.prisma.eventLog.findMany({ where: { collectiveId, position: { gt: head } }, orderBy: { position: 'asc' } });
}

/** Every subscriber received every logged event once, in order, and no error. */
export async function expectEveryEventOnce(inboxes: Inbox[], logged: ReadonlyArray<{ position: bigint }>): Promise<void> {
  await Promise.all(inboxes.map((inbox) => inbox.waitFor(logged.length)));
  for (const inbox of inboxes) expect(positions(inbox)).toEqual(logged.map((row) => row.position.toString()));
  expect(inboxes.flatMap((inbox) => inbox.errors)).toEqual([]);
}

/** A lock taken from outside the server (`holdLock`): whether it is still held, and its release. */
export interface HeldLock {
  readonly held: boolean;
  /** Ends the holder's transaction (once; later calls do nothing). */
  release(): Promise<void>;
  /** Releases it, then closes the holder's connection. */
  end(): Promise<void>;
  /** How many statements of the test's database wait on a lock now (`pg_stat_activity`). */
  waitingOnLocks(): Promise<number>;
}

/**
 * Takes a lock on the test's PostgreSQL database from a client of its own (an operator's or another program's), in a
 * transaction left open: `statement` (`LOCK TABLE …`, `SELECT … FOR UPDATE`) runs after `BEGIN`. It is released after
 * `safetyMs` whatever happens, so that a request waiting without a deadline cannot hang the test.
 */
export async function holdLock(sql: Database['sql'], statement: string, params: unknown[] = [], safetyMs = 40_000) {
  const [{ name }] = (await sql.query<{ name: string }>('SELECT current_database() AS name')) as [{ name: string }];
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = `/${name}`;
  const holder = new pg.Client({ connectionString: url.toString() });
  await holder.connect();
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await holder.query('ROLLBACK');
  };
  const safety = setTimeout(() => void release(), safetyMs);
  await holder.query('BEGIN');
  await holder.query(statement, params);
  const lock: HeldLock & { holder: pg.Client } = {
    holder,
    get held() {
      return held;
    },
    release,
    end: async () => {
      clearTimeout(safety);
      await release().catch(() => {});
      await holder.end();
    },
    waitingOnLocks: async () => {
      // Read afresh each time: inside the holder's transaction pg_stat_activity is the snapshot of its first read.
      await holder.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await holder.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      return rows[0]?.n ?? 0;
    },
  };
  return lock;
}
