// `pnpm bench`: every benchmark but the load-and-fault run, bounded (under 10 minutes in all, loopback only), each
// writing bench/results/<name>.json, then bench/README.md and its plots from those results.
//   pnpm bench                 full sizes
//   pnpm bench --smoke         tiny sizes, seconds each (CI runs this so the harness cannot rot)
//   pnpm bench --only=query,fanout   some of them   (--profile: CPU profiles of the servers too)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runBrowserBench } from './browser.js';
import { runCoeditingBench } from './coediting.js';
import { runDashboardBench } from './dashboard.js';
import { runFanoutBench } from './fanout.js';
import { runFaultBench } from './fault.js';
import type { BenchContext } from './lib/context.js';
import { PgliteTemplate, PostgresTemplate, postgresAvailable } from './lib/data.js';
import { ROOT } from './lib/processes.js';
import { runQueryBench } from './query.js';
import { writeReport } from './report.js';
import { runStartupBench } from './startup.js';
import { runTraceBench } from './trace.js';

const BENCHMARKS: Record<string, (context: BenchContext) => Promise<unknown>> = {
  startup: runStartupBench,
  query: runQueryBench,
  fanout: runFanoutBench,
  dashboard: runDashboardBench,
  coediting: runCoeditingBench,
  trace: runTraceBench,
  browser: runBrowserBench,
  fault: runFaultBench,
};

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const profile = args.includes('--profile');
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
// The load-and-fault run (throwaway PostgreSQL and Redis, restarts) lasts 5 minutes on its own (`pnpm bench:fault`),
// which would take `pnpm bench` past its 10 minutes; CI runs 30 seconds of it at full size (see .ci/run). So only
// `--only=fault` runs it here; the report keeps its last figures from bench/results/fault.json.
const ALONE = ['fault'];
const selected = Object.keys(BENCHMARKS).filter((name) => (only ? only.includes(name) : !ALONE.includes(name)));
const results = join(ROOT, 'bench', 'results');
mkdirSync(results, { recursive: true });

const started = performance.now();
const log = (message: string) => process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${message}\n`);
log(`preparing the seeded databases (${smoke ? 'smoke' : 'full'} run: ${selected.join(', ')})`);
const pglite = await PgliteTemplate.create();
const postgres = (await postgresAvailable()) ? await PostgresTemplate.create() : null;
if (!postgres) log('PostgreSQL does not answer at 127.0.0.1:5432: its figures are skipped');
const context: BenchContext = { smoke, profile, pglite, postgres, log };
let failed = false;
try {
  for (const name of selected) {
    log(`${name}…`);
    const benchStarted = performance.now();
    const loadBefore = loadavg()[0];
    try {
      const result = await (BENCHMARKS[name] as (context: BenchContext) => Promise<unknown>)(context);
      const record = {
        name,
        smoke,
        finishedAt: new Date().toISOString(),
        wallMs: Math.round(performance.now() - benchStarted),
        // The machine is shared: its load during the run says how far absolute figures can be trusted.
        loadAverage: { before: loadBefore, after: loadavg()[0] },
        result,
      };
      writeFileSync(join(results, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
      log(`${name} done in ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
    } catch (error) {
      failed = true;
      log(`${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
} finally {
  pglite.dispose();
  await postgres?.dispose();
}
if (!smoke) await writeReport();
log(`all done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
