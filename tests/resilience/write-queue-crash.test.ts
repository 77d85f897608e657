import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { isUnavailable } from '../../server/src/errors.js';
import { type PostgresService, startPostgres } from '../support/services.js';
import { until } from '../support/waits.js';

/**
 * What the attack of stop 24 tried on the write queue (server/src/db/write-queue.ts, PostgreSQL: 5 turns; it held, kept
 * as a guard): a crash of PostgreSQL while every
 * turn is taken by a transaction waiting on the event log's lock (held by another instance) and more transactions
 * queue behind them. Every one must settle (none left waiting for a turn that never comes back), each refusal must be
 * an outage (`isUnavailable`: the API answers it UNAVAILABLE), and once PostgreSQL is back a write must go through.
 */
let server: PostgresService;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

describe('The write queue through a PostgreSQL crash', () => {
  it('settles every queued transaction as unavailable, and writes again once PostgreSQL is back', async () => {
    const url = await server.createDatabase();
    const db = await openDatabase({ databaseUrl: url });
    try {
      await migrate(db.sql);
      // Another instance holds the event log's lock (events/record.ts) in a transaction of its own.
      const other = new pg.Client({ connectionString: url });
      other.on('error', () => {});
      await other.connect();
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(5021777)');
      const settled: Array<{ ok: boolean; error?: unknown }> = [];
      const WRITES = 25;
      const writes = Array.from({ length: WRITES }, () =>
        db.prisma
          .$transaction(async (tx) => {
            await tx.$executeRaw`SELECT pg_advisory_xact_lock(5021777)`;
            return tx.$executeRaw`SELECT 1`;
          })
          .then(
            () => settled.push({ ok: true }),
            (error: unknown) => settled.push({ ok: false, error }),
          ),
      );
      // Every turn taken (waiting on the lock), the rest queued.
      await until(
        () => db.writes.running === 5 && db.writes.queued === WRITES - 5,
        () => `${db.writes.running} running`,
      );
      await server.kill();
      await until(
        () => settled.length === WRITES,
        () => `${settled.length} of ${WRITES} settled, ${db.writes.running} running, ${db.writes.queued} queued`,
      );
      await Promise.all(writes);
      const notOutages = settled
        .filter((s) => !s.ok && !isUnavailable(s.error))
        .map((s) => String((s.error as Error)?.message).slice(0, 300));
      expect(notOutages).toEqual([]);
      expect(settled.filter((s) => s.ok)).toEqual([]);

      await server.start();
      // A write after the restart goes through (the pool drops its dead connections; a turn is free).
      let written = false;
      await until(
        async () => {
          try {
            await db.prisma.$transaction((tx) => tx.$executeRaw`SELECT 1`);
            written = true;
          } catch {
            written = false;
          }
          return written;
        },
        'a write after the restart',
        { everyMs: 200 },
      );
      expect(db.writes.running).toBe(0);
      await other.end().catch(() => undefined);
    } finally {
      await db.close().catch(() => undefined);
    }
  }, 180_000);
});
