// Live dashboards of one member (attack finding 10 of issue 9): 20 sockets × 50 `dashboard` subscriptions (inside
// every default limit), then changes the member may see made one at a time through the API, each waited for until
// every dashboard has received its new figures. The dashboard settings are the production defaults (at most one
// recomputation per second per dashboard, four at once per instance). Measured: the server's CPU per change and per
// opened dashboard, and the latency of a small query from another member, alone and while the changes are pushed.
// With `BENCH_BEFORE_ROOT`, the server of that checkout is measured the same way in the same run.
import { rmSync } from 'node:fs';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { BenchContext } from './lib/context.js';
import { gql, signIn } from './lib/gql.js';
import { cpuMs, startServer } from './lib/processes.js';
import { type Summary, summarise } from './lib/stats.js';

const DASHBOARD = `subscription { dashboard { position collectives { kind status count } deals { status count totalAmountCents }
  upcomingDeadlines { title at } recentActivity { type position actor { displayName } } } }`;
const RENAME = 'mutation($id: ID!, $n: String!) { updateCollective(input: { id: $id, name: $n }) { __typename } }';
const SMALL = '{ viewer { id displayName } collectives(first: 5) { edges { node { id name memberCount } } } }';
/** Another demo member, for the small query. */
const PROBE_EMAIL = 'thomas.girard@collectifs.coop';

export interface DashboardRun {
  mode: 'after' | 'before';
  dashboards: number;
  /** Dashboards whose socket was closed by the server (graphql-ws 4408 when the event loop lagged) before or while measured. */
  closed: number;
  changes: number;
  /** Server CPU per opened dashboard (connection_init and subscribe included), in ms. */
  openCpuMsPerDashboard: number;
  /** Server CPU per change until every dashboard has its push (the mutation included), in ms. */
  cpuMsPerChange: number;
  /** Wall time per change until every dashboard has its push, in ms. */
  wallMsPerChange: number;
  /** The small query of another member: alone before the dashboards opened, and while the changes were pushed. */
  smallAlone: Summary;
  smallLoaded: Summary;
}

export interface DashboardResults {
  runs: DashboardRun[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(context: BenchContext, mode: DashboardRun['mode'], root: string | undefined): Promise<DashboardRun> {
  // BENCH_DASHBOARD_SOCKETS / BENCH_DASHBOARD_PER_SOCKET: another size (the server before the change could not open
  // 20 × 50 on a loaded machine).
  const sockets = Number(process.env.BENCH_DASHBOARD_SOCKETS) || (context.smoke ? 2 : 20);
  const perSocket = Number(process.env.BENCH_DASHBOARD_PER_SOCKET) || (context.smoke ? 5 : 50);
  const changes = context.smoke ? 2 : 5;
  const dataDir = context.pglite.copy();
  const server = await startServer(
    { DATA_DIR: dataDir, DASHBOARD_MIN_INTERVAL_MS: '1000', DASHBOARD_CONCURRENCY: '4' },
    { root },
  );
  const clients: Client[] = [];
  try {
    const token = await signIn(server.url);
    const probeToken = await signIn(server.url, PROBE_EMAIL);
    const collectiveId = (await gql(server.url, '{ collective(slug: "vie-cooperative") { id } }', {}, token)).collective.id;
    const small = async (samples: number) => {
      const times: number[] = [];
      for (let i = 0; i < samples; i += 1) {
        const started = performance.now();
        await gql(server.url, SMALL, {}, probeToken);
        times.push(performance.now() - started);
      }
      return times;
    };
    await small(3);
    const smallAlone = summarise(await small(context.smoke ? 3 : 15));
    const received: number[] = [];
    /** Dashboards whose subscription ended with an error (their socket closed): nobody waits for them. */
    const ended = new Set<number>();
    let firstError = '';
    const cpuBeforeOpen = cpuMs(server.pid);
    for (let s = 0; s < sockets; s += 1) {
      const client = createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: false,
        retryAttempts: 0,
      });
      clients.push(client);
      for (let i = 0; i < perSocket; i += 1) {
        const index = received.push(0) - 1;
        client.subscribe(
          { query: DASHBOARD },
          {
            next: () => {
              received[index] = (received[index] as number) + 1;
            },
            error: (error) => {
              ended.add(index);
              firstError ||= String((error as { code?: number })?.code ?? JSON.stringify(error)).slice(0, 200);
            },
            complete: () => {},
          },
        );
      }
    }
    const until = async (check: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!check() && Date.now() < deadline) await sleep(20);
      return check();
    };
    if (!(await until(() => received.every((n, i) => n >= 1 || ended.has(i)), 300_000)))
      throw new Error(`dashboard ${mode}: not every dashboard opened`);
    if (ended.size > 0) context.log(`dashboard ${mode}: ${ended.size} dashboards ended while opening (${firstError})`);
    const openCpu = cpuMs(server.pid) - cpuBeforeOpen;
    await sleep(1_500);
    const loaded: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) loaded.push(...(await small(1)));
    })();
    const cpuBefore = cpuMs(server.pid);
    const started = performance.now();
    for (let k = 0; k < changes; k += 1) {
      const expected = received.map((n) => n + 1);
      await gql(server.url, RENAME, { id: collectiveId, n: `Vie coopérative ${mode} ${k}` }, token);
      if (!(await until(() => received.every((n, i) => n >= (expected[i] as number) || ended.has(i)), 600_000)))
        throw new Error(`dashboard ${mode}: change ${k} did not reach every dashboard`);
    }
    const wall = performance.now() - started;
    const cpu = cpuMs(server.pid) - cpuBefore;
    probing = false;
    await probe;
    const dashboards = sockets * perSocket;
    context.log(`dashboard ${mode}: ${dashboards} dashboards, ${Math.round(cpu / changes)} ms CPU per change`);
    return {
      mode,
      dashboards,
      closed: ended.size,
      changes,
      openCpuMsPerDashboard: Math.round((openCpu / dashboards) * 100) / 100,
      cpuMsPerChange: Math.round(cpu / changes),
      wallMsPerChange: Math.round(wall / changes),
      smallAlone,
      smallLoaded: summarise(loaded),
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runDashboardBench(context: BenchContext): Promise<DashboardResults> {
  const runs = [await measure(context, 'after', undefined)];
  const before = process.env.BENCH_BEFORE_ROOT;
  if (before) runs.push(await measure(context, 'before', before));
  return { runs };
}
