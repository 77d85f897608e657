/**
 * How long a request may wait on PostgreSQL, in milliseconds (0: no deadline). Past each, the request is answered
 * `UNAVAILABLE` (errors.ts' `isUnavailable`: SQLSTATE 55P03, 57014, pg's connection timeout, `UnavailableError`)
 * and nothing it did is kept (its transaction is rolled back). Why: a lock held elsewhere (a migration's
 * `LOCK TABLE`, an operator's `psql`, another instance's `FOR UPDATE`) otherwise held every request reading or
 * writing behind it, and their connections, for as long as it was held (attack: 20 reads of a locked table held
 * the pool; unrelated mutations waited 95 s). Migrations lift the first two for their own transaction.
 */
export interface DatabaseDeadlines {
  /** One wait for a lock: a row, a table, the event log's advisory lock (PostgreSQL `lock_timeout`; `DATABASE_LOCK_TIMEOUT_MS`). */
  lockTimeoutMs: number;
  /** One statement, lock waits included (PostgreSQL `statement_timeout`; `DATABASE_STATEMENT_TIMEOUT_MS`). */
  statementTimeoutMs: number;
  /**
   * A wait for a pooled connection when none is idle (`LanedPool.connect`), and for a turn of a query's reads
   * (`READ_TURNS`) or of a raw transaction (`RAW_TURNS`) (`DATABASE_CONNECT_TIMEOUT_MS`). The write queue's
   * Prisma transactions wait for their turn without a clock: each turn ahead is bounded by these deadlines and
   * Prisma's `maxWait`/`timeout`, and a burst must not be refused for its length (tests/api/write-burst).
   */
  connectTimeoutMs: number;
  /**
   * One wait for a lock by a statement of the read lane (database.ts `READ_LANE_LOCK_TIMEOUT_MS`, 1 s, when absent;
   * never longer than `lockTimeoutMs`). Not configured by the environment: a test of what the lane's turns, held for
   * longer, must not stop (tests/resilience/read-lane-shared) sets it.
   */
  readLaneLockTimeoutMs?: number;
}

/** The deadlines when the configuration names none (README's configuration table). */
export const DEFAULT_DEADLINES: DatabaseDeadlines = {
  lockTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
};
