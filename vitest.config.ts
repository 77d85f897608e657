import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// graphql 16 ships CommonJS (`main`) and ESM (`module`) side by side. Node loads the libraries that
// vitest leaves external (Pothos, Yoga) through `main`, while vite would give our own sources the
// ESM copy: two graphql instances that refuse each other's types. Pin every import to `main`.
const graphqlMain = createRequire(new URL('./server/package.json', import.meta.url)).resolve('graphql');

// Every suite runs on embedded PGlite by default; with DATABASE_URL set, the same suites run on
// PostgreSQL (each test file gets a database of its own, dropped afterwards).
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlMain }] },
  test: {
    include: ['tests/**/*.test.ts'],
    // Safety nets only: every test awaits events, never a clock. A loaded machine (several suites at once)
    // can take minutes to start a file's embedded database, so the nets are wide.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // No retry: a test that fails once fails the run, so a flaky test shows (retries hid two: the GraphiQL
    // production test, whose query answer the schema refusal could replace, and the co-editing approval test, whose
    // page could keep an answer read before the text changed, fixed by the client cache's refetch of 5a32c48).
    retry: 0,
    pool: 'forks',
    maxWorkers: 2,
  },
});
