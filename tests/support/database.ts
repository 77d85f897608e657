import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, type DatabaseDeadlines, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';

export interface TestDatabase extends Database {
  /** Closes the database and, on PostgreSQL, drops it. */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite, or with DATABASE_URL a new
 * PostgreSQL database created beside the one the URL names. `deadlines` (PostgreSQL only) shortens the waits a test
 * of them meets (see `DatabaseDeadlines`).
 */
export async function createTestDatabase(
  options: { onQuery?: (sql: string) => void; deadlines?: Partial<DatabaseDeadlines> } = {},
): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    // PGLITE_THREAD=worker runs the suites on PGlite's own thread (see the README's configuration table).
    const pgliteThread = process.env.PGLITE_THREAD === 'worker' ? 'worker' : 'main';
    const db = await openDatabase({ dataDir: 'memory://', onQuery: options.onQuery, pgliteThread });
    await migrate(db.sql);
    return { ...db, dispose: () => db.close() };
  }
  const created = await createPostgresDatabase(adminUrl);
  const db = await openDatabase({ databaseUrl: created.url, onQuery: options.onQuery, deadlines: options.deadlines });
  await migrate(db.sql);
  return {
    ...db,
    dispose: async () => {
      await db.close();
      await created.drop();
    },
  };
}

/**
 * A new, empty PostgreSQL database beside the one `adminUrl` names (`<prefix>_<12 hex>`): its URL, and `drop`, which
 * removes it, ending any connection still open to it (a server process, a proxy's).
 */
export async function createPostgresDatabase(
  adminUrl: string,
  prefix = 'collectifs_test',
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
