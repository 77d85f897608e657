import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, POSTGRES_POOL_SIZE, WRITE_TURNS } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { isConnectionWait, isUnavailable, UnavailableError } from '../../server/src/errors.js';
import { maskUnavailable } from '../../server/src/transport/unavailable.js';
import { type PostgresService, startPostgres } from '../support/services.js';
import { until } from './support.js';

/**
 * Every error shape a stopped, crashed or saturated PostgreSQL gives through the server's own database layer
 * (Prisma over the pg adapter, and raw SQL), collected from a real throwaway cluster, must be classified as an
 * outage (`isUnavailable`), so the caller gets UNAVAILABLE (503, retryable) and never INTERNAL_SERVER_ERROR. The
 * fault bench met one INTERNAL_SERVER_ERROR on a mutation's transaction while PostgreSQL was stopped: Prisma's
 * P2028 "Unable to start a transaction in the given time" (no pooled connection within `maxWait`) was not one.
 */
let postgres: PostgresService;
let db: Database;
let url: string;

beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase();
  db = await openDatabase({ databaseUrl: url });
  await migrate(db.sql);
  await db.prisma.$executeRawUnsafe('CREATE TABLE kept (value int)');
}, 120_000);

afterAll(async () => {
  await db?.close().catch(() => {});
  await postgres?.dispose();
});

