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
// deadline answers the mutation UNAVAILABLE, and the transaction may still commit: a COMMIT's outcome is unknown once
// cut. Left uncut, a COMMIT on a link gone silent was never answered and held its write turn for good (attack 2,
// tests/resilience/commit-black-holed), so it is cut, and the mutation's Idempotency-Key (the web app sends one) makes
// the retry safe: applied at most once. A cluster of its own (its settings change), on the PostgreSQL suite's runs.
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

async function graphql(token: string, query: string, idempotencyKey: string) {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': idempotencyKey },
      body: JSON.stringify({ query }),
    }),
  );
  return (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
}

describe.skipIf(!runs)('commit waiting for an absent synchronous standby', () => {
  it('is answered UNAVAILABLE at the client-side deadline; a retry with its Idempotency-Key is told ALREADY_APPLIED, applied once', async () => {
    const member = await makeMember(db.prisma);
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    const key = 'profile-during-standby-outage';
    const rename = 'mutation { updateMyProfile(input: { firstName: "Renommée" }) { __typename } }';
    await setStandby('ghost_standby');
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      // The COMMIT waits for the standby, past statement_timeout: cut, its outcome unknown to the caller.
      const first = await graphql(token, rename, key);
      expect(first.errors?.[0]?.extensions?.code, JSON.stringify(first)).toBe('UNAVAILABLE');
      await setStandby('');
      await until(async () => {
        const { rows } = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query = 'COMMIT'",
          [scratch.name],
        );
        return rows[0]?.n === 0;
      }, 'the cut COMMIT to end on the server');
      // PostgreSQL committed it locally: the retry is told it was applied (its answer, UNAVAILABLE, is not one to
      // replay), and nothing is applied twice.
      const retry = await graphql(token, rename, key);
      expect(retry.errors?.[0]?.extensions?.code, JSON.stringify(retry)).toBe('ALREADY_APPLIED');
      const recorded = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "EventLog" WHERE type = 'member.profileUpdated'`,
      );
      expect(recorded).toEqual([{ n: 1 }]);
      expect(await db.prisma.member.findUniqueOrThrow({ where: { id: member.id } })).toMatchObject({ firstName: 'Renommée' });
    } finally {
      await setStandby('');
      await admin.end();
    }
  }, 120_000);
});
