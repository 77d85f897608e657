import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startArgs } from '../../server/scripts/start-args.js';
import { GENEROUS_LIMITS_ENV } from '../../server/src/config.js';
import { Inspector } from './inspector.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(`${ROOT}bench/package.json`).resolve('tsx/esm')).href;
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time a process has used so far (user + system), in milliseconds, from /proc. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at index 0 = state; utime and stime are 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory of a process, in kilobytes. */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

export interface BenchServer {
  url: string;
  pid: number;
  process: ChildProcess;
  /** Milliseconds from spawning the process to its "running at" line. */
  listeningAfterMs: number;
  /** The inspector session (heap after GC, CPU profiles); null when started without one. */
  inspector: Inspector | null;
  output(): string;
  stop(): Promise<void>;
}

/** Checkouts whose server was compiled by this run (`builtServer`). */
const built = new Set<string>();

/**
 * The server as production runs it (`pnpm start`: `node [its flags] server/dist/main.js`, the flags read from that
 * checkout's start script), compiled once per run and checkout by the server's own build (esbuild, about a
 * second). Not through tsx: tsx compiles with esbuild's `keepNames`, which defines a `name` on every function it creates, so each closure a subscription keeps carried a property
 * store of its own (≈ 6 KB per idle subscriber of 44, in a heap snapshot) and cost a `defineProperty` to make,
 * which production never pays. `BENCH_TSX=1` runs `server/src/main.ts` through tsx instead.
 */
function builtServer(root: string): string[] {
  if (!built.has(root)) {
    execFileSync(process.execPath, ['server/scripts/build.mjs'], { cwd: root, stdio: 'ignore' });
    built.add(root);
  }
  return startArgs(join(root, 'server')).map((arg) => (arg === 'dist/main.js' ? 'server/dist/main.js' : arg));
}

/**
 * Starts the real server (compiled, as `pnpm start` runs it: `builtServer`) on a free loopback port, from
 * this checkout or from `options.root`.
 * With `inspect`, the process listens for the DevTools protocol on a free loopback port too, so the benchmark
 * can force a collection and read the heap, or profile, without any hook in the server's code.
 */
export async function startServer(
  env: Record<string, string>,
  options: { inspect?: boolean; root?: string } = {},
): Promise<BenchServer> {
  const cwd = options.root ?? ROOT;
  const entry = process.env.BENCH_TSX === '1' ? ['--import', TSX_LOADER, 'server/src/main.ts'] : builtServer(cwd);
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), ...entry], {
    // `root`: another checkout of the project (an earlier commit, `BENCH_BEFORE_ROOT`), to measure before/after.
    cwd,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SEED: 'false',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // No limit throttles a benchmark by accident (thousands of subscribers of one member).
      ...GENEROUS_LIMITS_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The server did not start within 120 s:\n${output}`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/[^/\s]+)\//.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The server exited (${code}) before listening:\n${output}`));
    });
  });
  const listeningAfterMs = performance.now() - started;
  const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
  const inspector = options.inspect && inspectorUrl ? await Inspector.connect(inspectorUrl) : null;
  return {
    url,
    pid: child.pid as number,
    process: child,
    listeningAfterMs,
    inspector,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        inspector?.close();
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** A benchmark helper in its own process (load generators, clients, baseline servers), driven by messages. */
export interface Worker {
  pid: number;
  /** Sends a command and resolves with the worker's answer (rejects with its error). */
  call<T = unknown>(command: string, args?: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Forks `bench/workers/<name>.ts` (through tsx) and returns its command channel. */
export async function startWorker(
  name: string,
  options: { env?: Record<string, string>; execArgv?: string[] } = {},
): Promise<Worker> {
  const child = fork(fileURLToPath(new URL(`../workers/${name}.ts`, import.meta.url)), [], {
    execArgv: [...(options.execArgv ?? []), '--import', TSX_LOADER],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  child.on('message', (message: Reply | { ready: true }) => {
    if ('ready' in message) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(`${name}: ${message.error}`));
    else waiting?.resolve(message.result);
  });
  child.once('exit', (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`${name} exited (${code})`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
  });
  return {
    pid: child.pid as number,
    call: <T>(command: string, args?: unknown, timeoutMs = 300_000) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${command} took over ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, command, args });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The worker side of `startWorker`: answers each command with what its handler returns. A worker ends with
 * its parent (a killed benchmark leaves no helper behind).
 */
export function serveCommands(handlers: Record<string, (args: never) => unknown>): void {
  process.on('message', async (message: { id: number; command: string; args: unknown }) => {
    const handler = handlers[message.command];
    try {
      if (!handler) throw new Error(`Unknown command ${message.command}`);
      const result = await handler(message.args as never);
      process.send?.({ id: message.id, result });
    } catch (error) {
      process.send?.({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true });
}
