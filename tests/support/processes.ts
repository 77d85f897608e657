import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GENEROUS_LIMITS_ENV } from '../../server/src/config.js';
import type { GraphQLResponse, Json } from './app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(`${ROOT}server/package.json`).resolve('tsx/esm')).href;

/**
 * One GraphQL request over HTTP (POST, JSON) to a server process, as the holder of `token` (anonymous when null):
 * the HTTP status with the response's `data` and `errors`.
 */
export async function postGraphql(
  server: ServerProcess,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number } & GraphQLResponse<Json>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as GraphQLResponse<Json>) };
}

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  /** Everything the process printed, for failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `server/src/main.ts` as a real process on a free port and resolves with its URL once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  // tsx as a loader inside the server's own process (not tsx's CLI, which runs the script in a child):
  // a SIGKILL must kill the server itself, or a "killed" server would live on.
  const child = spawn(process.execPath, ['--import', TSX_LOADER, 'server/src/main.ts'], {
    cwd: ROOT,
    // Generous limits unless the test sets one: none throttles a test by accident.
    env: { ...process.env, PORT: '0', SEED: 'false', NODE_ENV: 'test', ...GENEROUS_LIMITS_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Never leave a server behind: one still running when the test process ends goes with it. No start-up deadline of
  // its own: a loaded machine (several suites at once) took more than two minutes to start one, and the hook's
  // timeout is the safety net.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.off('exit', orphan));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/[^/\s]+)\//.exec(output);
      if (match?.[1]) {
        resolve({
          url: match[1],
          process: child,
          output: () => output,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`The server exited (${code}) before listening:\n${output}`)));
  });
}
