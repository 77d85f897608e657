import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startArgs } from '../../server/scripts/start-args.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Compiled once, whichever database pass this is: the check is about how the server runs, not its database.
const repeat = Boolean(process.env.DATABASE_URL);

let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
});

describe.skipIf(repeat)('Production build', () => {
  it('should run the server as compiled JavaScript, with no TypeScript loader', async () => {
    execFileSync(process.execPath, ['server/scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
    const started = performance.now();
    // What `pnpm start` runs (server/package.json), without the web app's build.
    const args = startArgs(`${ROOT}server`);
    child = spawn(process.execPath, args, {
      cwd: `${ROOT}server`,
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', DATA_DIR: 'memory://', SEED: 'false', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /running at (http:\/\/[^/\s]+)\//.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child?.once('exit', (code) => reject(new Error(`The compiled server exited (${code}):\n${output}`)));
    });
    const startupMs = Math.round(performance.now() - started);

    const commandLine = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(commandLine.slice(1)).toEqual(args);
    // A young generation of 64 MB a half (Node 20: 16): 0–17 % less server CPU per nested query, co-editing push and
    // fan-out change in paired benchmarks (bench/README.md), the idle memory unchanged.
    expect(args).toEqual(['--max-semi-space-size=64', 'dist/main.js']);
    expect(output).not.toMatch(/tsx/);

    expect((await fetch(`${url}/health`)).status).toBe(200);
    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('Collectifs — GraphiQL');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const rss = Number(/process_resident_memory_bytes (\d+)/.exec(metrics)?.[1]);
    expect(rss).toBeGreaterThan(0);
    process.stdout.write(`Compiled server: listening after ${startupMs} ms, resident memory ${Math.round(rss / 2 ** 20)} MiB\n`);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 120_000);
});
