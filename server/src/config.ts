import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseDeadlines, DEFAULT_DEADLINES } from './db/deadlines.js';
import type { IntrospectionPolicy, SecuritySettings } from './transport/security.js';

/** The repository root: the default data folder lives there, whatever the working directory. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runtime configuration, read from the environment once at start. */
export interface Config {
  /** PostgreSQL connection string; embedded PGlite when absent. */
  databaseUrl: string | undefined;
  /** PGlite data folder (`memory://` for a throwaway database); a relative DATA_DIR is read from where the command was typed. */
  dataDir: string;
  /** Redis URL; subscriptions stay in-process when absent. */
  redisUrl: string | undefined;
  port: number;
  host: string;
  /** How long a session lasts without signing in again. */
  sessionTtlMs: number;
  /** Seed the demo cooperative into an empty database at start. */
  seedWhenEmpty: boolean;
  /** Events a live subscriber may have waiting before it is told it lags and must resume. */
  subscriberBuffer: number;
  /** How often the log is read even without a notification, while someone subscribes. */
  eventPollMs: number;
  /** Events older than this are pruned from the log (resuming from before gets a resync). */
  eventRetentionDays: number;
  /** How long a mutation's idempotency key (and its stored answer) is kept, in hours (`IDEMPOTENCY_KEY_TTL_HOURS`, 24). */
  idempotencyKeyTtlHours: number;
  /** Largest co-editing update accepted, in bytes. */
  maxUpdateBytes: number;
  /** Updates in a section's log before they are folded into its snapshot. */
  compactAfter: number;
  /** Where embedded PGlite runs: the event loop's thread (`main`) or a thread of its own (`worker`). */
  pgliteThread: 'main' | 'worker';
  /** How long a request may wait on PostgreSQL: a lock, a statement, a connection (see `DatabaseDeadlines`). */
  databaseDeadlines: DatabaseDeadlines;
  /** HTTP limits (slow or oversized clients); see `HttpLimits`. */
  http: HttpLimits;
  /** How long `/ready` waits for each dependency (database `SELECT 1`, Redis `PING`), in milliseconds. */
  readyTimeoutMs: number;
  /** Production mode, introspection and CORS; see `SecuritySettings`. */
  security: SecuritySettings;
  /** How long a graceful shutdown (SIGTERM) waits for requests in flight before it cuts them, in milliseconds. */
  shutdownTimeoutMs: number;
  /** What one caller may consume: query shape, sockets, rates (see `Limits` and SECURITY.md). */
  limits: Limits;
}

/**
 * Every other resource bound a caller meets, each with its default and its environment variable (listed in
 * SECURITY.md). Tests and benchmarks start from `GENEROUS_LIMITS_ENV`, so no limit throttles them by accident.
 */
