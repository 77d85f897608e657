import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../server/src/db/lock.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(`${ROOT}server/package.json`).resolve('tsx/esm')).href;
// About the embedded database's folder: the same in both database passes.
const repeat = Boolean(process.env.DATABASE_URL);

const dataDir = mkdtempSync(join(tmpdir(), 'collectifs-lock-'));
const servers: ServerProcess[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a server-side script (as `pnpm seed` does, through tsx) and resolves with its exit code and output. */
async function run(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
    cwd: `${ROOT}server`,
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', SEED: 'false', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe.skipIf(repeat)('One process per embedded database folder', () => {
  it('should refuse `pnpm seed` and a second server on a folder a server has open, with a clear message', async () => {
    const server = await startServerProcess({ DATABASE_URL: '', DATA_DIR: dataDir });
    servers.push(server);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);

    const seed = await run('src/seed/run.ts', { DATA_DIR: dataDir });
    expect(seed.code).toBe(1);
    expect(seed.output).toContain(
      `Seeding failed: The embedded database in ${dataDir} is already open by another Collectifs process (pid ${server.process.pid}`,
    );
    expect(seed.output).not.toMatch(/\n\s+at /);

    const second = await run('src/main.ts', { DATA_DIR: dataDir });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`Collectifs cannot start: The embedded database in ${dataDir} is already open`);

    // Released on shutdown: the folder opens again.
    await server.stop('SIGTERM');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const again = await startServerProcess({ DATABASE_URL: '', DATA_DIR: dataDir });
    servers.push(again);
    await again.stop('SIGTERM');
  }, 180_000);

  it('should take over a lock left by a process that no longer runs', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    writeFileSync(
      join(dataDir, LOCK_FILE),
      JSON.stringify({ pid: gone.pid, host: hostname(), startedAt: new Date().toISOString(), command: 'killed' }),
    );
    const server = await startServerProcess({ DATABASE_URL: '', DATA_DIR: dataDir });
    servers.push(server);
    await server.stop('SIGTERM');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 180_000);
});
