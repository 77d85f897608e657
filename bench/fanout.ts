// Fan-out: N graphql-ws subscribers to one collective's activity (spread over several client processes),
// then changes made one at a time through the API; against a bare `ws` broadcast of the same payload to the
// same number of sockets from the same client processes. One instance on PGlite, and one and two instances
// on PostgreSQL through Redis (subscribers split between them, changes made on the first).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Service, startRedis } from '../tests/support/services.js';
import type { BenchContext } from './lib/context.js';
import { gql, signIn } from './lib/gql.js';
import type { Inspector } from './lib/inspector.js';
import { type BenchServer, cpuMs, startServer, startWorker, type Worker } from './lib/processes.js';
import { type ProfileSummary, saveProfile } from './lib/profile.js';
import { now, ratio, type Summary, summarise } from './lib/stats.js';

export const ACTIVITY = `subscription Activity($id: ID!) { collectiveActivity(collectiveId: $id) { __typename
  ... on ActivityEvent { position type createdAt subjectId collectiveId payload actor { id displayName } } } }`;
const RENAME = 'mutation($id: ID!, $n: String!) { updateCollective(input: { id: $id, name: $n }) { __typename } }';
/** Subscribers of the first round that each run opens and closes before the one it measures (at most). */
const FIRST_ROUND = 1_000;
/** Client processes the subscribers are spread over. */
const CLIENT_PROCESSES = 4;

export interface FanoutRun {
  /** `one-pglite-before`: the server of the checkout `BENCH_BEFORE_ROOT` names (an earlier commit), same run. */
  mode: 'bare' | 'one-pglite' | 'one-pglite-before' | 'one-postgres' | 'two-postgres';
  subscribers: number;
  changes: number;
  /** Subscriptions that received the warm-up (the others never became live within the bound). */
  established: number;
  latency: Summary;
  /**
   * Changes made and delivered before the measured ones (`changes`), on the same sockets: a fresh server runs the
   * mutation and the delivery for the first time then (code not yet compiled by V8 as it gets hot), a cost per
   * process that a handful of changes does not amortise (the first of 20 changes at 1,000 took 175 ms of server
   * time, the tenth ~60: bench/results/profiles). Their latency is `warmUpLatency`; missed and duplicated count them.
   */
  warmUpChanges: number;
  warmUpLatency: Summary;
  missed: number;
  duplicated: number;
  closedEarly: number;
  errors: string[];
  /** Wall time from the first socket to every subscription live, in ms. */
  subscribeWallMs: number;
  /**
   * Server CPU spent opening the sockets and subscriptions, per subscriber, in ms: a second round, once a first
   * (`firstSubscribers`) has opened and closed on the same processes.
   */
  subscribeCpuMsPerSubscriber: number | null;
  /** The first round's size: the first subscribers a fresh server process opens (`FIRST_ROUND` at most). */
  firstSubscribers?: number;
  /** Server CPU per subscriber of the first round, in ms: the steady cost plus the process's warm-up. */
  firstSubscribeCpuMsPerSubscriber?: number;
  /** Server heap (after forced collections) per idle subscriber, in KB. */
  heapKbPerSubscriber: number | null;
  /** Server CPU per change while the changes are delivered (the mutation and its fan-out to every subscriber), in ms. */
  deliveryCpuMsPerChange: number;
  /** With `--profile`: where the server's CPU went while the changes were delivered. */
  profile?: ProfileSummary;
  /** With `--profile`: where the server's CPU went while the subscribers connected and subscribed. */
  subscribeProfile?: ProfileSummary;
  skipped?: string;
}

export interface FanoutResults {
  runs: FanoutRun[];
  ratios: Array<{ subscribers: number; mode: string; p50: number | null; p99: number | null }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the server's CPU clock stops moving (its backlog is worked off), up to `maxMs`. */
async function quiet(pids: number[], maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  while (Date.now() < deadline) {
    await sleep(300);
    const current = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
    if (current - last <= 10) return;
    last = current;
  }
}

interface Target {
  /** Where the subscribers connect. */
  urls: string[];
  bare: boolean;
  /** Makes change `name` happen (a mutation, or a broadcast). */
  change(name: string): Promise<void>;
  /** Server processes whose CPU and heap are measured. */
  pids: number[];
  heap(): Promise<number | null>;
  token: string;
  variables: Record<string, unknown>;
  /** The (first) server's inspector, for `--profile`; null for the bare broadcast. */
  inspector?: Inspector | null;
}

/** The server processes' CPU time so far, in ms. */
const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);

