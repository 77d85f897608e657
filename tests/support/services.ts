/**
 * Throwaway PostgreSQL and Redis servers for tests and benchmarks that must break a service (stop it, kill it,
 * restart it) without disturbing the machine's shared ones (127.0.0.1:5432 and :6379 are never touched).
 *
 * ```ts
 * const pg = await startPostgres();          // initdb into a temporary folder, postgres on a free port
 * const url = await pg.createDatabase();     // postgresql://postgres@127.0.0.1:<port>/<fresh name>
 * const redis = await startRedis();          // redis-server on a free port, no persistence
 * await pg.stop();   // clean (fast) shutdown; resolves once the process has exited
 * await pg.start();  // same port, same data folder; resolves once pg_isready answers
 * await pg.kill();   // SIGKILL the postmaster and its backends (a crash); start() recovers from the WAL
 * await pg.dispose(); await redis.dispose(); // stop and remove every file
 * ```
 *
 * - PostgreSQL: `initdb` and `postgres` from the newest `/usr/lib/postgresql/<version>/bin` (or `PG_BIN`), trust
 *   authentication, superuser `postgres`, listening on 127.0.0.1 and on a unix socket inside the temporary folder.
 *   `initdb` refuses to run as root, so when the tests run as root (this machine and CI do) both programs run as
 *   the `postgres` system user (spawned with its uid and gid; the folder is handed to it first); otherwise as the
 *   current user. `fsync` is off: a throwaway cluster trades durability against an OS crash for speed, while a
 *   killed postgres still recovers everything it committed (the kernel keeps the written pages).
 * - Redis: `redis-server --port <free> --save '' --appendonly no`: a restart starts empty, as a Redis used only
 *   for pub/sub does in production.
 * - Readiness is the service's own: `start()` polls `pg_isready` (PostgreSQL) or sends `PING` until `+PONG`
 *   (Redis), every 50 ms up to a 60 s safety deadline; no fixed sleeps. `start()` on a running service does nothing.
 * - Everything started is SIGKILLed if the test process exits without `dispose()`.
 *
 * Errors: `startPostgres`/`startRedis` reject when the binaries are missing, initdb fails, or the service does not
 * become ready in time; the message includes the service's own output.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A service a test can stop, crash, restart and finally remove. */
export interface Service {
  /** The connection URL (`postgresql://postgres@127.0.0.1:<port>/postgres`, `redis://127.0.0.1:<port>`). */
  readonly url: string;
  readonly port: number;
  /** True between a successful `start()` and `stop()`/`kill()` (or the process exiting by itself). */
  readonly running: boolean;
  /** Starts the service again on the same port and data; resolves once it answers its readiness check. */
  start(): Promise<void>;
  /** Clean shutdown (PostgreSQL: fast mode; Redis: SIGTERM); resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL (PostgreSQL: the postmaster and every backend), as a crash would; resolves once all have exited. */
  kill(): Promise<void>;
  /** Kills what is running and removes the temporary folder. */
  dispose(): Promise<void>;
  /** What the service printed (for failure messages). */
  output(): string;
}

export interface PostgresService extends Service {
  /** The temporary folder (the cluster is in `data/`, the unix socket in the folder itself). */
  readonly dir: string;
  /** Creates a database (a fresh random name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL through psql on the `postgres` database (or `database`), returns its unaligned output. */
  psql(sql: string, database?: string): string;
  /**
   * SIGSTOP (`true`) or SIGCONT (`false`) to the postmaster alone: stopped, it accepts TCP connections but never
   * answers them (a database hung or out of reach), while the backends already running go on.
   */
  freeze(frozen: boolean): void;
}

const POLL_MS = 50;
const READY_TIMEOUT_MS = 60_000;

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`No PostgreSQL server binaries under ${root} (set PG_BIN to the folder holding initdb).`);
  return join(root, versions[0], 'bin');
}

