import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { subscribe, wsClient } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { makeMember } from '../support/scenario.js';
import { type PostgresService, type Service, startPostgres, startRedis } from '../support/services.js';
import { until } from '../support/waits.js';

// A real server process on throwaway PostgreSQL and Redis, so that both can be stopped under it. It brings its
// own services, so the PostgreSQL pass of the suites (DATABASE_URL set) would only repeat it.
const repeat = Boolean(process.env.DATABASE_URL);
let postgres: PostgresService;
let redis: Service;
let server: ServerProcess;
let db: Database;
let token: string;
const clients: Client[] = [];

beforeAll(async () => {
  if (repeat) return;
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const databaseUrl = await postgres.createDatabase();
  server = await startServerProcess({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url, LOG_LEVEL: 'debug' });
  db = await openDatabase({ databaseUrl });
  const member = await makeMember(db.prisma);
  token = (await openSession(db.prisma, member.id, 3_600_000)).token;
}, 180_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server?.stop();
  await db?.close();
  await Promise.all([postgres?.dispose(), redis?.dispose()]);
});

/** The server's log lines so far, parsed (the start-up banner is not JSON). */
function logLines(): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Asks `/ready` until its answer is `ready` (each answer comes from real checks; the loop only waits for a change). */
async function readyBecomes(ready: boolean): Promise<{ ready: boolean; checks: Record<string, string> }> {
  return until(
    async () => {
      const response = await fetch(`${server.url}/ready`);
      const body = (await response.json()) as { ready: boolean; checks: Record<string, string> };
      expect(response.status).toBe(body.ready ? 200 : 503);
      return body.ready === ready && body;
    },
    `/ready to answer ready: ${ready}`,
    { everyMs: 50 },
  );
}

/** `/metrics` once its text matches `pattern` (a count the server updates as sockets and streams come and go). */
async function metricsWhere(pattern: RegExp): Promise<string> {
  return until(async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return pattern.test(text) && text;
  }, `/metrics to show ${pattern}`);
}

