import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { DataDirLockedError } from './db/lock.js';
import { logger } from './observability/log.js';
import { logEscapedErrors } from './observability/process.js';

logEscapedErrors();

const config = loadConfig();
// CLIENT_DIST: another built web app folder (tests serve a fixture); Vite's client/dist otherwise.
const app = await buildApp(config, { clientDist: process.env.CLIENT_DIST || undefined }).catch((error: unknown) => {
  // Another process has the embedded database open: say so plainly, without a stack.
  if (!(error instanceof DataDirLockedError)) throw error;
  process.stderr.write(`Collectifs cannot start: ${error.message}\n`);
  process.exit(1);
});
// SIGTERM (or Ctrl-C): drain and stop gracefully; a second signal meanwhile stops at once.
// Installed before the server listens and says so: whoever acts on "running at" (a supervisor, a test) may signal
// at once, and a signal that came before its handler would end the process by default, without a shutdown and
// without the exit handlers (the embedded database's lock file would stay behind).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'Shutting down gracefully (send it again to stop at once)');
    process.once(signal, () => {
      logger.warn({ signal }, 'Stopping at once');
      process.exit(1);
    });
    app.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Graceful shutdown failed');
        process.exit(1);
      },
    );
  });
}

const url = await app.start();
process.stdout.write(
  `Collectifs is running at ${url}/  (GraphiQL: ${url}/graphql)  ` +
    `database: ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`}\n`,
);