export interface Limits {
  /** The shape of one GraphQL document (graphql-armor), checked on HTTP, SSE and graphql-ws alike. */
  query: {
    /** Deepest field nesting (`GRAPHQL_MAX_DEPTH`, 10; the web app's deepest document is 8). */
    maxDepth: number;
    /**
     * Largest static cost (`GRAPHQL_MAX_COST`, 50 000): graphql-armor's sum of 2 per object field and 1 per
     * scalar, × 1.5 per level, × `first`/`last`; the web app's dearest document costs about 25 000.
     */
    maxCost: number;
    /** Aliases in one document (`GRAPHQL_MAX_ALIASES`, 15; the web app uses none). */
    maxAliases: number;
    /** Lexical tokens in one document (`GRAPHQL_MAX_TOKENS`, 3 000; the web app's largest has about 400). */
    maxTokens: number;
    /** Directives in one document (`GRAPHQL_MAX_DIRECTIVES`, 10). */
    maxDirectives: number;
    /**
     * Most entries in one list argument or list input field, variables and literals alike (`GRAPHQL_MAX_LIST_ITEMS`,
     * 100: `nodes(ids:)`, product owners, deal partners, lots… the web app never sends more than a few dozen).
     */
    maxListItems: number;
    /** Deepest nesting of arrays and objects in an operation's variables (`GRAPHQL_MAX_INPUT_DEPTH`, 32; the web app's is 4). */
    maxInputDepth: number;
    /**
     * Weight of heavy fields one operation may ask (`GRAPHQL_MAX_HEAVY_WEIGHT`, 3): fields marked `heavy` in the
     * schema (an export or saving or restoring a version weighs 2, a version's text 1), each counted once per row it
     * may be asked for (`first`/`last`, list length, else the page or list maximum). So one export or one save (with
     * its text) per operation: aliases cannot multiply them.
     */
    maxHeavyWeight: number;
  };
  /** graphql-ws sockets. */
  ws: {
    /** Largest message, in bytes (`WS_MAX_PAYLOAD_BYTES`, the HTTP body limit); past it the socket is closed 1009. */
    maxPayloadBytes: number;
    /** Operations running at once on one socket (`WS_MAX_OPERATIONS_PER_SOCKET`, 50); past it a `RATE_LIMITED` error. */
    maxOperationsPerSocket: number;
    /** Messages one socket may send in a second (`WS_MAX_MESSAGES_PER_SECOND`, 100); past it the socket is closed 4429. */
    maxMessagesPerSecond: number;
    /**
     * Open sockets per member, or per address for anonymous ones and for every socket until its connection_init
     * is accepted (`WS_MAX_SOCKETS_PER_USER`, 20); past it 4429.
     */
    maxSocketsPerUser: number;
    /**
     * Largest message, in bytes, before the socket's connection_init is accepted (`WS_MAX_INIT_PAYLOAD_BYTES`,
     * 16 KiB: a connection_init carries a token); past it the socket is closed 1009.
     */
    maxInitPayloadBytes: number;
  };
  /**
   * Deepest nesting of arrays and objects in a JSON request body, query-string parameter or graphql-ws message
   * (`JSON_MAX_DEPTH`, 64; the web app's deepest, a presence cursor in its variables, is under 10). Past it:
   * HTTP 400 `BAD_USER_INPUT` (`limit: jsonDepth`), a socket closed 4400, before the JSON is parsed.
   */
  maxJsonDepth: number;
  /** GraphQL requests one caller (the member a bearer token names, or the address) has in flight over HTTP (`HTTP_MAX_IN_FLIGHT_PER_CALLER`, 16). */
  maxInflightPerCaller: number;
  /** SSE streams open at once per member, or per address when anonymous (`SSE_MAX_STREAMS_PER_USER`, 20). */
  maxSseStreamsPerUser: number;
  /** graphql-sse single-connection streams (`PUT /graphql/stream`): who may reserve them, how many, for how long. */
  sseReservations: {
    /** Streams reserved or open at once per member (`SSE_MAX_RESERVED_STREAMS_PER_USER`, 4; a page needs one). */
    maxPerUser: number;
    /** How long a reserved stream waits to be opened before it and its operations are dropped, in ms (`SSE_RESERVATION_TTL_MS`, 10 s). */
    ttlMs: number;
    /**
     * Results one graphql-sse stream may hold that its client has not read yet (`SSE_MAX_UNREAD_RESULTS`, 64):
     * past it the stream's operations wait, and their events wait in their subscriber buffers (`SUBSCRIBER_BUFFER`).
     */
    maxUnreadResults: number;
  };
  /** Sign-in: failures before a temporary lock, and the password-hashing queue. */
  signIn: {
    /** Failed sign-ins per account (email) before it is locked (`SIGN_IN_FAILURES_PER_ACCOUNT`, 10). */
    failuresPerAccount: number;
    /** Failed sign-ins per client address before it is locked (`SIGN_IN_FAILURES_PER_ADDRESS`, 100). */
    failuresPerAddress: number;
    /** The window failures are counted in, and the first lock's length, in ms (`SIGN_IN_LOCK_MS`, 15 min). */
    lockMs: number;
    /**
     * The longest lock, in ms (`SIGN_IN_MAX_LOCK_MS`, 24 h): each further lock of an account or address lasts twice
     * the one before (15 min, 30 min, 1 h…), up to this; the count starts again once this long passes after a lock
     * ends without a new one.
     */
    maxLockMs: number;
    /** Password hashes computed at once (`PASSWORD_HASH_CONCURRENCY`, 2; each scrypt takes 128 MiB). */
    hashConcurrency: number;
    /** Sign-ins waiting for a hashing slot before more are refused (`PASSWORD_HASH_QUEUE`, 32). */
    hashQueue: number;
  };
  /** Mutations per member per second (`MUTATIONS_PER_SECOND`, 30), co-editing's pushes and cursor positions aside. */
  mutationsPerSecond: number;
  /**
   * Co-editing's pushes and cursor positions (`pushSectionUpdate`, `updatePresence`) per member per second
   * (`COEDITING_MESSAGES_PER_SECOND`, 50): a push per keystroke (a held key repeats about 30 times a second) and a
   * cursor position at most every 120 ms fit; past it the web editor waits and sends what is pending merged. Not
   * higher: a push costs more the larger its section, and 120 a second from one member slowed others 3× (attack).
   */
  coeditingMessagesPerSecond: number;
  /** Work one change or one request may cause. */
  work: {
    /**
     * Largest section, in bytes of its encoded Yjs state (`MAX_SECTION_BYTES`, 4 MiB: hundreds of pages of
     * text); a push past it is refused (`SECTION_TOO_LARGE`), deletions still pass.
     */
    maxSectionBytes: number;
    /**
     * Largest export, in bytes of the content read for it (the visible sections' text and structure, as JSON;
     * `EXPORT_MAX_BYTES`, 16 MiB); past it the export is refused (`EXPORT_TOO_LARGE`, HTTP 413) before the file is built.
     */
    maxExportBytes: number;
    /** Exports built at once on an instance (`EXPORT_CONCURRENCY`, 2); the others wait their turn. */
    exportConcurrency: number;
    /**
     * Exports waiting for their turn on an instance (`EXPORT_QUEUE`, 8): past it an export is refused
     * (`RATE_LIMITED`, `exportQueue`) rather than held with its request.
     */
    exportQueue: number;
    /**
     * Exports one caller (member, else address) may have in flight, building or waiting (`EXPORTS_PER_CALLER`,
     * 1); past it `RATE_LIMITED` (`exportsPerCaller`).
     */
    exportsPerCaller: number;
    /** Named versions a section keeps (`SECTION_MAX_VERSIONS`, 50); saving past it is refused (`TOO_MANY_VERSIONS`). */
    maxNamedVersionsPerSection: number;
    /** Automatic versions a section keeps (`SECTION_MAX_AUTOMATIC_VERSIONS`, 50); the oldest give way to a new one. */
    maxAutomaticVersionsPerSection: number;
    /**
     * Bytes of Yjs states a section's versions hold in all (`SECTION_MAX_VERSION_BYTES`, 64 MiB): the oldest
     * automatic versions give way to a new version; a named one that still does not fit is refused (`TOO_MANY_VERSIONS`).
     */
    maxVersionBytesPerSection: number;
    /**
     * Shortest time between two recomputations of one live dashboard, in ms (`DASHBOARD_MIN_INTERVAL_MS`, 1 000):
     * changes meanwhile are folded into the next one.
     */
    dashboardMinIntervalMs: number;
    /** Dashboards recomputed at once on an instance (`DASHBOARD_CONCURRENCY`, 4); the others wait their turn. */
    dashboardConcurrency: number;
  };
}

