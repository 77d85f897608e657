// Co-editing: 20 editors × 5 edits/s in one section through the real GraphQL path (graphql-ws sync, pushes
// acknowledged once stored, presence on), against a bare `ws` relay of the same Yjs updates; propagation
// (typed here → received there) and acknowledgement (push sent → acknowledged) p50/p99, and convergence.
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import type { BenchContext } from './lib/context.js';
import { gql, signIn } from './lib/gql.js';
import { type BenchServer, cpuMs, startServer, startWorker, type Worker } from './lib/processes.js';
import { now, ratio, type Summary, summarise } from './lib/stats.js';

const CLIENT_PROCESSES = 4;

export interface CoeditingRun {
  /** `graphql-before`: the real path of the checkout `BENCH_BEFORE_ROOT` names (an earlier commit), same run. */
  mode: 'graphql' | 'relay' | 'graphql-before';
  editors: number;
  editsPerSecond: number;
  /** Measured: typing after the warm-up, in ms. */
  durationMs: number;
  /**
   * Typing before the measured window, in ms (`BENCH_COEDITING_WARMUP_SECONDS`): the edits typed then are not in
   * `edits`, `propagation` or `acknowledgement` but in `warmUp`, so a fresh server's first seconds (code run for the
   * first time and compiled by V8 as it gets hot, first reads of the section) are shown apart from its steady speed,
   * as the fan-out's first round is.
   */
  warmUpMs: number;
  /** Edits typed in the measured window. */
  edits: number;
  propagation: Summary;
  acknowledgement: Summary;
  /** The same figures for the edits typed during the warm-up (null without one). */
  warmUp: { edits: number; propagation: Summary; acknowledgement: Summary } | null;
  /** Markers some editor never received. */
  undelivered: number;
  converged: boolean;
  rejected: string[];
  /**
   * CPU the server process used from the end of the warm-up until every editor caught up, per edit typed in that
   * window (ms): less sensitive to a shared machine's load than latencies. For the relay, its process's (the
   * floor of this figure).
   */
  serverCpuMsPerEdit: number | null;
}

export interface CoeditingResults {
  runs: CoeditingRun[];
  /** At the largest number of editors. */
  ratios: {
    editors: number;
    propagationP50: number | null;
    propagationP99: number | null;
    acknowledgementP50: number | null;
    acknowledgementP99: number | null;
    /** Server CPU per edit, the real path's process ÷ the relay's. */
    serverCpuPerEdit: number | null;
  };
}

/** A draft section of the seeded joint tender response that the demo account may edit. */
export async function draftSection(url: string, token: string): Promise<string> {
  const data = await gql(url, '{ tenderResponses(first: 10) { edges { node { sections { id kind status } } } } }', {}, token);
  for (const { node } of data.tenderResponses.edges)
    for (const section of node.sections) if (section.status === 'DRAFT') return section.id as string;
  throw new Error('No draft section in the demo data');
}

interface Collected {
  typed: Array<[string, number]>;
  received: Array<readonly [number, string, number]>;
  acks: Array<[number, number]>;
  typedBy: Record<string, number>;
  texts: string[];
  rejected: string[];
}