describe.skipIf(repeat)('Health and readiness', () => {
  it('should answer /health while the process lives', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('should be ready when the database and Redis answer', async () => {
    const response = await fetch(`${server.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, checks: { database: 'ok', redis: 'ok' } });
  });

  it('should turn not ready while PostgreSQL is down, and ready again after', async () => {
    onTestFailed(() => console.error(server.output().slice(-4000)));
    await postgres.stop();
    const down = await readyBecomes(false);
    expect(down.ready).toBe(false);
    expect(down.checks.database).not.toBe('ok');
    expect(down.checks.redis).toBe('ok');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await postgres.start();
    expect((await readyBecomes(true)).ready).toBe(true);
  }, 120_000);

  it('should turn not ready while Redis is down, and ready again after', async () => {
    onTestFailed(() => console.error(server.output().slice(-4000)));
    await redis.stop();
    const down = await readyBecomes(false);
    expect(down).toMatchObject({ ready: false, checks: { database: 'ok' } });
    expect(down.checks.redis).not.toBe('ok');
    await redis.start();
    expect((await readyBecomes(true)).ready).toBe(true);
  }, 120_000);
});

describe.skipIf(repeat)('Request ids and logs', () => {
  it('should echo the caller’s x-request-id, or give one', async () => {
    const given = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'probe-42' } });
    expect(given.headers.get('x-request-id')).toBe('probe-42');
    const made = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'not a token\u00e9' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should log a refusal as info, with the request id on every line of the request', async () => {
    const reqId = `refusal-${Date.now()}`;
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': reqId },
      body: JSON.stringify({ query: '{ sectionsAssignedToMe { id } }' }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
    const code = body.errors?.[0]?.extensions.code;
    expect(code).toBeDefined();
    // The access line is written when the response closes: wait for it rather than for time.
    await until(() => logLines().some((line) => line.reqId === reqId && line.msg === 'HTTP request'), 'the access line');
    // Every line of the request carries its id: Yoga's own (debug), the refusal, the access line.
    const lines = logLines().filter((line) => line.reqId === reqId);
    expect(lines.filter((line) => !String(line.msg).startsWith('GraphQL server: '))).toMatchObject([
      { level: 30, code, operation: 'sectionsAssignedToMe', msg: expect.stringMatching(/^Refused: /) },
      { level: 20, msg: 'HTTP request', method: 'POST', path: '/graphql', status: 200 },
    ]);
    expect(lines.length).toBeGreaterThan(2);
    expect(logLines().filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('should answer an argument its validation refuses as BAD_USER_INPUT, logged as a refusal, on HTTP and graphql-ws alike', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ dashboard(withinDays: 9999) { __typename } }' }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
    expect(body.errors?.map((error) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);

    // Over graphql-ws the refused subscription is an `error` message, like every other refusal, not `next` then `complete`.
    const client = wsClient(server.url, token, { lazy: false });
    clients.push(client);
    const answer = await new Promise<{ kind: string; codes: unknown[] }>((resolve) => {
      client.subscribe(
        { query: 'subscription { dashboard(withinDays: 2147483647) { __typename } }' },
        {
          next: (result) => resolve({ kind: 'next', codes: (result.errors ?? []).map((error) => error.extensions?.code) }),
          error: (error) =>
            resolve({
              kind: 'error',
              codes: (Array.isArray(error) ? error : [error]).map(
                (e) => (e as { extensions?: { code?: unknown } }).extensions?.code,
              ),
            }),
          complete: () => resolve({ kind: 'complete', codes: [] }),
        },
      );
    });
    expect(answer).toEqual({ kind: 'error', codes: ['BAD_USER_INPUT'] });
    await client.dispose();

    // The lines are written before the answers are sent, but reach this process through another pipe.
    const refusalLines = () => logLines().filter((line) => line.operation === 'dashboard' && line.code === 'BAD_USER_INPUT');
    await until(
      () => refusalLines().length >= 2,
      () => `two refusal lines: ${JSON.stringify(refusalLines())}`,
    );
    const refusals = refusalLines();
    expect(refusals.map((line) => line.level)).toEqual([30, 30]);
    expect(logLines().filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

describe.skipIf(repeat)('Metrics', () => {
  it('should expose requests, latency, sockets, subscribers per stream kind, documents, lag and update-log rows', async () => {
    const client = wsClient(server.url, token, { lazy: false });
    clients.push(client);
    const feed = subscribe(client, 'subscription { myFeed { __typename } }');
    // The subscription is registered once the server counts it: read /metrics until it does.
    let text = await metricsWhere(/collectifs_subscribers\{kind="myFeed"\} 1/);
    expect(text).toMatch(/collectifs_subscribers\{kind="myFeed"\} 1/);
    expect(text).toMatch(/collectifs_websockets_open 1/);
    expect(text).toMatch(/collectifs_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(text).toMatch(/collectifs_http_request_duration_seconds_bucket\{le="0\.01",method="POST",route="graphql"\} \d+/);
    expect(text).toMatch(/collectifs_graphql_errors_total\{code="[A-Z_]+"\} \d+/);
    expect(text).toMatch(
      /graphql_envelop_request_duration_bucket\{le="0\.005",operationName="Anonymous",operationType="query"\} \d+/,
    );
    expect(text).toMatch(/collectifs_documents_open 0/);
    expect(text).toMatch(/collectifs_update_log_rows 0/);
    expect(text).toMatch(/# TYPE collectifs_event_delivery_lag_seconds histogram/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);

    feed.stop();
    text = await metricsWhere(/collectifs_subscribers\{kind="myFeed"\} 0/);
    expect(text).toMatch(/collectifs_subscribers\{kind="myFeed"\} 0/);
  }, 60_000);
});
