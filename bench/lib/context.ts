import type { PgliteTemplate, PostgresTemplate } from './data.js';

/** What every benchmark receives from `run.ts`. */
export interface BenchContext {
  /** Tiny sizes and short windows (seconds in all): CI proves the harness still runs. */
  smoke: boolean;
  /** Take CPU profiles of the servers (written under bench/results/profiles/). */
  profile: boolean;
  pglite: PgliteTemplate;
  /** Null when the machine's PostgreSQL does not answer (its figures are then skipped, and say so). */
  postgres: PostgresTemplate | null;
  log(message: string): void;
}