/** What one HTTP client may hold: Node's own timeouts and sizes, and the body size read before GraphQL. */
export interface HttpLimits {
  /** Time to send the request line and headers, in milliseconds (slowloris); Node answers 408 past it. */
  headersTimeoutMs: number;
  /** Time to send the whole request (headers and body), in milliseconds; Node answers 408 past it. */
  requestTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes; Node answers 431 past it. */
  maxHeaderBytes: number;
  /** Largest request body, in bytes (413 past it); keep it above 4/3 × `maxUpdateBytes` (updates travel in base64). */
  maxBodyBytes: number;
  /**
   * TCP connections one address may hold open at once, WebSockets and SSE streams included
   * (`HTTP_MAX_CONNECTIONS_PER_ADDRESS`, 128: a browser opens at most six per origin plus its sockets, so a
   * few dozen people behind one NAT fit); past it a new connection is closed as soon as it is accepted.
   */
  maxConnectionsPerAddress: number;
  /**
   * TCP connections all addresses together may hold open at once (`HTTP_MAX_CONNECTIONS`; by default three quarters
   * of the process's open-file limit, between 64 and 10 000: `defaultMaxConnections`), so that many addresses cannot
   * take the descriptors the database, files and logs need; past it a new connection is closed as it is accepted.
   */
  maxConnections: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    // pnpm runs scripts inside server/; INIT_CWD is where the user typed the command.
    dataDir:
      env.DATA_DIR === 'memory://'
        ? 'memory://'
        : env.DATA_DIR
          ? resolve(env.INIT_CWD ?? process.cwd(), env.DATA_DIR)
          : resolve(ROOT, 'data'),
    redisUrl: env.REDIS_URL || undefined,
    port: env.PORT ? Number(env.PORT) : 4000,
    host: env.HOST || '127.0.0.1',
    sessionTtlMs: (env.SESSION_TTL_HOURS ? Number(env.SESSION_TTL_HOURS) : 24 * 30) * 3_600_000,
    seedWhenEmpty: env.SEED !== 'false',
    subscriberBuffer: env.SUBSCRIBER_BUFFER ? Number(env.SUBSCRIBER_BUFFER) : 1000,
    eventPollMs: env.EVENT_POLL_MS ? Number(env.EVENT_POLL_MS) : 1000,
    eventRetentionDays: env.EVENT_RETENTION_DAYS ? Number(env.EVENT_RETENTION_DAYS) : 90,
    idempotencyKeyTtlHours: numberFrom(env.IDEMPOTENCY_KEY_TTL_HOURS, 24),
    maxUpdateBytes: env.MAX_UPDATE_BYTES ? Number(env.MAX_UPDATE_BYTES) : 1024 * 1024,
    compactAfter: env.COMPACT_AFTER ? Number(env.COMPACT_AFTER) : 200,
    pgliteThread: env.PGLITE_THREAD === 'worker' ? 'worker' : 'main',
    databaseDeadlines: {
      lockTimeoutMs: numberFrom(env.DATABASE_LOCK_TIMEOUT_MS, DEFAULT_DEADLINES.lockTimeoutMs),
      statementTimeoutMs: numberFrom(env.DATABASE_STATEMENT_TIMEOUT_MS, DEFAULT_DEADLINES.statementTimeoutMs),
      connectTimeoutMs: numberFrom(env.DATABASE_CONNECT_TIMEOUT_MS, DEFAULT_DEADLINES.connectTimeoutMs),
    },
    http: {
      headersTimeoutMs: numberFrom(env.HTTP_HEADERS_TIMEOUT_MS, 10_000),
      requestTimeoutMs: numberFrom(env.HTTP_REQUEST_TIMEOUT_MS, 30_000),
      maxHeaderBytes: numberFrom(env.HTTP_MAX_HEADER_BYTES, 16 * 1024),
      maxBodyBytes: numberFrom(env.HTTP_MAX_BODY_BYTES, 2 * 1024 * 1024),
      maxConnectionsPerAddress: numberFrom(env.HTTP_MAX_CONNECTIONS_PER_ADDRESS, 128),
      maxConnections: numberFrom(env.HTTP_MAX_CONNECTIONS, defaultMaxConnections()),
    },
    readyTimeoutMs: numberFrom(env.READY_TIMEOUT_MS, 1_000),
    shutdownTimeoutMs: numberFrom(env.SHUTDOWN_TIMEOUT_MS, 10_000),
    security: securityFrom(env),
    limits: {
      query: {
        maxDepth: numberFrom(env.GRAPHQL_MAX_DEPTH, 10),
        maxCost: numberFrom(env.GRAPHQL_MAX_COST, 50_000),
        maxAliases: numberFrom(env.GRAPHQL_MAX_ALIASES, 15),
        maxTokens: numberFrom(env.GRAPHQL_MAX_TOKENS, 3_000),
        maxDirectives: numberFrom(env.GRAPHQL_MAX_DIRECTIVES, 10),
        maxListItems: numberFrom(env.GRAPHQL_MAX_LIST_ITEMS, 100),
        maxInputDepth: numberFrom(env.GRAPHQL_MAX_INPUT_DEPTH, 32),
        maxHeavyWeight: numberFrom(env.GRAPHQL_MAX_HEAVY_WEIGHT, 3),
      },
      ws: {
        maxPayloadBytes: numberFrom(env.WS_MAX_PAYLOAD_BYTES, numberFrom(env.HTTP_MAX_BODY_BYTES, 2 * 1024 * 1024)),
        maxOperationsPerSocket: numberFrom(env.WS_MAX_OPERATIONS_PER_SOCKET, 50),
        maxMessagesPerSecond: numberFrom(env.WS_MAX_MESSAGES_PER_SECOND, 100),
        maxSocketsPerUser: numberFrom(env.WS_MAX_SOCKETS_PER_USER, 20),
        maxInitPayloadBytes: numberFrom(env.WS_MAX_INIT_PAYLOAD_BYTES, 16 * 1024),
      },
      maxJsonDepth: numberFrom(env.JSON_MAX_DEPTH, 64),
      maxInflightPerCaller: numberFrom(env.HTTP_MAX_IN_FLIGHT_PER_CALLER, 16),
      maxSseStreamsPerUser: numberFrom(env.SSE_MAX_STREAMS_PER_USER, 20),
      sseReservations: {
        maxPerUser: numberFrom(env.SSE_MAX_RESERVED_STREAMS_PER_USER, 4),
        ttlMs: numberFrom(env.SSE_RESERVATION_TTL_MS, 10_000),
        maxUnreadResults: numberFrom(env.SSE_MAX_UNREAD_RESULTS, 64),
      },
      signIn: {
        failuresPerAccount: numberFrom(env.SIGN_IN_FAILURES_PER_ACCOUNT, 10),
        failuresPerAddress: numberFrom(env.SIGN_IN_FAILURES_PER_ADDRESS, 100),
        lockMs: numberFrom(env.SIGN_IN_LOCK_MS, 15 * 60_000),
        maxLockMs: numberFrom(env.SIGN_IN_MAX_LOCK_MS, 24 * 3_600_000),
        hashConcurrency: numberFrom(env.PASSWORD_HASH_CONCURRENCY, 2),
        hashQueue: numberFrom(env.PASSWORD_HASH_QUEUE, 32),
      },
      mutationsPerSecond: numberFrom(env.MUTATIONS_PER_SECOND, 30),
      coeditingMessagesPerSecond: numberFrom(env.COEDITING_MESSAGES_PER_SECOND, 50),
      work: {
        maxSectionBytes: numberFrom(env.MAX_SECTION_BYTES, 4 * 1024 * 1024),
        maxExportBytes: numberFrom(env.EXPORT_MAX_BYTES, 16 * 1024 * 1024),
        exportConcurrency: numberFrom(env.EXPORT_CONCURRENCY, 2),
        exportQueue: numberFrom(env.EXPORT_QUEUE, 8),
        exportsPerCaller: numberFrom(env.EXPORTS_PER_CALLER, 1),
        maxNamedVersionsPerSection: numberFrom(env.SECTION_MAX_VERSIONS, 50),
        maxAutomaticVersionsPerSection: numberFrom(env.SECTION_MAX_AUTOMATIC_VERSIONS, 50),
        maxVersionBytesPerSection: numberFrom(env.SECTION_MAX_VERSION_BYTES, 64 * 1024 * 1024),
        dashboardMinIntervalMs: numberFrom(env.DASHBOARD_MIN_INTERVAL_MS, 1_000),
        dashboardConcurrency: numberFrom(env.DASHBOARD_CONCURRENCY, 4),
      },
    },
  };
}

