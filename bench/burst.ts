// A burst of event-writing mutations on PostgreSQL, builds compared PAIRED: `BURST` members join one collective at
// once (each their own caller, so no caller limit applies), through the app's GraphQL handler in-process (no
// sockets: the database path is what is measured). Every round runs each build once, in a child process of its own,
// alternating which goes first; each reports the answers by code and the time from the first request sent to the
// last answer received. Not part of `pnpm bench` (it needs two source trees).
//
//   bench/node_modules/.bin/tsx bench/burst.ts [--rounds 5] [--burst 40] NAME=ROOT NAME=ROOT...
//
// ROOT is a checkout with its dependencies installed (a `git worktree` of the base commit, after
// `pnpm install --offline --frozen-lockfile`). DATABASE_URL defaults to the machine's PostgreSQL.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const JOIN =
  'mutation($input: CollectiveRefInput!) { result: joinCollective(input: $input) { __typename ... on MutationJoinCollectiveSuccess { data { id } } } }';

interface BurstResult {
  codes: Record<string, number>;
  ms: number;
}

/** In a child: one database, a warm-up burst, then `bursts` measured bursts, each on a new collective. */
async function runWorker(root: string, burst: number, bursts: number): Promise<BurstResult[]> {
  const from = (path: string) => import(resolve(root, path));
  const pg = (await from('server/node_modules/pg/lib/index.js')).default;
  const { openDatabase } = await from('server/src/db/database.ts');
  const { migrate } = await from('server/src/db/migrate.ts');
  const { buildApp } = await from('server/src/app.ts');
  const { GENEROUS_LIMITS_ENV, loadConfig } = await from('server/src/config.ts');
  const { openSession } = await from('server/src/auth/sessions.ts');
  const { makeMember, makeCollective, gid } = await from('tests/support/scenario.ts');
  const name = `collectifs_burst_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString() });
  await migrate(db.sql);
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false };
  const app = await buildApp(config, { db });
  const once = async (size: number): Promise<BurstResult> => {
    const animator = await makeMember(db.prisma);
    const collective = await makeCollective(db.prisma, { animatorId: animator.id });
    const tokens: string[] = [];
    for (let i = 0; i < size; i++) tokens.push((await openSession(db.prisma, (await makeMember(db.prisma)).id, 3_600_000)).token);
    const body = JSON.stringify({ query: JOIN, variables: { input: { collectiveId: gid('Collective', collective.id) } } });
    const started = performance.now();
    const answers = await Promise.all(
      tokens.map(async (token) => {
        const response = await app.fetch(
          new Request('http://collectifs.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body,
          }),
        );
        const json = (await response.json()) as {
          data?: { result?: { __typename?: string } };
          errors?: Array<{ extensions?: { code?: string } }>;
        };
        return json.errors?.[0]?.extensions?.code ?? json.data?.result?.__typename ?? 'NONE';
      }),
    );
    const ms = performance.now() - started;
    const codes: Record<string, number> = {};
    for (const code of answers) codes[code] = (codes[code] ?? 0) + 1;
    return { codes, ms };
  };
  try {
    await once(10);
    const results: BurstResult[] = [];
    for (let i = 0; i < bursts; i++) results.push(await once(burst));
    return results;
  } finally {
    await app.stop();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      worker: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      burst: { type: 'string', default: '40' },
      bursts: { type: 'string', default: '3' },
    },
  });
  const burst = Number(values.burst);
  const bursts = Number(values.bursts);
  if (values.worker) {
    const results = await runWorker(values.worker, burst, bursts);
    process.stdout.write(`RESULT ${JSON.stringify(results)}\n`);
    // The app's timers and pools are closed; anything left is not worth waiting for.
    process.exit(0);
  }
  const builds = positionals.map((arg) => {
    const [label, root] = arg.split('=');
    if (!label || !root) throw new Error(`Expected NAME=ROOT, got ${arg}`);
    return { label, root: resolve(root) };
  });
  const tsx = resolve(import.meta.dirname, 'node_modules/.bin/tsx');
  const all = new Map<string, BurstResult[]>(builds.map((build) => [build.label, []]));
  const loads: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      loads.push(loadavg()[0] ?? 0);
      const out = execFileSync(
        tsx,
        [import.meta.filename, '--worker', build.root, '--burst', String(burst), '--bursts', String(bursts)],
        {
          cwd: build.root,
          encoding: 'utf8',
          env: { ...process.env, LOG_LEVEL: 'error' },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const line = out.split('\n').find((text) => text.startsWith('RESULT '));
      if (!line) throw new Error(`${build.label}: no result in\n${out}`);
      const results = JSON.parse(line.slice('RESULT '.length)) as BurstResult[];
      all.get(build.label)?.push(...results);
      console.log(
        `round ${round + 1} ${build.label}: ${results.map((r) => `${Math.round(r.ms)} ms ${JSON.stringify(r.codes)}`).join(' | ')}`,
      );
    }
  }
  console.log(
    `\n${burst} joins at once, ${bursts} bursts x ${values.rounds} rounds per build; load average 1 min median ${median(loads).toFixed(1)} (${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)})`,
  );
  for (const [label, results] of all) {
    const ok = results.map((r) =>
      Object.entries(r.codes)
        .filter(([code]) => code.endsWith('Success'))
        .reduce((sum, [, n]) => sum + n, 0),
    );
    const refused = ok.reduce((sum, n) => sum + (burst - n), 0);
    const perSecond = results.map((r, i) => ((ok[i] ?? 0) * 1000) / r.ms);
    console.log(
      `${label}: median burst ${Math.round(median(results.map((r) => r.ms)))} ms, succeeded ${ok.reduce((a, b) => a + b, 0)}/${burst * results.length} (refused ${refused}), median ${median(perSecond).toFixed(1)} successful mutations/s`,
    );
  }
}

await main();
