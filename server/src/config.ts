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
  };
}
