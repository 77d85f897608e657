import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import type { Json } from '../support/app.js';
import { errorCodes, type StreamResult, singleStream, sseSubscribe } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { type PostgresService, startPostgres } from '../support/services.js';
import { ACTIVITY, alive, post, readiness, twoMembers, UPDATE, until } from './support.js';

/**
 * GraphQL over SSE meeting a PostgreSQL outage (issue 9): a graphql-sse stream on `/graphql/stream`, in both of its
 * modes, and a subscription over SSE on `/graphql`, with a real server process on a throwaway PostgreSQL stopped
 * under them. Whatever meets the outage (reserving a stream, posting an operation onto an open one, a subscription
 * on a connection of its own) is answered `UNAVAILABLE` (retryable), never `INTERNAL_SERVER_ERROR`; the stream opened
 * before goes on once PostgreSQL is back.
 */
let postgres: PostgresService;
let server: ServerProcess;
let db: Database;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.createDatabase();
  server = await startServerProcess({ DATABASE_URL: url, LOG_LEVEL: 'info', EVENT_POLL_MS: '200' });
  db = await openDatabase({ databaseUrl: url });
}, 180_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await db?.close();
  await postgres?.dispose();
});

/** The codes of a refusal's JSON body (`{ errors }`). */
const codesOf = (body: Json): string[] =>
  ((body?.errors ?? []) as Array<{ extensions?: { code?: string } }>).map((error) => String(error.extensions?.code));

/**
 * A subscription on a graphql-sse connection of its own (distinct-connections mode on `/graphql/stream`): the codes
 * it was answered with, refused at once (a JSON body) or as the first result of its event stream.
 */
async function distinctSubscription(token: string, variables: Record<string, unknown>): Promise<string[]> {
  const response = await fetch(`${server.url}/graphql/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: ACTIVITY, variables }),
  });
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return codesOf(JSON.parse(text));
  const data = /^event: next\ndata: (.*)$/m.exec(text)?.[1];
  return data ? codesOf(JSON.parse(data)) : [`no result: ${text.slice(0, 200)}`];
}

describe('GraphQL over SSE during a PostgreSQL outage', () => {
  it('should answer UNAVAILABLE to what meets it on /graphql/stream and /graphql, and go on once it is back', async () => {
    onTestFailed(() => {
      process.stderr.write(`--- server\n${server.output().slice(-8000)}\n`);
    });
    const members = await twoMembers(db);
    const { collectiveId, token } = members;
    const head = ((await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } }))?.position ?? 0n).toString();
    const variables = { id: collectiveId, after: head };

    // A single-connection stream opened before the outage, following the collective's activity.
    const stream = await singleStream(server.url, token);
    const results: StreamResult[] = [];
    stream.read((result) => results.push(result));
    const of = (id: string) => results.filter((result) => result.id === id);
    expect((await stream.post('activity', ACTIVITY, variables)).status).toBe(202);
    const before = await post(server.url, UPDATE, { id: collectiveId, p: 'Avant la panne' }, token);
    expect(before.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    await until(
      () => of('activity').length === 1,
      () => `the stream's first event: ${JSON.stringify(results)}`,
    );

    // ── The outage ──
    await postgres.stop();
    await readiness([server], false);

    // Reserving a stream reads the session: 503 UNAVAILABLE.
    const reserved = await fetch(`${server.url}/graphql/stream`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
    });
    const reservedBody = (await reserved.json()) as Json;
    expect([reserved.status, codesOf(reservedBody)]).toEqual([503, ['UNAVAILABLE']]);

    // Operations posted onto the open stream: refused at once (503), or accepted and answered on the stream.
    for (const [id, query] of [
      ['late', ACTIVITY],
      ['query', '{ viewer { id } }'],
    ] as const) {
      const answer = await stream.post(id, query, id === 'late' ? variables : {});
      if (answer.status === 202) {
        await until(
          () => of(id).length > 0,
          () => `a result for ${id}: ${JSON.stringify(results)}`,
        );
        expect(
          of(id).map((result) => codesOf(result.payload)),
          id,
        ).toEqual([['UNAVAILABLE']]);
      } else expect([answer.status, codesOf(answer.body)], id).toEqual([503, ['UNAVAILABLE']]);
    }

    // A subscription on a connection of its own, on /graphql/stream and on /graphql.
    expect(await distinctSubscription(token, variables)).toEqual(['UNAVAILABLE']);
    const onGraphql = sseSubscribe(server.url, token, ACTIVITY, variables);
    await until(
      () => onGraphql.inbox.errors.length > 0 || onGraphql.inbox.completed,
      () => `the SSE subscription on /graphql to be answered: ${JSON.stringify(onGraphql.inbox.received)}`,
    );
    expect(errorCodes(onGraphql.inbox)).toEqual(['UNAVAILABLE']);
    onGraphql.stop();
    expect(alive(server)).toBe(true);

    // ── Back ──
    await postgres.start();
    await readiness([server], true);
    const after = await until(
      async () => {
        const answer = await post(server.url, UPDATE, { id: collectiveId, p: 'Après la panne' }, token);
        return answer.code === 'UNAVAILABLE' ? null : answer;
      },
      () => 'a mutation to succeed after the restart',
    );
    expect(after.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    // The stream opened before the outage goes on: its subscription gets the new event, and a retry works.
    await until(
      () => of('activity').length === 2,
      () => `the stream's event after the restart: ${JSON.stringify(results)}`,
    );
    expect((await stream.post('retried', ACTIVITY, variables)).status).toBe(202);
    await until(
      () => of('retried').length === 2,
      () => `the retried subscription's events: ${JSON.stringify(results)}`,
    );
    expect(results.flatMap((result) => (result.payload.errors ? [] : [result.id]))).toEqual([
      'activity',
      'activity',
      'retried',
      'retried',
    ]);
    expect(JSON.stringify(results)).not.toMatch(/INTERNAL_SERVER_ERROR|Unexpected error/);
    stream.close();
    expect(alive(server)).toBe(true);
    expect(server.output()).not.toMatch(/Unhandled promise rejection|Uncaught exception/);
  }, 240_000);
});