/** uid and gid to run PostgreSQL as: the `postgres` system user when we are root, ourselves otherwise. */
function postgresIdentity(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error('Running as root, but there is no `postgres` user to run initdb as.');
  return { uid: Number(uid), gid: Number(gid) };
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls `check` every 50 ms until it holds; fails early if `alive()` turns false. */
async function until(check: () => Promise<boolean>, alive: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await check())) {
    if (!alive()) throw new Error(`${what()}: the process exited before it was ready`);
    if (Date.now() > deadline) throw new Error(`${what()}: not ready after ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Process ids whose parent is `pid` (Linux /proc), for killing a postmaster together with its backends. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a fresh PostgreSQL cluster in a temporary folder on a free port (see the module's docstring). */
export async function startPostgres(
  options: { port?: number; settings?: Record<string, string> } = {},
): Promise<PostgresService> {
  const bin = postgresBin();
  const identity = postgresIdentity();
  const dir = await mkdtemp(join(tmpdir(), 'collectifs-pg-'));
  const data = join(dir, 'data');
  if (identity) await chown(dir, identity.uid, identity.gid);
  const spawnOptions = { ...(identity ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  let log = '';
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'],
      { ...spawnOptions, stdio: 'pipe' },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr || String(error)}`);
  }
  const port = options.port ?? (await freePort());
  // synchronous_commit stays on: a commit's WAL reaches the kernel before it is acknowledged, so a SIGKILL loses nothing.
  const settings = { fsync: 'off', full_page_writes: 'off', ...options.settings };
  let child: ChildProcess | null = null;

  const isReady = (): Promise<boolean> =>
    new Promise((resolve) => {
      const probe = spawn(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      probe.once('exit', (code) => resolve(code === 0));
      probe.once('error', () => resolve(false));
    });

  const service: PostgresService = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    output: () => log,
    async start() {
      if (service.running) return;
      const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'];
      for (const [key, value] of Object.entries(settings)) args.push('-c', `${key}=${value}`);
      const current = spawn(join(bin, 'postgres'), args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
      child = current;
      started.add(current);
      current.once('exit', () => started.delete(current));
      current.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      current.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      await until(
        isReady,
        () => current.exitCode === null && current.signalCode === null,
        () => `PostgreSQL on port ${port}\n${log}`,
      );
    },
    async stop() {
      const current = child;
      if (!current || !service.running) return;
      current.kill('SIGINT'); // fast shutdown: sessions are ended, a checkpoint written
      await waitForExit(current);
    },
    async kill() {
      const current = child;
      if (!current?.pid || !service.running) return;
      const backends = childrenOf(current.pid);
      current.kill('SIGKILL');
      for (const pid of backends) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await waitForExit(current);
      // The next postmaster refuses to start while an old backend still holds the shared memory.
      await until(
        async () => backends.every((pid) => !alive(pid)),
        () => true,
        () => 'PostgreSQL backends after SIGKILL',
      );
    },
    freeze(frozen) {
      child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async dispose() {
      child?.kill('SIGCONT');
      await service.kill();
      await rm(dir, { recursive: true, force: true });
    },
    async createDatabase(name = `collectifs_${randomBytes(6).toString('hex')}`) {
      service.psql(`CREATE DATABASE "${name}"`);
      return `postgresql://postgres@127.0.0.1:${port}/${name}`;
    },
    psql(sql, database = 'postgres') {
      return execFileSync(
        join(bin, 'psql'),
        [
          '-X',
          '-q',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-c',
          sql,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    },
  };
  try {
    await service.start();
  } catch (error) {
    await service.dispose();
    throw error;
  }
  return service;
}

/** Sends PING over a fresh TCP connection and tells whether `+PONG` came back. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Starts a throwaway `redis-server` on a free port, without persistence (see the module's docstring). */
export async function startRedis(options: { port?: number } = {}): Promise<Service> {
  const dir = await mkdtemp(join(tmpdir(), 'collectifs-redis-'));
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let log = '';
  const service: Service = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    output: () => log,
    async start() {
      if (service.running) return;
      const current = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = current;
      started.add(current);
      current.once('exit', () => started.delete(current));
      current.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      current.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      current.once('error', (error) => {
        log += `\n${String(error)}`;
      });
      await until(
        () => redisPing(port),
        () => current.exitCode === null && current.signalCode === null,
        () => `Redis on port ${port}\n${log}`,
      );
    },
    async stop() {
      const current = child;
      if (!current || !service.running) return;
      current.kill('SIGTERM');
      await waitForExit(current);
    },
    async kill() {
      const current = child;
      if (!current || !service.running) return;
      current.kill('SIGKILL');
      await waitForExit(current);
    },
    async dispose() {
      await service.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await service.start();
  } catch (error) {
    await service.dispose();
    throw error;
  }
  return service;
}
