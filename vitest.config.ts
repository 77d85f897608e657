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
    // A failure is retried twice before it counts, until the last known flaky test is fixed by its cause:
    // - the GraphiQL production test (fixed): the schema refusal GraphiQL writes into the response pane could land
    //   after the query's answer and replace it; the test now waits for it first.
    // - the co-editing approval test (not fixed; 1 failure in 11 runs under load, both pages showing the approval as
    //   current after the text changed). Likely cause, read in graphcache's source and not yet confirmed by a run:
    //   the tender response page re-fetches its query after each live event, graphcache writes every answer of one
    //   query into the same layer, so an answer computed before the change that arrives after a newer one wins.
    //   A retry does not save that test (its next attempt finds the approval the failed one left); set this to 0
    //   once the page keeps the newest answer.
    retry: 2,
    pool: 'forks',
    maxWorkers: 2,
  },
});
