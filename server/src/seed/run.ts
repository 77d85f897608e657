import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { DEMO_ACCOUNT, seedDemoData } from './demo.js';

// `pnpm seed`: migrates the configured database and seeds the demo cooperative (idempotent).
// DATABASE_URL selects PostgreSQL; otherwise PGlite in DATA_DIR (relative to the current directory).

async function main(): Promise<void> {
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.DATA_DIR ?? './data' });
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
  process.stderr.write(`Seeding failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
