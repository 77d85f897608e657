import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { createPostgresDatabase } from '../support/database.js';

// Attack 2 of stop 30, finding 5: config.ts numberFrom accepts any non-negative number, so
// DATABASE_STATEMENT_TIMEOUT_MS=0.4 is taken. PostgreSQL rounds statement_timeout=0.4 to 0 (no deadline at all), while
// the client's deadline was 5000.4 ms: it dropped every statement past 5 s that PostgreSQL let run (and left it running
// on the server). Both now use the value rounded to whole milliseconds.
const adminUrl = process.env.DATABASE_URL;
let db: Database;
let created: Awaited<ReturnType<typeof createPostgresDatabase>>;

beforeAll(async () => {
  if (!adminUrl) return;
  created = await createPostgresDatabase(adminUrl, 'collectifs_fraction');
  const config = loadConfig({ DATABASE_URL: created.url, DATABASE_STATEMENT_TIMEOUT_MS: '0.4' });
  db = await openDatabase({ databaseUrl: created.url, deadlines: config.databaseDeadlines });
});

afterAll(async () => {
  if (!adminUrl) return;
  await db?.close().catch(() => {});
  await created?.drop();
});

describe.skipIf(!adminUrl)('DATABASE_STATEMENT_TIMEOUT_MS=0.4', () => {
  it('the server and the client agree on the deadline', async () => {
    const [row] = await db.sql.query<{ t: string; i: string }>(
      "SELECT current_setting('statement_timeout') AS t, current_setting('idle_in_transaction_session_timeout') AS i",
    );
    // What PostgreSQL applies: no statement deadline; a statement it lets run must not be cut by the client.
    const outcome = await db.sql.query('SELECT pg_sleep(10)').then(
      () => 'answered',
      (error: unknown) => String(error),
    );
    expect({ settings: row, outcome }).toEqual({ settings: row, outcome: 'answered' });
  }, 120_000);
});
