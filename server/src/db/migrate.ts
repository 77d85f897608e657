import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SqlRunner } from './database.js';

/** Where the hand-written migrations live, in Prisma's layout. */
export const MIGRATIONS_DIR = new URL('../../../prisma/migrations/', import.meta.url).pathname;

// The same table and lock key as `prisma migrate deploy`, so a database migrated here can later be
// managed by Prisma's own CLI (and the reverse).
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;
const ADVISORY_LOCK_KEY = 72707369;

export interface Migration {
  name: string;
  script: string;
  checksum: string;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Reads the migrations folder in name order (names start with a timestamp). */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

/**
 * Applies the pending migrations, each in its own transaction, and records them in
 * `_prisma_migrations` as `prisma migrate deploy` does. Returns the names it applied.
 */
export async function migrate(sql: SqlRunner, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return sql.transaction(
    async (tx) => {
      // A migration may wait for another instance's, and rewrite a large table: no deadline (`DatabaseDeadlines`) here,
      // nor the client's (`TransactionOptions.unbounded`).
      await tx.exec(
        'SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0',
      );
      // A transaction-scoped lock: several instances starting together apply each migration once.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
      await tx.exec(MIGRATIONS_TABLE);
      const rows = await tx.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
      );
      const applied = new Map(rows.map((row) => [row.migration_name, row]));
      const known = new Set(migrations.map((migration) => migration.name));
      for (const row of rows) {
        if (!row.finished_at)
          throw new MigrationError(`Migration ${row.migration_name} failed earlier; resolve it before starting.`);
        if (!known.has(row.migration_name)) {
          throw new MigrationError(`The database has migration ${row.migration_name}, which this code does not know.`);
        }
      }
      const done: string[] = [];
      for (const migration of migrations) {
        const row = applied.get(migration.name);
        if (row) {
          if (row.checksum !== migration.checksum) {
            throw new MigrationError(`Migration ${migration.name} was edited after it was applied (checksum differs).`);
          }
          continue;
        }
        const id = randomUUID();
        await tx.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
          [id, migration.checksum, migration.name],
        );
        await tx.exec(migration.script);
        await tx.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
        done.push(migration.name);
      }
      return done;
    },
    { unbounded: true },
  );
}
