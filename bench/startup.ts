// Startup and idle memory: the server from spawn to its first answer, on an empty embedded database (it
// migrates) and on the seeded one; its resident memory and heap when idle on the seeded one. Baseline:
// PGlite alone, in a process of its own, opening the same kind of folder and answering one query.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { signIn } from './lib/gql.js';
import { rssKb, startServer, startWorker } from './lib/processes.js';
import { ratio } from './lib/stats.js';

export interface StartupResults {
  server: { emptyMs: number; seededMs: number; idleRssMb: number; idleHeapMb: number };
  pgliteAlone: { emptyMs: number; seededMs: number; idleRssMb: number; idleHeapMb: number };
  ratios: { empty: number | null; seeded: number | null; idleRss: number | null };
}

/** Spawn to the first answer of `{ __typename }` (anonymous: the cheapest request that goes through GraphQL). */
async function serverFirstAnswer(dataDir: string, keep: boolean) {
  const started = performance.now();
  const server = await startServer({ DATA_DIR: dataDir }, { inspect: keep });
  for (;;) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    }).catch(() => null);
    if (response?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ms = performance.now() - started;
  if (!keep) {
    await server.stop();
    return { ms, server: null };
  }
  return { ms, server };
}

async function pgliteFirstAnswer(dataDir: string) {
  const started = performance.now();
  const worker = await startWorker('pglite-alone', { execArgv: ['--expose-gc'] });
  await worker.call('open', { dataDir });
  return { ms: performance.now() - started, worker };
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;

export async function runStartupBench(context: BenchContext): Promise<StartupResults> {
  const folders: string[] = [];
  const empty = () => {
    const dir = mkdtempSync(join(tmpdir(), 'collectifs-bench-empty-'));
    folders.push(dir);
    return dir;
  };
  const seeded = () => {
    const dir = context.pglite.copy();
    folders.push(dir);
    return dir;
  };
  try {
    const pgEmpty = await pgliteFirstAnswer(empty());
    await pgEmpty.worker.stop();
    const srvEmpty = await serverFirstAnswer(empty(), false);
    context.log(`startup: empty folder, server ${Math.round(srvEmpty.ms)} ms, PGlite alone ${Math.round(pgEmpty.ms)} ms`);
    const pgSeeded = await pgliteFirstAnswer(seeded());
    const srvSeeded = await serverFirstAnswer(seeded(), true);
    const server = srvSeeded.server;
    if (!server) throw new Error('unreachable');
    try {
      // One signed-in request, as the first visitor makes, then idle.
      await signIn(server.url);
      await new Promise((resolve) => setTimeout(resolve, context.smoke ? 500 : 3_000));
      const serverHeap = (await server.inspector?.heapAfterGc()) ?? 0;
      const pgHeap = await pgSeeded.worker.call<number>('heap');
      const serverRss = rssKb(server.pid) * 1024;
      const pgRss = rssKb(pgSeeded.worker.pid) * 1024;
      return {
        server: {
          emptyMs: Math.round(srvEmpty.ms),
          seededMs: Math.round(srvSeeded.ms),
          idleRssMb: mb(serverRss),
          idleHeapMb: mb(serverHeap),
        },
        pgliteAlone: {
          emptyMs: Math.round(pgEmpty.ms),
          seededMs: Math.round(pgSeeded.ms),
          idleRssMb: mb(pgRss),
          idleHeapMb: mb(pgHeap),
        },
        ratios: {
          empty: ratio(srvEmpty.ms, pgEmpty.ms),
          seeded: ratio(srvSeeded.ms, pgSeeded.ms),
          idleRss: ratio(serverRss, pgRss),
        },
      };
    } finally {
      await server.stop();
      await pgSeeded.worker.stop();
    }
  } finally {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  }
}