/** Opens `count` subscribers (or bare sockets), shared out between the client processes; resolves once all are open. */
async function openAll(target: Target, tag: string, count: number, clients: Worker[]): Promise<void> {
  const share = (i: number) => Math.floor(count / clients.length) + (i < count % clients.length ? 1 : 0);
  await Promise.all(
    clients.map((client, i) =>
      client.call('open', {
        urls: target.urls,
        bare: target.bare,
        count: share(i),
        token: target.token,
        query: ACTIVITY,
        variables: target.variables,
        tag,
      }),
    ),
  );
}

/**
 * Sends the warm-up change `<tag> warm` until every subscriber has received it or its socket closed (within a bound):
 * how many subscriptions are live.
 */
async function establish(context: BenchContext, target: Target, tag: string, count: number, clients: Worker[]): Promise<number> {
  const total = (command: string) =>
    Promise.all(clients.map((client) => client.call<number>(command))).then((all) => all.reduce((a, b) => a + b, 0));
  const warmDeadline = Date.now() + (context.smoke ? 20_000 : 60_000);
  while (Date.now() < warmDeadline) {
    await target.change(`${tag} warm`);
    await sleep(200);
    // A socket closed meanwhile (its events count as missed) is not waited for.
    if ((await total('settled')) === count) break;
  }
  // Read after the loop: a warm-up that arrived between two calls would settle the loop after a count of the live
  // (a 10,000 run reported 4,438 live, then delivered all 100,000 of its events).
  return total('warm');
}

async function measureRun(
  context: BenchContext,
  target: Target,
  mode: FanoutRun['mode'],
  subscribers: number,
  changes: number,
  clients: Worker[],
): Promise<FanoutRun> {
  const tag = `Fan-out ${mode} ${subscribers}`;
  const warmUpChanges = context.smoke ? 1 : subscribers <= 1_000 ? 5 : 3;
  const heapBefore = await target.heap();
  // BENCH_HEAP_SNAPSHOTS=<folder>: the (first) server's heap snapshots before the subscribers and once they are idle,
  // to compare by constructor what each idle subscription keeps.
  const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
  const snapshot = (when: string) =>
    snapshots && target.inspector
      ? target.inspector.writeHeapSnapshot(join(snapshots, `fanout-${mode}-${subscribers}-${when}.heapsnapshot`))
      : undefined;
  await snapshot('before');
  // A first round on the fresh process, reported on its own (`firstSubscribeCpuMsPerSubscriber`), before the round
  // measured: its subscribers also pay the process's warm-up (code run for the first time, compiled by V8 as it gets
  // hot, on the main thread and V8's helper threads), a cost per process that 1,000 subscribers did not amortise
  // (0.14–0.34 ms more per subscriber than a second 1,000 on the same process, in three runs). The heap baseline
  // was read before it, so whatever it leaves behind counts in the heap per subscriber.
  const firstRound = Math.min(subscribers, FIRST_ROUND);
  const firstCpuBefore = cpuOf(target.pids);
  await openAll(target, `${tag} (first round)`, firstRound, clients);
  await quiet(target.pids, context.smoke ? 20_000 : 120_000);
  const firstSubscribeCpu = cpuOf(target.pids) - firstCpuBefore;
  await establish(context, target, `${tag} (first round)`, firstRound, clients);
  await Promise.all(clients.map((client) => client.call('close')));
  await quiet(target.pids, 30_000);
  // The first round's garbage collected now (as before the first round): otherwise the measured round would pay
  // for a major collection of what the first round's closed subscriptions left.
  await target.heap();
  const profiling = context.profile && target.inspector ? target.inspector : null;
  await profiling?.startProfile();
  const cpuBefore = cpuOf(target.pids);
  const started = performance.now();
  await openAll(target, tag, subscribers, clients);
  // Opening is done once the server's CPU settles (every connection_init and subscribe worked off).
  await quiet(target.pids, context.smoke ? 20_000 : 120_000);
  const subscribeCpu = cpuOf(target.pids) - cpuBefore;
  const subscribeProfile = profiling
    ? saveProfile(`fanout-${mode}-${subscribers}-subscribe`, await profiling.stopProfile())
    : undefined;
  const established = await establish(context, target, tag, subscribers, clients);
  const subscribeWallMs = performance.now() - started;
  await quiet(target.pids, 30_000);
  const heapIdle = await target.heap();
  await snapshot('idle');
  context.log(`fanout ${mode} ${subscribers}: ${established} live after ${(subscribeWallMs / 1000).toFixed(1)} s`);
  const sentAt: number[] = [];
  let deliveryCpuBefore = 0;
  for (let k = 0; k < warmUpChanges + changes; k += 1) {
    if (k === warmUpChanges) {
      await profiling?.startProfile();
      deliveryCpuBefore = cpuOf(target.pids);
    }
    sentAt[k] = now();
    await target.change(`${tag} ${k}`);
    await Promise.all(clients.map((client) => client.call('waitMarker', { k, timeoutMs: 15_000 })));
    await sleep(context.smoke ? 20 : 100);
  }
  const deliveryCpu = cpuOf(target.pids) - deliveryCpuBefore;
  const profile = profiling ? saveProfile(`fanout-${mode}-${subscribers}`, await profiling.stopProfile()) : undefined;
  const collected = await Promise.all(
    clients.map((client) =>
      client.call<{
        firsts: number[][];
        missed: number;
        duplicated: number;
        closedEarly: number;
        errors: string[];
        errorCount: number;
      }>('collect', { changes: warmUpChanges + changes }),
    ),
  );
  await Promise.all(clients.map((client) => client.call('close')));
  const latenciesOf = (measured: boolean) =>
    collected.flatMap((c) =>
      c.firsts.flatMap((times, k) => (k >= warmUpChanges === measured ? times.map((at) => at - (sentAt[k] as number)) : [])),
    );
  return {
    mode,
    subscribers,
    changes,
    established,
    latency: summarise(latenciesOf(true)),
    warmUpChanges,
    warmUpLatency: summarise(latenciesOf(false)),
    missed: collected.reduce((sum, c) => sum + c.missed, 0),
    duplicated: collected.reduce((sum, c) => sum + c.duplicated, 0),
    closedEarly: collected.reduce((sum, c) => sum + c.closedEarly, 0),
    errors: collected.flatMap((c) => c.errors).slice(0, 5),
    subscribeWallMs: Math.round(subscribeWallMs),
    subscribeCpuMsPerSubscriber: Math.round((subscribeCpu / subscribers) * 1000) / 1000,
    firstSubscribers: firstRound,
    firstSubscribeCpuMsPerSubscriber: Math.round((firstSubscribeCpu / firstRound) * 1000) / 1000,
    heapKbPerSubscriber:
      heapBefore !== null && heapIdle !== null ? Math.round(((heapIdle - heapBefore) / 1024 / subscribers) * 10) / 10 : null,
    deliveryCpuMsPerChange: Math.round((deliveryCpu / changes) * 10) / 10,
    ...(profile ? { profile } : {}),
    ...(subscribeProfile ? { subscribeProfile } : {}),
  };
}

