import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { until } from '../support/waits.js';

// Attack of stop 30 (F2): migrations lift the deadlines for their own transaction (SECURITY.md), but the first
// client-side deadline was lifted for its advisory lock and scripts only: its read of "_prisma_migrations" waiting on
// a lock held elsewhere (an operator's VACUUM FULL, CLUSTER, LOCK TABLE on it) was cut at statement_timeout + 5 s, and
// the instance did not start. The whole transaction is unwatched now (`TransactionOptions.unbounded`).
const adminUrl = process.env.DATABASE_URL;
let db: Database;
let scratch: Awaited<ReturnType<typeof createPostgresDatabase>>;

beforeAll(async () => {
  if (!adminUrl) return;
  scratch = await createPostgresDatabase(adminUrl, 'collectifs_fault');
  db = await openDatabase({ databaseUrl: scratch.url.toString(), deadlines: { statementTimeoutMs: 1_000 } });
  await migrate(db.sql);
});

afterAll(async () => {
  if (!adminUrl) return;
  await db?.close().catch(() => {});
  await scratch.drop();
});

describe.skipIf(!adminUrl)('a migration waiting on a lock of its table', () => {
  it('waits for it, as its own deadlines are lifted', async () => {
    const operator = new pg.Client({ connectionString: scratch.url.toString() });
    await operator.connect();
    await operator.query('BEGIN');
    await operator.query('LOCK TABLE "_prisma_migrations" IN ACCESS EXCLUSIVE MODE');
    let outcome: string | null = null;
    const migrating = migrate(db.sql).then(
      () => 'migrated',
      (error: unknown) => `failed: ${String(error)}`,
    );
    void migrating.then((o) => {
      outcome = o;
    });
    const watcher = new pg.Client({ connectionString: scratch.url.toString() });
    await watcher.connect();
    // Released once the migration has waited longer than statement_timeout + 5 s (as PostgreSQL measures), or failed.
    await until(
      async () =>
        outcome !== null ||
        (
          await watcher.query(
            `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%_prisma_migrations%' AND now() - query_start > interval '7 seconds'`,
          )
        ).rowCount,
      'the migration to wait past the client deadline',
    );
    await operator.query('COMMIT');
    await operator.end();
    await watcher.end();
    expect(await migrating).toBe('migrated');
  }, 120_000);
});