async function session(
  context: BenchContext,
  mode: CoeditingRun['mode'],
  target: { url: string; token: string; sectionId: string; serverPid?: number },
  editors: number,
  editsPerSecond: number,
  durationMs: number,
  warmUpMs: number,
  serverText: (() => Promise<string>) | null,
): Promise<CoeditingRun> {
  const processes = Math.min(CLIENT_PROCESSES, editors);
  const workers: Worker[] = await Promise.all(Array.from({ length: processes }, () => startWorker('editors')));
  try {
    const numbers = (i: number) => Array.from({ length: editors }, (_, n) => n).filter((n) => n % processes === i);
    await Promise.all(
      workers.map((worker, i) =>
        worker.call('open', {
          mode: mode === 'relay' ? 'relay' : 'graphql',
          ...target,
          editors: numbers(i),
          presence: mode !== 'relay',
          run: `r${editors}${mode === 'graphql-before' ? 'b' : mode[0]}`,
        }),
      ),
    );
    await Promise.all(workers.map((worker) => worker.call('setup')));
    context.log(
      `coediting ${mode}: ${editors} editors typing for ${(warmUpMs + durationMs) / 1000} s (${warmUpMs / 1000} s warm-up)`,
    );
    await Promise.all(workers.map((worker) => worker.call('start', { ratePerSecond: editsPerSecond })));
    await new Promise((resolve) => setTimeout(resolve, warmUpMs));
    // Edits typed from here on (and pushes sent) are measured; `now()` instants compare across processes.
    const measuredFrom = now();
    const cpuBefore = target.serverPid ? cpuMs(target.serverPid) : null;
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const typedBy = Object.assign(
      {},
      ...(await Promise.all(workers.map((worker) => worker.call<Record<string, number>>('stop')))),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const done = await Promise.all(workers.map((worker) => worker.call<boolean>('caughtUp', { typedBy })));
      if (done.every(Boolean)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cpuUsed = cpuBefore === null || !target.serverPid ? null : cpuMs(target.serverPid) - cpuBefore;
    const collected = await Promise.all(workers.map((worker) => worker.call<Collected>('collect')));
    const typedAt = new Map(collected.flatMap((c) => c.typed));
    const measured = (at: number) => at >= measuredFrom;
    const propagation: number[] = [];
    const warmPropagation: number[] = [];
    for (const c of collected)
      for (const [, key, at] of c.received) {
        const typed = typedAt.get(key) as number;
        (measured(typed) ? propagation : warmPropagation).push(at - typed);
      }
    const acks = collected.flatMap((c) => c.acks);
    const edits = [...typedAt.values()].filter(measured).length;
    const warmEdits = typedAt.size - edits;
    const expected = typedAt.size * (editors - 1);
    const texts = collected.flatMap((c) => c.texts);
    if (serverText) texts.push(await serverText());
    return {
      mode,
      editors,
      editsPerSecond,
      durationMs,
      warmUpMs,
      edits,
      propagation: summarise(propagation),
      acknowledgement: summarise(acks.filter(([sent]) => measured(sent)).map(([, ms]) => ms)),
      warmUp:
        warmUpMs > 0
          ? {
              edits: warmEdits,
              propagation: summarise(warmPropagation),
              acknowledgement: summarise(acks.filter(([sent]) => !measured(sent)).map(([, ms]) => ms)),
            }
          : null,
      undelivered: expected - propagation.length - warmPropagation.length,
      converged: texts.every((text) => text === texts[0]),
      rejected: collected.flatMap((c) => c.rejected).slice(0, 5),
      serverCpuMsPerEdit: cpuUsed === null || edits === 0 ? null : Math.round((cpuUsed / edits) * 100) / 100,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.call('close').catch(() => {})));
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

/** The section's document as the server has it: what a new editor receives in its first sync (over graphql-ws at `url`). */
export async function storedDoc(url: string, token: string, sectionId: string): Promise<Y.Doc> {
  const { createClient } = await import('graphql-ws');
  const { default: WebSocket } = await import('ws');
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  try {
    const update = await new Promise<string>((resolve, reject) => {
      client.subscribe<{ sectionSync: { update: string } }>(
        { query: 'subscription($id: ID!) { sectionSync(sectionId: $id) { update } }', variables: { id: sectionId } },
        {
          next: (r) => (r.data ? resolve(r.data.sectionSync.update) : reject(new Error(JSON.stringify(r.errors)))),
          error: reject,
          complete: () => {},
        },
      );
    });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(update, 'base64'));
    return doc;
  } finally {
    await client.dispose();
  }
}

/** The real path: a server (of this checkout, or of `root`) on a copy of the seeded data, a session per size. */
async function realPath(
  context: BenchContext,
  mode: 'graphql' | 'graphql-before',
  root: string | undefined,
  counts: number[],
  rate: number,
  durationMs: number,
  warmUpMs: number,
  runs: CoeditingRun[],
): Promise<void> {
  const dataDir = context.pglite.copy();
  let server: BenchServer | null = null;
  try {
    server = await startServer({ DATA_DIR: dataDir }, { inspect: context.profile, root });
    const token = await signIn(server.url);
    const sectionId = await draftSection(server.url, token);
    const wsUrl = `${server.url.replace('http', 'ws')}/graphql`;
    for (const editors of counts) {
      const profiling = context.profile && editors === counts.at(-1);
      if (profiling) await server.inspector?.startProfile();
      runs.push(
        await session(
          context,
          mode,
          { url: wsUrl, token, sectionId, serverPid: server.pid },
          editors,
          rate,
          durationMs,
          warmUpMs,
          () => storedDoc(wsUrl, token, sectionId).then((doc) => doc.getXmlFragment('body').toString()),
        ),
      );
      if (profiling) {
        const { saveProfile } = await import('./lib/profile.js');
        saveProfile(mode === 'graphql' ? 'coediting-graphql' : 'coediting-graphql-before', await server.inspector?.stopProfile());
      }
    }
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runCoeditingBench(context: BenchContext): Promise<CoeditingResults> {
  // BENCH_COEDITING_EDITORS=10 BENCH_COEDITING_SECONDS=8: one modest size on a shared machine.
  const sized = Number(process.env.BENCH_COEDITING_EDITORS) || 0;
  const counts = sized > 0 ? [sized] : context.smoke ? [3] : [5, 10, 20];
  const rate = 5;
  const durationMs = (Number(process.env.BENCH_COEDITING_SECONDS) || 0) * 1000 || (context.smoke ? 2_000 : 12_000);
  // BENCH_COEDITING_WARMUP_SECONDS=0: no warm-up, every edit measured from the first keystroke.
  const warmUpSetting = process.env.BENCH_COEDITING_WARMUP_SECONDS;
  const warmUpMs =
    warmUpSetting !== undefined && warmUpSetting !== '' ? Number(warmUpSetting) * 1000 : context.smoke ? 500 : 2_000;
  const runs: CoeditingRun[] = [];
  const relay = await startWorker('bare-ws');
  try {
    const { ws } = await relay.call<{ ws: string }>('relay');
    for (const editors of counts)
      runs.push(
        await session(
          context,
          'relay',
          { url: ws, token: '', sectionId: `section-${editors}`, serverPid: relay.pid },
          editors,
          rate,
          durationMs,
          warmUpMs,
          null,
        ),
      );
  } finally {
    await relay.stop();
  }
  // BENCH_BEFORE_ROOT=<a checkout of an earlier commit>: its server runs the same sessions, alternating with this one.
  const before = process.env.BENCH_BEFORE_ROOT;
  const rounds = before ? Math.max(1, Number(process.env.BENCH_ROUNDS) || 1) : 1;
  for (let round = 0; round < rounds; round += 1) {
    if (before) await realPath(context, 'graphql-before', before, counts, rate, durationMs, warmUpMs, runs);
    await realPath(context, 'graphql', undefined, counts, rate, durationMs, warmUpMs, runs);
  }
  const most = Math.max(...counts);
  const [bare, real] = [
    runs.find((r) => r.mode === 'relay' && r.editors === most),
    runs.find((r) => r.mode === 'graphql' && r.editors === most),
  ];
  return {
    runs,
    ratios: {
      editors: most,
      propagationP50: ratio(real?.propagation.p50, bare?.propagation.p50),
      propagationP99: ratio(real?.propagation.p99, bare?.propagation.p99),
      acknowledgementP50: ratio(real?.acknowledgement.p50, bare?.acknowledgement.p50),
      acknowledgementP99: ratio(real?.acknowledgement.p99, bare?.acknowledgement.p99),
      serverCpuPerEdit: ratio(real?.serverCpuMsPerEdit, bare?.serverCpuMsPerEdit),
    },
  };
}
