import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { makeMember } from '../support/scenario.js';
import { type PostgresService, startPostgres } from '../support/services.js';
import { until } from '../support/waits.js';

// A PostgreSQL whose commits wait for a synchronous standby that is away (synchronous_standby_names set, standby down:
// a common outage). PostgreSQL's statement_timeout does not cover that wait. Attack of stop 30 (F3): the client-side
// deadline answered the mutation UNAVAILABLE ("nothing kept", SECURITY.md) and dropped the connection, and the
// transaction stayed committed: the mutation was kept. A COMMIT is not watched (db/database.ts `SilentStatementWatch`):
// it waits for the standby, as before the deadline existed. A cluster of its own (its settings change), on the
// PostgreSQL suite's runs.
const runs = Boolean(process.env.DATABASE_URL);
let postgres: PostgresService;
let adminUrl: string;
let db: Database;
let app: App;
let scratch: Awaited<ReturnType<typeof createPostgresDatabase>>;

async function setStandby(names: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET synchronous_standby_names = '${names}'`);
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
}

beforeAll(async () => {
  if (!runs) return;
  postgres = await startPostgres();
  adminUrl = postgres.url;
  scratch = await createPostgresDatabase(adminUrl, 'collectifs_sync');
  db = await openDatabase({ databaseUrl: scratch.url, deadlines: { statementTimeoutMs: 1_000 } });
  await migrate(db.sql);
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false };
  app = await buildApp(config, { db });
});

afterAll(async () => {
  if (!runs) return;
  await app?.stop().catch(() => {});
  await db?.close().catch(() => {});
  await postgres?.dispose();
});

async function graphql(token: string, query: string) {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    }),
  );
  return (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
}

describe.skipIf(!runs)('commit waiting for an absent synchronous standby', () => {
  it('waits for the standby past the client-side deadline, then answers what it kept', async () => {
    const member = await makeMember(db.prisma);
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    await setStandby('ghost_standby');
    const answered = graphql(token, 'mutation { signOut }');
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      // The COMMIT has waited for the standby longer than the client-side deadline (1 s + 5 s).
      await until(
        async () => {
          const { rows } = await admin.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query = 'COMMIT'
               AND wait_event = 'SyncRep' AND now() - query_start > interval '7 seconds'`,
            [scratch.name],
          );
          return rows[0]?.n === 1;
        },
        'the COMMIT to wait for the standby past the client-side deadline',
        { timeoutMs: 60_000 },
      );
      await setStandby('');
      const answer = await answered;
      expect(answer, JSON.stringify(answer)).toMatchObject({ data: { signOut: true } });
      const rows = await db.sql.query<{ revokedAt: Date | null }>('SELECT "revokedAt" FROM "Session" WHERE "memberId" = $1', [
        member.id,
      ]);
      expect(rows[0]?.revokedAt).toBeInstanceOf(Date);
    } finally {
      await setStandby('');
      await admin.end();
    }
  }, 120_000);
});