/**
 * Settings under which no limit of `Limits` throttles a test or a benchmark by accident (thousands of
 * subscribers from one member, floods of mutations). Query-shape limits stay at their defaults: the web
 * app's documents pass them. A test of a limit sets that limit low on top of these.
 */
export const GENEROUS_LIMITS_ENV: Readonly<Record<string, string>> = {
  WS_MAX_OPERATIONS_PER_SOCKET: '100000',
  WS_MAX_MESSAGES_PER_SECOND: '1000000',
  WS_MAX_SOCKETS_PER_USER: '100000',
  SSE_MAX_STREAMS_PER_USER: '100000',
  SSE_MAX_RESERVED_STREAMS_PER_USER: '100000',
  HTTP_MAX_IN_FLIGHT_PER_CALLER: '100000',
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  HTTP_MAX_CONNECTIONS: '100000',
  SIGN_IN_FAILURES_PER_ACCOUNT: '1000000',
  SIGN_IN_FAILURES_PER_ADDRESS: '1000000',
  PASSWORD_HASH_QUEUE: '100000',
  MUTATIONS_PER_SECOND: '1000000',
  COEDITING_MESSAGES_PER_SECOND: '1000000',
  MAX_SECTION_BYTES: '1000000000',
  EXPORT_MAX_BYTES: '1000000000',
  EXPORT_CONCURRENCY: '1000',
  EXPORT_QUEUE: '100000',
  EXPORTS_PER_CALLER: '100000',
  SECTION_MAX_VERSIONS: '100000',
  SECTION_MAX_AUTOMATIC_VERSIONS: '100000',
  SECTION_MAX_VERSION_BYTES: '100000000000',
  // Live dashboards follow every burst of changes at once (tests await each recomputation).
  DASHBOARD_MIN_INTERVAL_MS: '0',
  DASHBOARD_CONCURRENCY: '1000',
};

