// The embedded database's own thread: PGlite (PostgreSQL compiled to WebAssembly) behind the PostgreSQL wire
// protocol on a unix socket (@electric-sql/pglite-socket), so that the server reaches it through `pg` exactly as it
// reaches PostgreSQL, and no query runs on the event loop's thread. Plain JavaScript so that any runner (tsx, vitest,
// compiled output) can start it without a TypeScript loader.
//
// workerData: { dataDir: string (a folder, or 'memory://'), socketPath: string, maxConnections: number }
// Posts { ready: true } once it accepts connections, or { error: string } if the database cannot be opened;
// on the message 'close' it stops accepting, closes the database and posts { closed: true }.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { dataDir, socketPath, maxConnections } = workerData;

try {
  const db = await PGlite.create(dataDir);
  // One session shared by every socket connection, in UTC whatever the database's setting (see database.ts).
  await db.exec("SET TIME ZONE 'UTC'");
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
  await server.start();
  parentPort.on('message', async (message) => {
    if (message !== 'close') return;
    await server.stop();
    await db.close();
    parentPort.postMessage({ closed: true });
  });
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
