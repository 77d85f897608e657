import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { sectionScenario } from '../support/collab.js';
import { errorCodes, type Inbox, sseSubscribe } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid } from '../support/scenario.js';
import { type PostgresService, type Service, startPostgres, startRedis } from '../support/services.js';
import { type Answer, alive, post, readiness, until } from './support.js';

const ACTIVITY = /* GraphQL */ `
  subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) { ... on ActivityEvent { position type } } }
`;
const CREATE = /* GraphQL */ `
  mutation($name: String!) { createCollective(input: { name: $name, kind: COMMONS, purpose: "Tenir bon." }) { __typename } }
`;
const UPDATE = /* GraphQL */ `
  mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename } }
`;

/** The positions an inbox of `collectiveActivity` received, in order. */
const positions = (inbox: Inbox): string[] => inbox.received.map((message) => message.collectiveActivity.position as string);

/**
 * A writer: one mutation at a time, each retried with its idempotency key until acknowledged (an answer lost to
 * the crash is an unknown outcome, which the key makes safe to retry), until told to stop.
 */
function writer(send: (i: number, key: string) => Promise<Answer>, success: string) {
  const acknowledged: number[] = [];
  const retried: string[] = [];
  let running = true;
  let failure: Error | null = null;
  const done = (async () => {
    for (let i = 0; running; i += 1) {
      const key = randomUUID();
      for (;;) {
        const answer = await send(i, key).catch(
          (error: unknown) => ({ status: 0, body: String(error), code: 'NETWORK' }) as Answer,
        );
        if (answer.body?.data && JSON.stringify(answer.body.data).includes(success)) break;
        // While PostgreSQL is down or restarting: a typed, retryable refusal (or the connection reset under it).
        if (!['UNAVAILABLE', 'NETWORK', 'CONFLICT'].includes(answer.code ?? ''))
          throw new Error(`Write ${i}: not a retryable answer: ${answer.status} ${JSON.stringify(answer.body)}`);
        retried.push(answer.code as string);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      acknowledged.push(i);
    }
  })().catch((error: Error) => {
    failure = error;
  });
  return {
    acknowledged,
    retried,
    /** How many writes were acknowledged; throws the writer's failure (an answer that is not retryable) at once. */
    count(): number {
      if (failure) throw failure;
      return acknowledged.length;
    },
    stop: async () => {
      running = false;
      await done;
      if (failure) throw failure;
    },
  };
}

/**
 * PostgreSQL killed (SIGKILL, postmaster and backends: a crash, not a clean stop) under two real server
 * processes while mutations run on both and SSE subscribers listen; then started again (it recovers from its
 * WAL). No instance exits, every acknowledged write is in the database afterwards (once), the SSE subscriber
 * that stayed connected resumes from its position with nothing lost or duplicated, and an SSE subscription opened
 * during the crash gets a typed, retryable error, then resumes from its position once retried.
 */
describe('PostgreSQL crash', () => {
  let postgres: PostgresService;
  let redis: Service;
  let a: ServerProcess;
  let b: ServerProcess;
  let db: Database;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await postgres.createDatabase();
    const env = { DATABASE_URL: url, REDIS_URL: redis.url, EVENT_POLL_MS: '200', LOG_LEVEL: 'info' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    db = await openDatabase({ databaseUrl: url });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await db?.close();
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });

  it('should keep every instance up and every acknowledged write, and resume SSE streams from their positions', async () => {
    onTestFailed(() => {
      process.stderr.write(`--- A\n${a.output().slice(-8000)}\n--- B\n${b.output().slice(-8000)}\n`);
    });
    const { members, collective } = await sectionScenario(db.prisma);
    const run = randomUUID().slice(0, 8);
    const { token } = await openSession(db.prisma, (members[0] as { id: string }).id, 3_600_000);
    const collectiveId = gid('Collective', collective.id);
    const head = ((await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } }))?.position ?? 0n).toString();
    const listening = sseSubscribe(a.url, token, ACTIVITY, { id: collectiveId, after: head });

    // Mutations running on both instances: creations on A, updates of the followed collective on B.
    const creations = writer(
      (i, key) => post(a.url, CREATE, { name: `Survivant ${run} ${i}` }, token, { 'idempotency-key': key }),
      'MutationCreateCollectiveSuccess',
    );
    const updates = writer(
      (i, key) => post(b.url, UPDATE, { id: collectiveId, p: `Écrit ${i}` }, token, { 'idempotency-key': key }),
      'MutationUpdateCollectiveSuccess',
    );
    await until(
      () => creations.count() >= 5 && updates.count() >= 5,
      () => 'writes before the crash',
    );

    // ── The crash, mutations in flight ──
    await postgres.kill();
    const before = { creations: creations.acknowledged.length, updates: updates.acknowledged.length };
    await readiness([a, b], false);
    // An SSE subscription opened now gets a typed, retryable error (never "Unexpected error", never silence).
    const during = sseSubscribe(b.url, token, ACTIVITY, { id: collectiveId, after: head });
    await during.inbox.waitForEnd(30_000).catch(() => {});
    expect(errorCodes(during.inbox)).toEqual(['UNAVAILABLE']);
    during.stop();
    expect(alive(a) && alive(b)).toBe(true);

    // ── Back, from the WAL ──
    await postgres.start();
    await readiness([a, b], true);
    await until(
      () => creations.count() >= before.creations + 3 && updates.count() >= before.updates + 3,
      () => `writes after the restart (${creations.acknowledged.length}, ${updates.acknowledged.length})`,
    );
    await Promise.all([creations.stop(), updates.stop()]);

    // Every acknowledged creation is there, once.
    const names = creations.acknowledged.map((i) => `Survivant ${run} ${i}`);
    const stored = await db.prisma.collective.findMany({ where: { name: { in: names } }, select: { name: true } });
    expect(stored.map((row) => row.name).sort()).toEqual([...names].sort());
    // Every acknowledged update is one event of the followed collective, and both streams hold them all, in order.
    const events = await db.prisma.eventLog.findMany({
      where: { collectiveId: collective.id, position: { gt: BigInt(head) } },
      orderBy: { position: 'asc' },
    });
    expect(events.filter((event) => event.type === 'collective.updated')).toHaveLength(updates.acknowledged.length);
    const expected = events.map((event) => event.position.toString());
    // The subscriber that stayed connected through the crash, and one resubscribing from the same position.
    const resumed = sseSubscribe(b.url, token, ACTIVITY, { id: collectiveId, after: head });
    await Promise.all([listening.inbox.waitFor(expected.length, 60_000), resumed.inbox.waitFor(expected.length, 60_000)]);
    expect(positions(listening.inbox)).toEqual(expected);
    expect(positions(resumed.inbox)).toEqual(expected);
    expect([...listening.inbox.errors, ...resumed.inbox.errors]).toEqual([]);
    listening.stop();
    resumed.stop();

    expect(alive(a) && alive(b)).toBe(true);
    expect(`${a.output()}${b.output()}`).not.toMatch(/Unhandled promise rejection|Uncaught exception/);
    process.stdout.write(
      `PostgreSQL crash: ${creations.acknowledged.length} creations and ${updates.acknowledged.length} updates acknowledged, ` +
        `${creations.retried.length + updates.retried.length} retries (${[...new Set([...creations.retried, ...updates.retried])].join(', ')}), lost 0\n`,
    );
  }, 300_000);
});