async function bareRun(context: BenchContext, subscribers: number, changes: number, clients: Worker[], payload: string) {
  const server = await startWorker('bare-ws', { execArgv: ['--expose-gc'] });
  try {
    const { ws, http } = await server.call<{ ws: string; http: string }>('broadcast');
    return await measureRun(
      context,
      {
        urls: [ws],
        bare: true,
        pids: [server.pid],
        heap: () => server.call<number>('heap'),
        token: '',
        variables: {},
        change: async (name) => {
          await fetch(http, { method: 'POST', body: payload.replace('__MARKER__', name) });
        },
      },
      'bare',
      subscribers,
      changes,
      clients,
    );
  } finally {
    await server.stop();
  }
}

async function serverRun(
  context: BenchContext,
  mode: Exclude<FanoutRun['mode'], 'bare'>,
  subscribers: number,
  changes: number,
  clients: Worker[],
): Promise<{ run: FanoutRun; payload: string | null }> {
  const servers: BenchServer[] = [];
  let dataDir: string | null = null;
  let redis: Service | null = null;
  try {
    if (mode === 'one-pglite' || mode === 'one-pglite-before') {
      dataDir = context.pglite.copy();
      const root = mode === 'one-pglite-before' ? process.env.BENCH_BEFORE_ROOT : undefined;
      servers.push(await startServer({ DATA_DIR: dataDir }, { inspect: true, root }));
    } else {
      if (!context.postgres) throw new Skip('PostgreSQL did not answer');
      redis = await startRedis().catch((error: unknown) => {
        throw new Skip(`redis-server could not be started: ${String(error)}`);
      });
      const env = { DATABASE_URL: await context.postgres.copy(), REDIS_URL: redis.url };
      servers.push(await startServer(env, { inspect: true }));
      if (mode === 'two-postgres') servers.push(await startServer(env, { inspect: true }));
    }
    const first = servers[0] as BenchServer;
    const token = await signIn(first.url);
    const found = await gql(first.url, '{ collective(slug: "vie-cooperative") { id } }', {}, token);
    const collectiveId = found.collective.id as string;
    const change = async (name: string) => {
      await gql(first.url, RENAME, { id: collectiveId, n: name }, token);
    };
    const run = await measureRun(
      context,
      {
        urls: servers.map((server) => `${server.url.replace('http', 'ws')}/graphql`),
        bare: false,
        pids: servers.map((server) => server.pid),
        heap: async () => {
          const heaps = await Promise.all(servers.map((server) => server.inspector?.heapAfterGc() ?? Promise.resolve(0)));
          return heaps.reduce((a, b) => a + b, 0);
        },
        token,
        variables: { id: collectiveId },
        change,
        inspector: first.inspector,
      },
      mode,
      subscribers,
      changes,
      clients,
    );
    // The exact message a subscriber receives, for the bare broadcast to send the same bytes.
    const payload = await capturePayload(first.url, token, collectiveId, change);
    return { run, payload };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

class Skip extends Error {}

/** One graphql-ws `next` message as the server sends it, with its marker replaced by `__MARKER__`. */
async function capturePayload(url: string, token: string, collectiveId: string, change: (name: string) => Promise<void>) {
  const { default: WebSocket } = await import('ws');
  const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const message = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('No event to capture')), 15_000);
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (data) => {
      const text = data.toString();
      const parsed = JSON.parse(text) as { type: string };
      if (parsed.type === 'connection_ack') {
        socket.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: ACTIVITY, variables: { id: collectiveId } } }),
        );
        setTimeout(() => void change('capture-marker'), 300);
      } else if (parsed.type === 'next') {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
  socket.close();
  return message.replace('capture-marker', '__MARKER__');
}

