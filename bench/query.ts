// Queries: the nested query (50 collectives, their memberships and members) and `{ __typename }`, signed in,
// at concurrency 1, 16 and 64 from a load generator in another process, against one hand-written SQL query
// behind node:http (the floor); on PGlite and PostgreSQL; with the server's CPU per request and the SQL
// statements each request runs.
import { rmSync } from 'node:fs';
import { buildApp } from '../server/src/app.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../server/src/config.js';
import { openDatabase } from '../server/src/db/database.js';
import type { BenchContext } from './lib/context.js';
import { gql, signIn } from './lib/gql.js';
import { type BenchServer, cpuMs, startServer, startWorker, type Worker } from './lib/processes.js';
import { type ProfileSummary, saveProfile } from './lib/profile.js';
import { ratio, type Summary, summarise } from './lib/stats.js';

export const NESTED = `query Nested($first: Int!) { collectives(first: $first) { totalCount edges { node { name
  memberships(first: 50) { totalCount edges { node { role status member { displayName sectors } } } } } } } }`;
const TYPENAME = '{ __typename }';

interface Measure extends Summary {
  requestsPerSecond: number;
  /** CPU time the serving process used per answered request, in ms. */
  cpuMsPerRequest: number;
  errors: number;
}

type Target = 'floor' | 'typename' | 'nested';
/** The server of the checkout `BENCH_BEFORE_ROOT` names (an earlier commit), measured in the same run. */
type BeforeTarget = 'typenameBefore' | 'nestedBefore';
type ByConcurrency = Record<
  string,
  Record<Target, Measure> & Partial<Record<BeforeTarget, Measure>> & { ratios: Record<string, number | null> }
>;

export interface QueryResults {
  durationMs: number;
  concurrencies: number[];
  databases: Record<
    string,
    {
      skipped?: string;
      byConcurrency: ByConcurrency;
      statements: { typename: number; nested: number; nestedFirst5: number };
      profile?: ProfileSummary;
      /** `{ __typename }` at concurrency 16, profiled as the nested query is (with `--profile`). */
      typenameProfile?: ProfileSummary;
    }
  >;
}

async function measure(
  load: Worker,
  pid: number,
  url: string,
  body: string,
  headers: Record<string, string>,
  concurrency: number,
  expect: string,
  windows: { warmupMs: number; durationMs: number },
): Promise<Measure> {
  await load.call('start', { url, body, headers, concurrency, expect });
  await new Promise((resolve) => setTimeout(resolve, windows.warmupMs));
  const cpuBefore = cpuMs(pid);
  const result = await load.call<{ latencies: number[]; errors: number; firstError: string | null; elapsedMs: number }>(
    'measure',
    { durationMs: windows.durationMs, minAnswers: concurrency * 2, maxMs: 30_000 },
  );
  const cpu = cpuMs(pid) - cpuBefore;
  if (result.latencies.length === 0) throw new Error(`No answer to ${body.slice(0, 80)}: ${result.firstError}`);
  return {
    ...summarise(result.latencies),
    requestsPerSecond: Math.round((result.latencies.length / result.elapsedMs) * 1000),
    cpuMsPerRequest: Math.round((cpu / result.latencies.length) * 1000) / 1000,
    errors: result.errors,
  };
}

/** Counts the SQL statements of each request on an in-process server over a copy of the same data. */
async function countStatements(target: { dataDir?: string; databaseUrl?: string }) {
  let count = 0;
  const db = await openDatabase({ ...target, onQuery: () => (count += 1) });
  const app = await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db });
  try {
    const post = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const response = await app.fetch(
        new Request('http://bench.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        }),
      );
      return (await response.json()) as { data?: Record<string, { data?: { token?: string } }> };
    };
    const signedIn = await post(
      'mutation { signIn(input: { email: "camille.martin@collectifs.coop", password: "collectifs-demo" }) { ... on MutationSignInSuccess { data { token } } } }',
      {},
    );
    const token = signedIn.data?.signIn?.data?.token;
    const statementsOf = async (query: string, variables: Record<string, unknown>) => {
      await post(query, variables, token); // warm (first-use caches), then count
      count = 0;
      await post(query, variables, token);
      return count;
    };
    return {
      typename: await statementsOf(TYPENAME, {}),
      nested: await statementsOf(NESTED, { first: 50 }),
      nestedFirst5: await statementsOf(NESTED, { first: 5 }),
    };
  } finally {
    await app.stop();
    await db.close();
  }
}

