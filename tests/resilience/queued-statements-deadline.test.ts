import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// Attack of stop 30 (F4): pg's query_timeout, the first client-side deadline, was armed when a statement was handed to
// the client, not when it was sent: statements queued on one connection (a transaction's concurrent statements,
// Promise.all over a transaction client) counted their wait behind the others, and the connection was dropped under
// the one running. `SilentStatementWatch` times a statement from when it is seen sent. Each
// statement here runs 0.9 s, under PostgreSQL's statement_timeout (1 s); together they pass statement_timeout + 5 s.
const adminUrl = process.env.DATABASE_URL;
let db: TestDatabase;
const STATEMENTS = 8;
const EACH = 'SELECT 1 AS ok FROM pg_sleep(0.9)';

beforeAll(async () => {
  if (adminUrl) db = await createTestDatabase({ deadlines: { statementTimeoutMs: 1_000 } });
});

afterAll(async () => {
  if (adminUrl) await db?.dispose();
});

describe.skipIf(!adminUrl)('concurrent statements of one transaction, each under statement_timeout', () => {
  it('raw transaction (db.sql.transaction): every statement answered', async () => {
    const settled = await db.sql
      .transaction((tx) => Promise.allSettled(Array.from({ length: STATEMENTS }, () => tx.query(EACH))))
      .catch((error: unknown) => [{ status: 'rejected', reason: error }]);
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
  }, 60_000);

  it('Prisma interactive transaction: every statement answered', async () => {
    const settled = await db.prisma
      .$transaction((tx) => Promise.allSettled(Array.from({ length: STATEMENTS }, () => tx.$queryRawUnsafe(EACH))), {
        timeout: 60_000,
      })
      .catch((error: unknown) => [{ status: 'rejected', reason: error }]);
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
  }, 60_000);
});