/**
 * The process's open-file limit (its soft `RLIMIT_NOFILE`, which Node raises to the hard limit at start), read from
 * `/proc/self/limits`; null where that file does not exist (not Linux) or says `unlimited`.
 */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) && soft > 0 ? soft : null;
  } catch {
    return null;
  }
}

/**
 * The default of `HTTP_MAX_CONNECTIONS`: three quarters of the open-file limit, so that the database pool, Redis,
 * PGlite's files, static files being sent and logs keep a quarter of the descriptors whatever the clients hold; at
 * most 10 000 (a small server's memory: each open connection holds tens of KiB in the kernel and in Node) and at
 * least 64. 10 000 where the limit cannot be read.
 */
export function defaultMaxConnections(fileLimit: number | null = openFileLimit()): number {
  if (fileLimit === null) return 10_000;
  return Math.max(64, Math.min(10_000, Math.floor(fileLimit * 0.75)));
}

/** A numeric setting, or its default when unset or empty. */
function numberFrom(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`Not a non-negative number: ${value}`);
  return number;
}

/**
 * `NODE_ENV=production` (what `pnpm start` sets) turns field suggestions off and limits introspection to
 * signed-in callers; `INTROSPECTION` (`all`, `signed-in`, `none`) overrides that. `CORS_ORIGINS` is a comma-separated
 * allow-list of origins (`https://app.example.org`); unset, browsers may call the API from its own origin only.
 */
function securityFrom(env: NodeJS.ProcessEnv): SecuritySettings {
  const production = env.NODE_ENV === 'production';
  const policies: IntrospectionPolicy[] = ['all', 'signed-in', 'none'];
  const asked = env.INTROSPECTION as IntrospectionPolicy | undefined;
  if (asked && !policies.includes(asked)) throw new Error(`INTROSPECTION must be one of ${policies.join(', ')}: ${asked}`);
  const corsOrigins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (new URL(origin).origin !== origin) throw new Error(`CORS_ORIGINS takes origins (scheme://host[:port]): ${origin}`);
  }
  return { production, introspection: asked ?? (production ? 'signed-in' : 'all'), corsOrigins };
}
