import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  /** Largest co-editing update accepted, in bytes. */
  maxUpdateBytes: number;
  /** Updates in a section's log before they are folded into its snapshot. */
  compactAfter: number;
  /** Where embedded PGlite runs: the event loop's thread (`main`) or a thread of its own (`worker`). */
  pgliteThread: 'main' | 'worker';
  /** HTTP limits (slow or oversized clients); see `HttpLimits`. */
  http: HttpLimits;
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
    maxUpdateBytes: env.MAX_UPDATE_BYTES ? Number(env.MAX_UPDATE_BYTES) : 1024 * 1024,
    compactAfter: env.COMPACT_AFTER ? Number(env.COMPACT_AFTER) : 200,
    pgliteThread: env.PGLITE_THREAD === 'worker' ? 'worker' : 'main',
    http: {
      headersTimeoutMs: numberFrom(env.HTTP_HEADERS_TIMEOUT_MS, 10_000),
      requestTimeoutMs: numberFrom(env.HTTP_REQUEST_TIMEOUT_MS, 30_000),
      maxHeaderBytes: numberFrom(env.HTTP_MAX_HEADER_BYTES, 16 * 1024),
      maxBodyBytes: numberFrom(env.HTTP_MAX_BODY_BYTES, 2 * 1024 * 1024),
    },
  };
}

/** A numeric setting, or its default when unset or empty. */
function numberFrom(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`Not a non-negative number: ${value}`);
  return number;
}
