import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pLimit from 'p-limit';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { UnavailableError } from '../errors.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { AccessWrites, watchAccessWrites } from './access-writes.js';
import { type DatabaseDeadlines, DEFAULT_DEADLINES } from './deadlines.js';
import { lockDataDir } from './lock.js';
import { PgliteStatements } from './pglite-statements.js';
import { queueTransactions, type WriteQueue } from './write-queue.js';

export { type DatabaseDeadlines, DEFAULT_DEADLINES };

/**
 * Raw SQL access beside Prisma, for the migrator, locks, tests and the co-editing hot path (a push batch's
 * transaction, `SectionDocuments`): the same connection (PGlite) or pool (`pg`) as Prisma's driver adapter, so a
 * transaction here queues with Prisma's exactly as Prisma's own do. Every statement is reported to `onQuery`.
 */
export interface SqlRunner {
  /** Runs a script of one or more statements, without parameters. */
  exec(script: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Runs `work` inside one transaction on one connection (`BEGIN` … `COMMIT`, rolled back when `work` throws).
   * On PostgreSQL a connection whose rollback failed is discarded, not returned to the pool.
   */
  transaction<T>(work: (sql: Omit<SqlRunner, 'transaction'>) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** How one transaction of `SqlRunner` runs. */
export interface TransactionOptions {
  /**
   * No client-side deadline (`clientDeadlineMs`) for any of its statements, on PostgreSQL: for a transaction that
   * lifts its own `statement_timeout` (a migration, which may wait for another instance's and rewrite a large table).
   */
  unbounded?: boolean;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  /** Its `$transaction`s queue in this process for a turn (`WRITE_TURNS`, see `queueTransactions`). */
  prisma: PrismaClient;
  sql: SqlRunner;
  /** The transactions of `prisma` running and waiting for their turn. */
  writes: WriteQueue;
  /**
   * Writes through `prisma` to the tables rights are read from (`AccessWrites`): a token's kept session serves only
   * while it has not moved (`Lifecycle.authenticate`). Embedded PGlite only: its folder is opened by one process, so
   * every write to it goes through this client. A PostgreSQL database can be written by others (a second instance
   * sharing it without Redis, the old process of a rolling deploy, `psql`): there it is absent, and a kept session is
   * never reused once read (attack of 2026-12-01: a second instance served a signed-out token for 10 s).
   */
  accessWrites?: AccessWrites;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; embedded PGlite when absent. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` keeps everything in memory. */
  dataDir?: string | undefined;
  /** Called with every SQL statement Prisma runs (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
  /**
   * Where embedded PGlite runs: on the event loop's thread (`main`, the default), or on a thread of its own
   * reached over the PostgreSQL wire protocol (`worker`; setting `PGLITE_THREAD`).
   */
  pgliteThread?: 'main' | 'worker' | undefined;
  /** How long anything may wait on PostgreSQL (`DATABASE_*_TIMEOUT_MS`); `DEFAULT_DEADLINES` for those left out. */
  deadlines?: Partial<DatabaseDeadlines> | undefined;
}

/** Opens the database the configuration names: PostgreSQL when a URL is given, PGlite otherwise. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, { ...DEFAULT_DEADLINES, ...options.deadlines }, options.onQuery)
    : options.pgliteThread === 'worker'
      ? openPgliteWorker(options.dataDir ?? './data', options.onQuery)
      : openPglite(options.dataDir ?? './data', options.onQuery);
}

/**
 * On the embedded database transactions queue for its one connection: wait for it as long as a burst can take
 * (Prisma's default, 2 s, is meant for a pool of connections).
 */
const PGLITE_TRANSACTIONS = { maxWait: 30_000, timeout: 30_000 };

/**
 * Prisma transactions running at once on one instance (`queueTransactions`): on PostgreSQL fewer than the pool, so
 * that a burst of writes, which the event log's lock runs one after the other anyway, never holds every connection
 * while reads and co-editing pushes wait; on the embedded database one, as its one connection runs one at a time.
 */
export const WRITE_TURNS: Record<Database['kind'], number> = { postgres: 5, pglite: 1 };

/**
 * Raw SQL transactions (`SqlRunner.transaction`: co-editing pushes, compactions, activity recounts) running at once
 * on one instance; the others wait for a turn in this process, without a connection. Why: each of them may wait on
 * a row lock held elsewhere (a deal's row locked by a long submission or another instance): unbounded, a dozen
 * pushes to one locked deal held every pooled connection and an unrelated collective's write waited the whole hold
 * (attack 2, finding B: 20.6 s). Bounded, they keep at most these connections, whatever they wait for.
 */
export const RAW_TURNS: Record<Database['kind'], number> = { postgres: 4, pglite: 1 };

/**
 * Statements of GraphQL queries and of subscriptions' first reads (`inReadLane`) running at once on one instance, outside transactions; the others
 * wait for a turn in this process (at most `connectTimeoutMs`), without a connection. Why: reads of a table locked
 * elsewhere each held a pooled connection until the lock went; twenty of them held the whole pool, and every
 * mutation (its session read first) waited behind them in pg's queue (attack: 95 s, no answer). Bounded, they
 * keep at most these connections, whatever they wait for, and the lock's deadline answers them UNAVAILABLE.
 */
export const READ_TURNS: Record<Database['kind'], number> = { postgres: 3, pglite: 1 };

/**
 * Connections in the PostgreSQL pool (12, as before the read lane): the Prisma transactions' turns, the raw
 * transactions' turns, and as many again as the queries' turns; the queries' statements themselves run on a pool of
 * their own of `READ_TURNS` connections (`LanedPool`, for their shorter lock wait), so an instance opens at most 15. The other reads outside a transaction (sessions, a mutation's own
 * reads, the event bus's tail, the documents' loads) take whichever is free: quick, and bounded by the deadlines
 * (`DatabaseDeadlines`), they find one while both kinds of transaction and the queries wait on locks. Not more
 * connections: each new one is a PostgreSQL backend forked mid-burst (a transaction that waited for it past Prisma's
 * default `maxWait`, 2 s, on a loaded machine once emptied the write queue: bench/burst.ts with 15, 35 of 40
 * UNAVAILABLE in one burst of five; since, `maxWait` is the pool's deadline and a busy pool is told from an outage,
 * see `queueTransactions`).
 */
export const POSTGRES_POOL_SIZE = WRITE_TURNS.postgres + RAW_TURNS.postgres + READ_TURNS.postgres;

/**
 * One wait for a lock by a statement of the read lane, in ms (the PostgreSQL `lock_timeout` of its connections; the
 * configured `lockTimeoutMs` when shorter, none when that is 0), past which the query is answered `UNAVAILABLE`. Why
 * shorter than the others' (10 s): the lane's turns are shared by every query, first come first served, so queries
 * of a table locked elsewhere held them for the whole lock deadline and queries of other tables, waiting behind them,
 * were answered `UNAVAILABLE` at the connection deadline (attack of stop 24, finding 1). A read outside a transaction
 * waits for a lock only behind an `ACCESS EXCLUSIVE` one (`LOCK TABLE`, `ALTER TABLE`, `TRUNCATE`, `VACUUM FULL`):
 * no write of rows ever blocks it, so this only shortens the wait behind an operator's or a migration's lock.
 */
export const READ_LANE_LOCK_TIMEOUT_MS = 1_000;

const readLane = new AsyncLocalStorage<true>();

/**
 * Runs `work` (a GraphQL query's execution) with its statements outside transactions in the read lane: on
 * PostgreSQL they wait for one of `READ_TURNS` (see there); elsewhere nothing changes.
 */
export function inReadLane<T>(work: () => T): T {
  return readLane.run(true, work);
}

/**
 * Runs `work` outside the read lane, whoever calls it: for work one caller starts and others then share (the event
 * bus' read of the log, the delivery index's read of a member). Started by a query (a history catching the bus up), it
 * ran in that query's lane, and every mutation, stream and poll joining it waited for a query's turn: with the turns
 * held by queries of a table locked elsewhere, the bus' read was answered UNAVAILABLE (attack of stop 24, finding 3).
 */
export function outsideReadLane<T>(work: () => T): T {
  return readLane.exit(work);
}

/**
 * A p-limit of `concurrency` whose callers give up waiting for a turn after `waitMs` (0: never) with
 * `UnavailableError`; a call that finds a free turn and nobody waiting arms no timer.
 */
function turnsWithDeadline(concurrency: number, waitMs: number): <T>(work: () => Promise<T>) => Promise<T> {
  const limit = pLimit(concurrency);
  return <T>(work: () => Promise<T>) => {
    if (waitMs === 0 || (limit.activeCount < concurrency && limit.pendingCount === 0)) return limit(work);
    return new Promise<T>((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        reject(new UnavailableError());
      }, waitMs);
      limit(async () => {
        // Its turn came after it gave up: given to the next at once.
        if (expired) return;
        clearTimeout(timer);
        try {
          resolve(await work());
        } catch (error) {
          reject(error);
        }
      });
    });
  };
}

/**
 * A transaction's `maxWait` on PostgreSQL (ms): the pool's own deadline for a connection (`connectTimeoutMs`, which
 * answers first, returning nothing to leak) and a second more. Prisma's default, 2 s, refused transactions that
 * waited for a connection freed by reads, or forked for them on a loaded machine, long before the deadline every
 * other wait has (bench/burst.ts with a pool of 15). No deadline (0): as long as a timer can wait.
 */
export function transactionMaxWait(connectTimeoutMs: number): number {
  return connectTimeoutMs > 0 ? connectTimeoutMs + 1_000 : 2_147_483_647;
}

/** The embedded database never goes away under the server: a wait that ran out is its one connection busy. */
const ALWAYS_ANSWERS = async () => true;

function prismaClient(
  adapter: PrismaPg | PrismaPGlite,
  kind: Database['kind'],
  onQuery: ((sql: string) => void) | undefined,
  transactionOptions: { maxWait: number } | undefined,
  answers: () => Promise<boolean>,
): { prisma: PrismaClient; writes: WriteQueue; accessWrites: AccessWrites } {
  const accessWrites = new AccessWrites();
  adapter = watchAccessWrites(adapter, accessWrites);
  const client = onQuery
    ? new PrismaClient({ adapter, transactionOptions, log: [{ emit: 'event', level: 'query' }] })
    : new PrismaClient({ adapter, transactionOptions });
  if (onQuery) (client as PrismaClient<'query'>).$on('query', (event) => onQuery(event.query));
  // No `$extends`: a query extension put every operation through Prisma's extension machinery (≈ 1.4 ms of the
  // nested query's ≈ 5 ms in Prisma, bench/query.ts). The empty `select` it fixed (a selection of only
  // `__typename`) is never built: Pothos' adapter reads the id then (patches/@pothos__plugin-prisma).
  const { client: prisma, queue } = queueTransactions(client, WRITE_TURNS[kind], answers);
  return { prisma, writes: queue, accessWrites };
}

/**
 * Every session runs in UTC, whatever the database's or server's `timezone` setting: Prisma's driver adapters
 * send instants as text without an offset, which PostgreSQL reads in the session's zone, so in any other zone
 * every stored instant (and `now()` default written by Prisma) would move by the zone's offset. Date-only columns
 * and the SQL that buckets by day then agree with the app too.
 */
export const UTC_SESSION = "SET TIME ZONE 'UTC'";

/** Embedded PGlite on the event loop's thread: every statement runs there. */
/** PostgreSQL's type OID of `bytea`. */
const BYTEA = 17;

/**
 * `bytea` parameters and results in hex, converted natively, for the raw statements (`SqlRunner`; Prisma's adapter
 * passes its own, the same). PGlite's defaults map every byte through a string: 5.9% of the server's CPU in the
 * automerge-paper replay (bench/trace.ts) went to serialising pushed updates.
 */
const BYTEA_SERIALIZERS = {
  [BYTEA]: (bytes: Uint8Array) => `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`,
};
/** Copied out of the Buffer, which may be a view on Node's shared pool. */
const BYTEA_PARSERS = { [BYTEA]: (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex')) };

async function openPglite(dataDir: string, onQuery?: (sql: string) => void): Promise<Database> {
  const unlock = lockFolder(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir, { serializers: BYTEA_SERIALIZERS, parsers: BYTEA_PARSERS });
    await pglite.exec(UTC_SESSION);
  } catch (error) {
    unlock();
    throw error;
  }
  const { prisma, writes, accessWrites } = prismaClient(
    new PrismaPGlite(pglite),
    'pglite',
    onQuery,
    PGLITE_TRANSACTIONS,
    ALWAYS_ANSWERS,
  );
  // Parameterised statements prepared once, each execution one call into PGlite (see `PgliteStatements`); a
  // script may have changed the schema, so every script forgets them once it ran.
  const statements = new PgliteStatements(pglite);
  const sql: SqlRunner = {
    exec: async (script) => {
      onQuery?.(script);
      try {
        await pglite.exec(script);
      } finally {
        statements.forget();
      }
    },
    query: async <Row>(text: string, params: unknown[] = []) => {
      onQuery?.(text);
      return statements.query<Row>(text, params);
    },
    // PGlite's own transaction (its BEGIN and COMMIT, its lock: the one Prisma's adapter takes too).
    transaction: async (work) => {
      onQuery?.('BEGIN');
      const result = await pglite.transaction((tx) =>
        work({
          exec: async (script) => {
            onQuery?.(script);
            try {
              await tx.exec(script);
            } finally {
              statements.forget();
            }
          },
          query: async <Row>(text: string, params: unknown[] = []) => {
            onQuery?.(text);
            // As PGlite's own transaction object refuses a statement once it ended.
            if (tx.closed) throw new Error('Transaction is closed');
            return statements.queryInTransaction<Row>(text, params);
          },
        }),
      );
      onQuery?.('COMMIT');
      return result;
    },
  };
  return {
    kind: 'pglite',
    prisma,
    sql,
    writes,
    accessWrites,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}

/**
 * One connection to the embedded database. PGlite runs one statement at a time anyway, and pglite-socket
 * interleaves the extended-protocol messages (Parse, Bind, Execute…) of concurrent connections outside
 * transactions, which would mix their statements: `pg`'s pool queues callers instead. As with PGlite in-process,
 * a query outside a transaction waits until the open one ends.
 */
const PGLITE_POOL_SIZE = 1;
/** pg reaches a unix socket as `<host folder>/.s.PGSQL.<port>`. */
const PGLITE_SOCKET_PORT = 5432;

/**
 * Embedded PGlite on a thread of its own (`pglite-worker.mjs`), reached over the PostgreSQL wire protocol on a
 * unix socket: the event loop's thread never runs a query, and the server talks to it through the same `pg`
 * pool and Prisma adapter as to PostgreSQL. A transaction keeps its connection; the database thread serves the
 * other connections' statements once it ends (pglite-socket's queue), so transactions stay serialised as in
 * PGlite itself.
 */
async function openPgliteWorker(dataDir: string, onQuery?: (sql: string) => void): Promise<Database> {
  const unlock = lockFolder(dataDir);
  const socketDir = await mkdtemp(join(tmpdir(), 'collectifs-pglite-'));
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    // The thread needs no loader or inspector flag of the main thread (some are refused in workers).
    execArgv: [],
    workerData: {
      dataDir,
      socketPath: join(socketDir, `.s.PGSQL.${PGLITE_SOCKET_PORT}`),
      maxConnections: PGLITE_POOL_SIZE + 2,
    },
  });
  /** The worker's next message holding `key` (or its error). */
  const next = (key: string) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (!(key in message) && !('error' in message)) return;
        stopListening();
        if ('error' in message) reject(new Error(`The embedded database could not be opened in ${dataDir}: ${message.error}`));
        else resolve();
      };
      const onExit = (code: number) => {
        stopListening();
        reject(new Error(`The embedded database's thread exited (${code})`));
      };
      const stopListening = () => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  try {
    await next('ready');
  } catch (error) {
    await worker.terminate();
    await rm(socketDir, { recursive: true, force: true });
    unlock();
    throw error;
  }
  const pool = new pg.Pool({
    host: socketDir,
    port: PGLITE_SOCKET_PORT,
    user: 'postgres',
    database: 'postgres',
    max: PGLITE_POOL_SIZE,
    idleTimeoutMillis: 0,
  });
  const pglite = { transactionOptions: PGLITE_TRANSACTIONS, answers: ALWAYS_ANSWERS };
  return fromPool('pglite', pool, pglite, onQuery, async () => {
    const closed = next('closed');
    worker.postMessage('close');
    await closed.catch(() => {});
    await worker.terminate();
    await rm(socketDir, { recursive: true, force: true });
    unlock();
  });
}

/** Locks an embedded database folder for this process (see `lockDataDir`); nothing to lock in memory. */
function lockFolder(dataDir: string): () => void {
  return dataDir.startsWith('memory://') ? () => {} : lockDataDir(dataDir);
}

/** Past PostgreSQL's own `statement_timeout`, how long a statement's answer is waited for, in ms (`clientDeadlineMs`). */
export const CLIENT_DEADLINE_MARGIN_MS = 5_000;

/** PostgreSQL's largest setting in ms (`idle_in_transaction_session_timeout` takes no more). */
const POSTGRES_MAX_MS = 2_147_483_647;

/**
 * The client-side deadline of one PostgreSQL statement, in ms: its `statement_timeout` and
 * `CLIENT_DEADLINE_MARGIN_MS` (at most PostgreSQL's largest setting); none (undefined) when statements have no deadline
 * (`statementTimeoutMs` 0). Why: a connection gone silent (a link black-holed by a NAT or a firewall, a frozen host)
 * never answers, and PostgreSQL's own deadline cannot reach the client: the statement and its caller waited for as
 * long as the TCP connection lived (attack of stop 29 on grouped session reads). Past it `SilentStatementWatch` drops
 * the connection and its caller gets `UNAVAILABLE`. Any statement PostgreSQL would let run is answered before it.
 */
export function clientDeadlineMs(statementTimeoutMs: number): number | undefined {
  return statementTimeoutMs > 0 ? Math.min(statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS, POSTGRES_MAX_MS) : undefined;
}

/** pg's internals `SilentStatementWatch` reads: the statement a connection has sent and awaits (pg 8). */
interface WatchedClient {
  _getActiveQuery(): { text?: string } | null | undefined;
  /** The backend's process ID (pg's `BackendKeyData`), once connected. */
  processID?: number | null;
  connection?: { stream?: { destroy(): void } };
}

/**
 * A `pg` client with what `SilentStatementWatch` needs: whether its statements are watched now, and its own deadline
 * for the connection's startup (`connectDeadlineMs` in its pool's configuration: pg's per-connection
 * `connectionTimeoutMillis`, not pg-pool's, which would arm a timer at every acquire). Why the startup's: connections
 * opened while the link was silent never finished starting, and held the pool's places for good (attack of stop 30, P2).
 */
class DeadlineClient extends pg.Client {
  /** Its statements run without the client-side deadline (a migration's transaction, `TransactionOptions`). */
  unbounded = false;
  constructor(config: pg.ClientConfig & { connectDeadlineMs?: number } = {}) {
    super({ ...config, connectionTimeoutMillis: config.connectDeadlineMs || config.connectionTimeoutMillis });
  }
}

/**
 * Drops a pooled connection whose statement has gone unanswered past the client-side deadline (`clientDeadlineMs`):
 * its caller then gets pg's "Connection terminated" (`UNAVAILABLE`), and the pool, which listens for it, forgets the
 * connection, so no later statement waits behind the silent one; then asks PostgreSQL, on another connection, to end
 * that connection's backend (`pg_terminate_backend`, best effort): the server never learns a black-holed client left,
 * and its backend stayed for as long as its TCP stack kept it, one more each time (attack 2 of stop 30, finding 3).
 * A sweep of the pool's connections (at most a quarter of the deadline apart, 1 s at most), not a timer per statement:
 * no cost on the path of a request (issue 11), and a statement is timed from when it is seen sent, never while it
 * waits its turn behind others of its connection (attack of stop 30, F4). A `COMMIT` is watched too: left unwatched, a
 * commit on a link gone silent was never answered and held its write turn for good, five of them every write of the
 * instance (attack 2, finding 1). Its outcome is then unknown (a commit waiting for a synchronous standby, which
 * `statement_timeout` does not bound, may still complete): the mutation is answered `UNAVAILABLE`, and a retry with the
 * same `Idempotency-Key` (the web app sends one) is applied at most once. Not watched: the statements of an
 * `unbounded` transaction (migrations, F2).
 */
class SilentStatementWatch {
  readonly #seen = new Map<WatchedClient, { statement: unknown; since: number }>();
  readonly #timer: NodeJS.Timeout;
  constructor(
    private readonly pool: pg.Pool,
    private readonly deadlineMs: number,
  ) {
    pool.on('connect', (client) => this.#seen.set(client as unknown as WatchedClient, { statement: null, since: 0 }));
    pool.on('remove', (client) => this.#seen.delete(client as unknown as WatchedClient));
    this.#timer = setInterval(() => this.#sweep(), Math.max(10, Math.min(1_000, Math.floor(deadlineMs / 4))));
    this.#timer.unref();
  }
  #sweep(): void {
    const now = performance.now();
    for (const [client, seen] of this.#seen) {
      const statement = client._getActiveQuery() ?? null;
      if (statement !== seen.statement) {
        seen.statement = statement;
        seen.since = now;
        continue;
      }
      if (!statement || now - seen.since <= this.deadlineMs || (client as unknown as DeadlineClient).unbounded) continue;
      this.#seen.delete(client);
      client.connection?.stream?.destroy();
      if (client.processID)
        this.pool.query('SELECT pg_terminate_backend($1)', [client.processID]).catch(() => {
          // The server out of reach too: its own TCP stack ends the backend, as before.
        });
    }
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * A `pg` pool whose `connect` (transactions, and `query` underneath) waits at most `waitMs` when no idle connection
 * is left for it, then fails as pg's own `connectionTimeoutMillis` does (`timeout exceeded when trying to connect`,
 * `UNAVAILABLE`). Not pg's option: with it pg-pool arms and clears a timer at every acquire, idle connections or not
 * (a cost issue 11 measured at 6 % of a small request's CPU for the idle timer).
 */
class DeadlinePool extends pg.Pool {
  readonly #waitMs: number;
  readonly #watch: SilentStatementWatch | null;
  /** `statementDeadlineMs`: the client-side deadline of its statements (`clientDeadlineMs`; none when undefined). */
  constructor(config: pg.PoolConfig, waitMs: number, statementDeadlineMs?: number) {
    super(config);
    this.#waitMs = waitMs;
    this.#watch = statementDeadlineMs ? new SilentStatementWatch(this, statementDeadlineMs) : null;
  }
  // biome-ignore lint/suspicious/noExplicitAny: pg's callback and promise forms, passed through.
  override end(callback?: any): any {
    // Stopped once every connection is back: pg-pool's `end` waits for the checked-out ones, and a statement on a
    // silent link must still be cut (attack 2 of stop 30, finding 2: closing hung).
    const ended = (super.end() as Promise<void>).finally(() => this.#watch?.stop());
    if (!callback) return ended;
    ended.then(() => callback(), callback);
    return undefined;
  }
  // biome-ignore lint/suspicious/noExplicitAny: pg's callback and promise forms, passed through.
  override connect(callback?: any): any {
    // An idle connection for this caller (pg-pool serves its queue in order): no wait, no timer.
    if (this.#waitMs === 0 || this.idleCount > this.waitingCount) return super.connect(callback);
    const connecting = super.connect() as Promise<pg.PoolClient>;
    const waited = new Promise<pg.PoolClient>((resolve, reject) => {
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        reject(new Error('timeout exceeded when trying to connect'));
      }, this.#waitMs);
      connecting.then(
        (client) => {
          // Came after its caller gave up: back to the pool for the next.
          if (expired) client.release();
          else {
            clearTimeout(timer);
            resolve(client);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!expired) reject(error);
        },
      );
    });
    if (!callback) return waited;
    waited.then(
      (client) => callback(undefined, client, client.release),
      (error: unknown) => callback(error),
    );
    return undefined;
  }
}

/**
 * The server's `pg` pool (`DeadlinePool`): `query` called in the read lane (`inReadLane`; statements outside
 * transactions: Prisma's adapter and `SqlRunner.query`) waits for one of `readTurns` turns, at most `waitMs`, then
 * runs on a pool of its own of `readTurns` connections whose lock wait is `laneOptions`' (`READ_LANE_LOCK_TIMEOUT_MS`).
 * A subclass, as Prisma's adapter takes only a `pg.Pool` (`instanceof`).
 */
class LanedPool extends DeadlinePool {
  readonly #readTurns: <T>(work: () => Promise<T>) => Promise<T>;
  readonly #lane: DeadlinePool;
  constructor(
    config: pg.PoolConfig,
    readTurns: number,
    laneOptions: string,
    waitMs: number,
    statementDeadlineMs: number | undefined,
  ) {
    super(config, waitMs, statementDeadlineMs);
    this.#readTurns = turnsWithDeadline(readTurns, waitMs);
    this.#lane = new DeadlinePool({ ...config, max: readTurns, options: laneOptions }, waitMs, statementDeadlineMs);
    // An idle connection the server closes must not crash the process (as `fromPool` does for this pool).
    this.#lane.on('error', () => {});
  }
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads (callback forms included) are passed through as they are.
  override query(...args: any[]): any {
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    const query = super.query as (...a: any[]) => any;
    if (!readLane.getStore() || typeof args[args.length - 1] === 'function') return query.apply(this, args);
    const lane = this.#lane;
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    return this.#readTurns(() => (lane.query as (...a: any[]) => any).apply(lane, args));
  }
  // biome-ignore lint/suspicious/noExplicitAny: pg's callback and promise forms, passed through.
  override end(callback?: any): any {
    const ended = Promise.all([super.end(), this.#lane.end()]).then(() => undefined);
    if (!callback) return ended;
    ended.then(() => callback(), callback);
    return undefined;
  }
}

async function openPostgres(
  connectionString: string,
  deadlines: DatabaseDeadlines,
  onQuery?: (sql: string) => void,
): Promise<Database> {
  // Idle connections are kept (`idleTimeoutMillis: 0`): pg-pool otherwise arms a timer at every release and clears it
  // at the next acquire, which was 6 % of a `{ __typename }` request's CPU (issue 11); `POSTGRES_POOL_SIZE` connections at most.
  // The lock and statement deadlines are the session's defaults, sent once per connection (no statement of their own).
  // A transaction left idle past the client-side deadline is ended by PostgreSQL itself, with its locks: a connection
  // dropped for its silence (`SilentStatementWatch`) whose backend never heard of it held the event log's lock, and
  // every write on every instance waited (attack of stop 30, F5).
  // In whole milliseconds, as PostgreSQL rounds them (0.4 is no deadline there; the client's must agree, finding 5).
  const statementTimeoutMs = Math.round(deadlines.statementTimeoutMs);
  const statementDeadlineMs = clientDeadlineMs(statementTimeoutMs);
  const sessionOptions = (lockTimeoutMs: number) =>
    `-c TimeZone=UTC -c lock_timeout=${Math.round(lockTimeoutMs)} -c statement_timeout=${statementTimeoutMs}` +
    ` -c idle_in_transaction_session_timeout=${statementDeadlineMs ?? 0}`;
  const options = sessionOptions(deadlines.lockTimeoutMs);
  const laneLockTimeoutMs =
    deadlines.lockTimeoutMs === 0
      ? 0
      : Math.min(deadlines.lockTimeoutMs, deadlines.readLaneLockTimeoutMs ?? READ_LANE_LOCK_TIMEOUT_MS);
  const pool = new LanedPool(
    {
      connectionString,
      max: POSTGRES_POOL_SIZE,
      idleTimeoutMillis: 0,
      options,
      Client: DeadlineClient,
      connectDeadlineMs: deadlines.connectTimeoutMs,
    } as pg.PoolConfig,
    READ_TURNS.postgres,
    sessionOptions(laneLockTimeoutMs),
    deadlines.connectTimeoutMs,
    statementDeadlineMs,
  );
  const probeWaitMs = deadlines.connectTimeoutMs || DEFAULT_DEADLINES.connectTimeoutMs;
  const postgres = {
    transactionOptions: { maxWait: transactionMaxWait(deadlines.connectTimeoutMs) },
    answers: () =>
      databaseAnswers({ connectionString, options, connectionTimeoutMillis: probeWaitMs, query_timeout: probeWaitMs }),
  };
  return fromPool('postgres', pool, postgres, onQuery, undefined, deadlines.connectTimeoutMs);
}

/**
 * Whether PostgreSQL answers `SELECT 1` on a connection of its own, outside the pool, within the `config`'s
 * deadlines: false when it refuses, fails or stays silent. For the write queue, to tell a pool whose connections are
 * all busy from a database that is down (`queueTransactions`).
 */
async function databaseAnswers(config: pg.ClientConfig): Promise<boolean> {
  const client = new pg.Client(config);
  // A connection lost while asking must not crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    void client.end().catch(() => {});
  }
}

/**
 * Prisma and raw SQL over a `pg` pool (PostgreSQL, or the embedded database's socket). A raw transaction waits
 * at most `turnWaitMs` for its turn (0: as long as it takes; the embedded database's one connection).
 */
function fromPool(
  kind: Database['kind'],
  pool: pg.Pool,
  transactions: { transactionOptions: { maxWait: number }; answers: () => Promise<boolean> },
  onQuery?: (sql: string) => void,
  afterClose?: () => Promise<void>,
  turnWaitMs = 0,
): Database {
  // An idle connection the server closes (restart, dropped test database) must not crash the process.
  pool.on('error', () => {});
  const { prisma, writes } = prismaClient(
    new PrismaPg(pool),
    kind,
    onQuery,
    transactions.transactionOptions,
    transactions.answers,
  );
  const onClient = (client: pg.PoolClient | pg.Pool): Omit<SqlRunner, 'transaction'> => ({
    exec: async (script) => {
      onQuery?.(script);
      await client.query(script);
    },
    query: async <Row>(text: string, params: unknown[] = []) => {
      onQuery?.(text);
      return (await client.query(text, params)).rows as Row[];
    },
  });
  const transactionOnClient = async <T>(
    work: (sql: Omit<SqlRunner, 'transaction'>) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> => {
    const client = await pool.connect();
    const run = onClient(client);
    // Unwatched for the transaction's length (`SilentStatementWatch`); a plain `pg.Client` (PGlite's socket) has no watch.
    const watched = client as unknown as { unbounded?: boolean };
    if (options?.unbounded && 'unbounded' in watched) watched.unbounded = true;
    let broken: Error | undefined;
    // A connection lost while checked out and between statements (PostgreSQL stopped) emits `error` on the client,
    // which pg-pool listens for only on idle ones: unheard, it was an uncaught exception. The next statement fails
    // with it anyway (and the rollback, which discards the connection).
    const lost = (error: Error) => {
      broken = error;
    };
    client.on('error', lost);
    try {
      await run.exec('BEGIN');
      const result = await work(run);
      await run.exec('COMMIT');
      return result;
    } catch (error) {
      await run.exec('ROLLBACK').catch((rollback: unknown) => {
        // The connection is unusable (the server went away mid-transaction): the pool must not hand it out again.
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw error;
    } finally {
      if ('unbounded' in watched) watched.unbounded = false;
      client.off('error', lost);
      client.release(broken);
    }
  };
  // Raw transactions wait for one of `RAW_TURNS` here (in the caller's async context) before taking a connection.
  const rawTurns = turnsWithDeadline(RAW_TURNS[kind], turnWaitMs);
  const sql: SqlRunner = {
    ...onClient(pool),
    transaction: (work, options) => rawTurns(() => transactionOnClient(work, options)),
  };
  return {
    kind,
    prisma,
    sql,
    writes,
    // Not `accessWrites`: others may write this database (see `Database.accessWrites`).
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
      await afterClose?.();
    },
  };
}
