import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { logEscapedErrors } from './observability/process.js';

logEscapedErrors();

const config = loadConfig();
// CLIENT_DIST: another built web app folder (tests serve a fixture); Vite's client/dist otherwise.
const app = await buildApp(config, { clientDist: process.env.CLIENT_DIST || undefined });
const url = await app.start();
process.stdout.write(
  `Collectifs is running at ${url}/  (GraphiQL: ${url}/graphql)  ` +
    `database: ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`}\n`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.stop().then(() => process.exit(0));
  });
}
