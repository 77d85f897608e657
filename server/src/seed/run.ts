import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { DataDirLockedError } from '../db/lock.js';
import { migrate } from '../db/migrate.js';
import { DEMO_ACCOUNT, seedDemoData } from './demo.js';

// `pnpm seed`: migrates the configured database and seeds the demo cooperative (idempotent).
// The same database as the server's (config.ts): DATABASE_URL selects PostgreSQL, otherwise PGlite in DATA_DIR
// (default: the repository's data/ folder, wherever the command is typed). Refused while a server has it open.

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteThread: config.pgliteThread,
    deadlines: config.databaseDeadlines,
  });
  try {
    await migrate(db.sql);
    const { members, collectives } = await seedDemoData(db.prisma);
    process.stdout.write(
      `Demo cooperative ready (${db.kind}): ${members} members, ${collectives} collectives; sign in as ${DEMO_ACCOUNT.email} / ${DEMO_ACCOUNT.password}\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  const why =
    error instanceof DataDirLockedError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`Seeding failed: ${why}\n`);
  process.exitCode = 1;
});