async function runOn(
  context: BenchContext,
  kind: 'pglite' | 'postgres',
  concurrencies: number[],
  windows: { warmupMs: number; durationMs: number },
) {
  const template = kind === 'pglite' ? context.pglite : context.postgres;
  if (!template)
    return { skipped: 'PostgreSQL did not answer', byConcurrency: {}, statements: { typename: 0, nested: 0, nestedFirst5: 0 } };
  const targetOf = async () =>
    kind === 'pglite'
      ? { dataDir: context.pglite.copy() }
      : { databaseUrl: await (template as { copy(): Promise<string> }).copy() };
  const serverTarget = await targetOf();
  const floorTarget = await targetOf();
  const countTarget = await targetOf();
  const envOf = (target: { dataDir?: string; databaseUrl?: string }): Record<string, string> =>
    target.dataDir ? { DATA_DIR: target.dataDir } : { DATABASE_URL: target.databaseUrl as string };
  const env = envOf(serverTarget);
  // BENCH_BEFORE_ROOT=<checkout of an earlier commit>: its server answers the same requests beside this one's.
  const beforeRoot = process.env.BENCH_BEFORE_ROOT;
  const beforeTarget = beforeRoot ? await targetOf() : null;
  let before: BenchServer | null = null;
  let server: BenchServer | null = null;
  let floor: Worker | null = null;
  let load: Worker | null = null;
  try {
    server = await startServer(env, { inspect: context.profile });
    if (beforeRoot && beforeTarget) before = await startServer(envOf(beforeTarget), { root: beforeRoot });
    floor = await startWorker('sql-floor');
    load = await startWorker('load');
    const floorUrl = await floor.call<string>('start', floorTarget);
    const token = await signIn(server.url);
    const check = await gql(server.url, NESTED, { first: 50 }, token);
    if (check.collectives.edges.length !== 50) throw new Error('The nested query did not return 50 collectives');
    const headers = { authorization: `Bearer ${token}` };
    const beforeHeaders = before ? { authorization: `Bearer ${await signIn(before.url)}` } : null;
    const byConcurrency: ByConcurrency = {};
    let profile: ProfileSummary | undefined;
    let typenameProfile: ProfileSummary | undefined;
    for (const concurrency of concurrencies) {
      context.log(`query ${kind}: concurrency ${concurrency}`);
      const floorMeasure = await measure(load, floor.pid, floorUrl, '{}', {}, concurrency, '"collectives"', windows);
      const profiling = context.profile && concurrency === 16 && server.inspector;
      const measureAfter = async (profiled: boolean) => {
        if (profiled) await server?.inspector?.startProfile();
        const typename = await measure(
          load as Worker,
          (server as BenchServer).pid,
          `${(server as BenchServer).url}/graphql`,
          JSON.stringify({ query: TYPENAME }),
          headers,
          concurrency,
          '"Query"',
          windows,
        );
        if (profiled) {
          typenameProfile = saveProfile(`query-typename-${kind}-c16`, await server?.inspector?.stopProfile());
          await server?.inspector?.startProfile();
        }
        const nested = await measure(
          load as Worker,
          (server as BenchServer).pid,
          `${(server as BenchServer).url}/graphql`,
          JSON.stringify({ query: NESTED, variables: { first: 50 } }),
          headers,
          concurrency,
          '"totalCount"',
          windows,
        );
        if (profiled) profile = saveProfile(`query-nested-${kind}-c16`, await server?.inspector?.stopProfile());
        return { typename, nested };
      };
      const measureBefore = async () =>
        before && beforeHeaders
          ? {
              typenameBefore: await measure(
                load as Worker,
                before.pid,
                `${before.url}/graphql`,
                JSON.stringify({ query: TYPENAME }),
                beforeHeaders,
                concurrency,
                '"Query"',
                windows,
              ),
              nestedBefore: await measure(
                load as Worker,
                before.pid,
                `${before.url}/graphql`,
                JSON.stringify({ query: NESTED, variables: { first: 50 } }),
                beforeHeaders,
                concurrency,
                '"totalCount"',
                windows,
              ),
            }
          : {};
      // BENCH_ROUNDS=n with a before server: n rounds, alternating which server is measured first; the figures
      // kept are the median round's (by nested p50), every round is logged.
      const rounds = before ? Math.max(1, Number(process.env.BENCH_ROUNDS) || 1) : 1;
      const results: Array<{ typename: Measure; nested: Measure } & Partial<Record<BeforeTarget, Measure>>> = [];
      for (let round = 0; round < rounds; round++) {
        let earlierRound: Partial<Record<BeforeTarget, Measure>> = {};
        if (round % 2 === 1) earlierRound = await measureBefore();
        const now = await measureAfter(Boolean(profiling) && round === 0);
        if (round % 2 === 0) earlierRound = await measureBefore();
        results.push({ ...now, ...earlierRound });
        const show = (m?: Measure) => (m ? `p50 ${m.p50} ms cpu ${m.cpuMsPerRequest} ms` : '-');
        context.log(
          `query ${kind} c${concurrency} round ${round + 1}: nested ${show(now.nested)} | before ${show(earlierRound.nestedBefore)}; typename ${show(now.typename)} | before ${show(earlierRound.typenameBefore)}`,
        );
      }
      results.sort((a, b) => a.nested.p50 - b.nested.p50);
      const { typename, nested, ...earlier } = results[Math.floor(results.length / 2)] as (typeof results)[number];
      byConcurrency[concurrency] = {
        floor: floorMeasure,
        typename,
        nested,
        ...earlier,
        ratios: {
          nestedP50OverFloor: ratio(nested.p50, floorMeasure.p50),
          nestedP99OverFloor: ratio(nested.p99, floorMeasure.p99),
          nestedCpuOverFloor: ratio(nested.cpuMsPerRequest, floorMeasure.cpuMsPerRequest),
          typenameCpuOverFloor: ratio(typename.cpuMsPerRequest, floorMeasure.cpuMsPerRequest),
        },
      };
    }
    await server.stop();
    server = null;
    await before?.stop();
    before = null;
    const statements = await countStatements(countTarget);
    return { byConcurrency, statements, ...(profile ? { profile } : {}), ...(typenameProfile ? { typenameProfile } : {}) };
  } finally {
    await load?.stop();
    await floor?.stop();
    await server?.stop();
    await before?.stop();
    for (const target of [serverTarget, floorTarget, countTarget, ...(beforeTarget ? [beforeTarget] : [])])
      if (target.dataDir) rmSync(target.dataDir, { recursive: true, force: true });
  }
}

export async function runQueryBench(context: BenchContext): Promise<QueryResults> {
  const started = performance.now();
  // BENCH_QUERY_CONCURRENCIES=1,16 and BENCH_QUERY_DATABASES=postgres: a modest run on a shared machine.
  const sized = (process.env.BENCH_QUERY_CONCURRENCIES ?? '')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  const concurrencies = sized.length > 0 ? sized : context.smoke ? [1, 4] : [1, 16, 64];
  const windows = context.smoke ? { warmupMs: 200, durationMs: 500 } : { warmupMs: 1_000, durationMs: 3_000 };
  const databases: QueryResults['databases'] = {};
  const kinds = (process.env.BENCH_QUERY_DATABASES ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
  for (const kind of kinds) databases[kind] = await runOn(context, kind, concurrencies, windows);
  return { durationMs: Math.round(performance.now() - started), concurrencies, databases };
}