/** What each way into the database throws now (null when it succeeded), labelled. */
const OPERATIONS: Record<string, () => Promise<unknown>> = {
  'raw query': () => db.prisma.$queryRaw`SELECT 1`,
  'raw statement': () => db.prisma.$executeRawUnsafe('INSERT INTO kept VALUES (1)'),
  'model query': () => db.prisma.member.findFirst(),
  transaction: () =>
    db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM kept FOR UPDATE`;
      await tx.$executeRawUnsafe('INSERT INTO kept VALUES (2)');
    }),
  'model query in a transaction': () => db.prisma.$transaction((tx) => tx.member.findFirst()),
  'plain SQL': () => db.sql.query('SELECT 1'),
};

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return null;
  } catch (error) {
    return error;
  }
}

/** A short description of an error, for a failure message. */
const described = (error: unknown) => {
  const e = error as { constructor?: { name?: string }; code?: unknown; message?: unknown };
  return `${e?.constructor?.name} ${String(e?.code)} ${String(e?.message).replace(/\s+/g, ' ').slice(-160)}`;
};

/** Every collected error must be an outage, and be answered UNAVAILABLE by Yoga's masking. */
function expectAllUnavailable(errors: Array<[string, unknown]>) {
  const thrown = errors.filter(([, error]) => error !== null);
  expect(thrown.length).toBeGreaterThan(0);
  const misclassified = thrown
    .filter(([, error]) => !isUnavailable(error))
    .map(([label, error]) => `${label}: ${described(error)}`);
  expect(misclassified).toEqual([]);
  for (const [, error] of thrown) {
    const masked = maskUnavailable(new GraphQLError('x', { originalError: error as Error }), 'Unexpected error.');
    expect((masked as GraphQLError).extensions?.code).toBe('UNAVAILABLE');
  }
}

/** Until `count` backends are running the test's `pg_sleep` statements (read from pg_stat_activity). */
const sleeping = (count: number) =>
  until(
    () => postgres.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'").trim() === String(count),
    () => `${count} backends to run pg_sleep`,
  );

const everyOperation = async (label: string) =>
  Promise.all(
    Object.entries(OPERATIONS).map(async ([name, run]) => [`${label}: ${name}`, await failure(run)] as [string, unknown]),
  );

describe('Errors of a PostgreSQL outage', () => {
  it('should classify what a stop gives (under and between queries, in and out of transactions) as UNAVAILABLE', async () => {
    expect((await everyOperation('warm')).filter(([, error]) => error !== null)).toEqual([]);
    // Transactions and queries running while PostgreSQL stops (fast shutdown: 57P01 to each backend).
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inside = 0;
    let allInside: () => void = () => {};
    const entered = new Promise<void>((resolve) => {
      allInside = resolve;
    });
    const enter = () => {
      inside += 1;
      if (inside === 4) allInside();
    };
    const running = [
      failure(() =>
        db.prisma.$transaction(
          async (tx) => {
            await tx.$queryRaw`SELECT 1`;
            enter();
            await held;
            await tx.$queryRaw`SELECT 2`;
          },
          { timeout: 60_000 },
        ),
      ),
      failure(() =>
        db.prisma.$transaction(
          async (tx) => {
            await tx.$executeRawUnsafe('INSERT INTO kept VALUES (3)');
            enter();
            await held;
          },
          { timeout: 60_000 },
        ),
      ),
      failure(() =>
        db.prisma.$transaction(
          async (tx) => {
            enter();
            await tx.$queryRaw`SELECT pg_sleep(30)::text`;
          },
          { timeout: 60_000 },
        ),
      ),
      (async () => {
        const query = failure(() => db.prisma.$queryRaw`SELECT pg_sleep(30)::text`);
        enter();
        return query;
      })(),
    ];
    await entered;
    // The sleeping backends are running their statement once pg_stat_activity shows them.
    await sleeping(2);
    await postgres.stop();
    release();
    const during = (await Promise.all(running)).map((error, index) => [`during the stop ${index}`, error] as [string, unknown]);
    // While it is down: pooled connections dead, new ones refused.
    const down = [...(await everyOperation('stopped')), ...(await everyOperation('stopped again'))];
    expectAllUnavailable([...during, ...down]);
    await postgres.start();
  }, 120_000);

  it('should classify what a crash gives as UNAVAILABLE', async () => {
    expect((await everyOperation('warm')).filter(([, error]) => error !== null)).toEqual([]);
    const running = failure(() =>
      db.prisma.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT pg_sleep(30)::text`;
        },
        { timeout: 60_000 },
      ),
    );
    await sleeping(1);
    await postgres.kill();
    expectAllUnavailable([['under a query', await running], ...(await everyOperation('crashed'))]);
    await postgres.start();
  }, 120_000);

  it('should classify a transaction that finds no free connection in time (P2028) as UNAVAILABLE', async () => {
    // Every pooled connection held by a statement that does not return: the next transactions wait `maxWait`
    // (2 s here, shorter than the pool's deadline) for one, as they do when connections hang on a server going away.
    const holders = Array.from({ length: POSTGRES_POOL_SIZE }, () =>
      failure(() => db.prisma.$queryRaw`SELECT pg_sleep(30)::text`),
    );
    await sleeping(POSTGRES_POOL_SIZE);
    const waiting = await failure(() => db.prisma.$transaction((tx) => tx.member.findFirst(), { maxWait: 2_000 }));
    expect(String((waiting as Error)?.message)).toContain('Unable to start a transaction in the given time');
    expectAllUnavailable([['no connection in time', waiting]]);
    postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'");
    expectAllUnavailable((await Promise.all(holders)).map((error, index) => [`terminated ${index}`, error]));
  }, 120_000);

  it('should serve a burst queued behind transactions that waited out their deadline on a saturated pool, the database answering', async () => {
    // Every pooled connection held by a read (as by reads of a table locked elsewhere) on a database that answers:
    // the transactions holding a turn (db/write-queue.ts) wait the connection deadline and are refused; the ones
    // queued behind keep their place and are served once the reads end. Before: the first to give up (Prisma's
    // 2 s `maxWait`) took the pool for an outage and answered the whole queue UNAVAILABLE at once.
    const quick = await openDatabase({ databaseUrl: url, deadlines: { connectTimeoutMs: 3_000 } });
    try {
      const holders = Array.from({ length: POSTGRES_POOL_SIZE }, () =>
        failure(() => quick.prisma.$queryRaw`SELECT pg_sleep(60)::text`),
      );
      await sleeping(POSTGRES_POOL_SIZE);
      let firstRefused: () => void = () => {};
      const refused = new Promise<void>((resolve) => {
        firstRefused = resolve;
      });
      const burst = 4 * WRITE_TURNS.postgres;
      const answers = Array.from({ length: burst }, (_, index) =>
        failure(() => quick.prisma.$transaction((tx) => tx.member.findFirst())).then((error) => {
          if (error) firstRefused();
          return [`burst ${index}`, error] as [string, unknown];
        }),
      );
      // The reads end once the first of the burst has been refused, not before (whatever the machine's pace).
      await refused;
      postgres.psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'");
      await Promise.all(holders);
      const failures = (await Promise.all(answers)).filter(([, error]) => error !== null);
      expectAllUnavailable(failures);
      expect(
        failures
          .filter(([, error]) => error instanceof UnavailableError || !isConnectionWait(error))
          .map(([label, error]) => `${label}: ${described(error)}`),
      ).toEqual([]);
      expect(failures.length).toBeLessThanOrEqual(WRITE_TURNS.postgres);
      expect(quick.writes.queued + quick.writes.running).toBe(0);
    } finally {
      await quick.close();
    }
  }, 120_000);

  it('should answer the transactions queued behind one that found no connection at once when the database does not answer', async () => {
    const quick = await openDatabase({ databaseUrl: url, deadlines: { connectTimeoutMs: 3_000 } });
    try {
      const holders = Array.from({ length: POSTGRES_POOL_SIZE }, () =>
        failure(() => quick.prisma.$queryRaw`SELECT pg_sleep(60)::text`),
      );
      await sleeping(POSTGRES_POOL_SIZE);
      // The postmaster stopped: new connections (the write queue's question) are never answered.
      postgres.freeze(true);
      // A burst on the saturated pool: the transactions holding a turn wait the deadline for a connection; the first
      // to give up finds the database silent and answers those queued behind it, which never ask the pool.
      const burst = 4 * WRITE_TURNS.postgres;
      const failures = await Promise.all(
        Array.from({ length: burst }, (_, index) =>
          failure(() => quick.prisma.$transaction((tx) => tx.member.findFirst())).then(
            (error) => [`burst ${index}`, error] as [string, unknown],
          ),
        ),
      );
      postgres.freeze(false);
      expectAllUnavailable(failures);
      const waited = failures.filter(([, error]) => !(error instanceof UnavailableError) && isConnectionWait(error));
      const queued = failures.filter(([, error]) => error instanceof UnavailableError);
      expect([waited.length, queued.length]).toEqual([WRITE_TURNS.postgres, burst - WRITE_TURNS.postgres]);
      postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'");
      expectAllUnavailable((await Promise.all(holders)).map((error, index) => [`terminated ${index}`, error]));
      // Back to normal: the next transaction runs.
      expect(await failure(() => quick.prisma.$transaction((tx) => tx.member.findFirst()))).toBeNull();
    } finally {
      postgres.freeze(false);
      await quick.close();
    }
  }, 120_000);
});
