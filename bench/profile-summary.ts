// Summarises a `.cpuprofile` (as `pnpm bench --profile` writes them): self time per package and per function, and
// the total time (self + callees) under functions named on the command line.
//   npx tsx bench/profile-summary.ts bench/results/profiles/coediting-graphql.cpuprofile [--top=30] [name…]
import { readFileSync } from 'node:fs';
import type { CpuProfile, ProfileNode } from './lib/profile.js';

/** The package (`node_modules/<name>`), our own directory (`server/src/<dir>`), node's core, or the URL. */
function packageOf(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const own = /(server\/(?:src|dist)\/[^/]+)/.exec(url);
  if (own?.[1]) return own[1];
  if (url.startsWith('node:')) return 'node (core)';
  return url.replace(/^file:\/\//, '');
}

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [--top=N] [function names…]');
const top = Number(rest.find((arg) => arg.startsWith('--top='))?.slice(6) ?? 30);
const names = rest.filter((arg) => !arg.startsWith('--'));
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const self = new Map<number, number>();
for (const [index, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));

let busy = 0;
let idle = 0;
const packages = new Map<string, number>();
const functions = new Map<string, number>();
const under = new Map<string, number>(names.map((name) => [name, 0]));
/** Total time (self + callees) of every function, counted once per sample however often it recurs on the stack. */
const totals = new Map<string, number>();
const frameKey = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url ? `${packageOf(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : ''}`;
const add = (map: Map<string, number>, key: string, micros: number) => map.set(key, (map.get(key) ?? 0) + micros);
for (const [id, micros] of self) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(program)') {
    idle += micros;
    continue;
  }
  busy += micros;
  add(packages, functionName === '(garbage collector)' ? '(garbage collection)' : packageOf(url), micros);
  add(functions, `${functionName || '(anonymous)'} ${url ? `${packageOf(url)}:${lineNumber + 1}` : ''}`, micros);
  // Counted once per name however deep the recursion: walk the stack, note each name met.
  const met = new Set<string>();
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at);
    if (!frame) break;
    const name = frame.callFrame.functionName;
    if (name && under.has(name) && !met.has(name)) {
      met.add(name);
      add(under, name, micros);
    }
    const key = frameKey(frame);
    if (!seen.has(key)) {
      seen.add(key);
      add(totals, key, micros);
    }
  }
}

const ms = (micros: number) => `${(micros / 1000).toFixed(0)} ms`;
const pct = (micros: number) => `${((micros / Math.max(busy, 1)) * 100).toFixed(1)} %`;
const print = (title: string, map: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`  ${pct(micros).padStart(7)} ${ms(micros).padStart(9)}  ${key}`);
};
console.log(`${file}: busy ${ms(busy)}, idle/program ${ms(idle)}`);
print('Self time by package', packages, top);
print('Self time by function', functions, top);
print('Total time by function (self + callees)', totals, top);
if (names.length > 0) print('Total time under (self + callees)', under, names.length);