export async function runFanoutBench(context: BenchContext): Promise<FanoutResults> {
  // BENCH_FANOUT_SIZES=1000: some sizes only; BENCH_FANOUT_PGLITE_ONLY=1: no PostgreSQL runs (a modest run on a
  // shared machine); BENCH_BEFORE_ROOT=<checkout>: its server measured beside this one's at each size.
  const sized = (process.env.BENCH_FANOUT_SIZES ?? '')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  const sizes = sized.length > 0 ? sized : context.smoke ? [40] : [1_000, 5_000, 10_000];
  const pgliteOnly = process.env.BENCH_FANOUT_PGLITE_ONLY === '1';
  const changesFor = (size: number) => (context.smoke ? 3 : size <= 1_000 ? 20 : 10);
  const twoInstanceSizes = context.smoke ? [40] : [1_000, 10_000];
  const clients = await Promise.all(
    Array.from({ length: context.smoke ? 2 : CLIENT_PROCESSES }, () => startWorker('subscribers')),
  );
  const runs: FanoutRun[] = [];
  const attempt = async <T extends FanoutRun>(mode: FanoutRun['mode'], size: number, work: () => Promise<T>) => {
    try {
      runs.push(await work());
    } catch (error) {
      if (!(error instanceof Skip)) throw error;
      context.log(`fanout ${mode} ${size}: skipped (${error.message})`);
    }
  };
  try {
    let payload: string | null = null;
    for (const size of sizes) {
      const one = await serverRun(context, 'one-pglite', size, changesFor(size), clients);
      runs.push(one.run);
      payload ??= one.payload;
      if (process.env.BENCH_BEFORE_ROOT)
        runs.push((await serverRun(context, 'one-pglite-before', size, changesFor(size), clients)).run);
      await attempt('bare', size, () => bareRun(context, size, changesFor(size), clients, payload as string));
      if (twoInstanceSizes.includes(size) && !pgliteOnly) {
        for (const mode of ['one-postgres', 'two-postgres'] as const)
          await attempt(mode, size, async () => (await serverRun(context, mode, size, changesFor(size), clients)).run);
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
  }
  const ratios = runs
    .filter((run) => run.mode !== 'bare')
    .map((run) => {
      const bare = runs.find((other) => other.mode === 'bare' && other.subscribers === run.subscribers);
      return {
        subscribers: run.subscribers,
        mode: run.mode,
        p50: ratio(run.latency.p50, bare?.latency.p50),
        p99: ratio(run.latency.p99, bare?.latency.p99),
      };
    });
  return { runs, ratios };
}
