import { defineConfig } from 'vitest/config';

// Every suite runs on embedded PGlite by default; with DATABASE_URL set, the same suites run on
// PostgreSQL (each test file gets a database of its own, dropped afterwards).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
