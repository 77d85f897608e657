import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// DATABASE_STATEMENT_TIMEOUT_MS near PostgreSQL's maximum (INT_MAX ms, which PostgreSQL accepts). Attack of stop 30
// (F1): the client-side deadline was that + 5 s, past Node's largest timer, which Node arms at 1 ms instead: every
// statement failed at once. The deadline is capped at PostgreSQL's maximum and timed by a sweep, with no timer.
const adminUrl = process.env.DATABASE_URL;
let db: TestDatabase;

beforeAll(async () => {
  if (adminUrl) db = await createTestDatabase({ deadlines: { statementTimeoutMs: 2_147_483_000 } });
});

afterAll(async () => {
  if (adminUrl) await db?.dispose();
});

describe.skipIf(!adminUrl)('statement_timeout near INT_MAX (PostgreSQL accepts it)', () => {
  it('still runs a statement that takes a few ms', async () => {
    // PostgreSQL accepts the setting itself:
    expect(await db.sql.query("SELECT current_setting('statement_timeout') AS s")).toEqual([{ s: '2147483s' }]);
  });
  it('runs a statement that takes 50 ms', async () => {
    const rows = await db.sql.query<{ ok: number }>('SELECT 1 AS ok FROM pg_sleep(0.05)');
    expect(rows).toEqual([{ ok: 1 }]);
  });
  it('runs a Prisma query that takes 50 ms', async () => {
    const rows = await db.prisma.$queryRawUnsafe<Array<{ ok: number }>>('SELECT 1 AS ok FROM pg_sleep(0.05)');
    expect(rows).toEqual([{ ok: 1 }]);
  });
});
