// The floor of startup and idle memory: PGlite alone opening a data folder and answering one query.
import { PGlite } from '@electric-sql/pglite';
import { serveCommands } from '../lib/processes.js';

let db: PGlite | null = null;

serveCommands({
  open: async ({ dataDir }: { dataDir: string }) => {
    db = await PGlite.create(dataDir);
    await db.query('SELECT count(*) FROM pg_class');
    return true;
  },
  heap: () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed;
  },
});
