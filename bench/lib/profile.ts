import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/** A node of V8's `.cpuprofile` call tree. */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** V8's `.cpuprofile` (as `node --cpu-prof` and the inspector write it): samples and their time deltas in µs. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Where the `.cpuprofile` was written (open it in Chromium's DevTools, Performance tab). */
  file: string;
  /** CPU time sampled (busy), and time idle or in the engine's own work outside JavaScript, in ms. */
  totalMs: number;
  idleMs: number;
  /** Self time per package (`node_modules/<name>`), our own code (`server/src/<dir>`), or the engine. */
  byPackage: Array<{ name: string; percent: number }>;
  /** The functions with the most self time. */
  topFunctions: Array<{ name: string; percent: number }>;
}

function packageOf(url: string): string {
  if (!url) return '(native / garbage collection / idle)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const own = /(server\/src\/[^/]+|server\/src\/[^/]+\.ts)/.exec(url);
  if (own?.[1]) return own[1];
  if (url.startsWith('node:')) return 'node (core)';
  return url.replace(/^file:\/\//, '');
}

/** Writes the profile under `bench/results/profiles/` and summarises where the CPU went. */
export function saveProfile(name: string, profile: unknown): ProfileSummary {
  const dir = join(ROOT, 'bench', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const { nodes, samples, timeDeltas } = profile as CpuProfile;
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  samples.forEach((id, index) => {
    self.set(id, (self.get(id) ?? 0) + (timeDeltas[index] ?? 0));
  });
  let total = 0;
  let idle = 0;
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      idle += micros;
      continue;
    }
    total += micros;
    const pkg = functionName === '(garbage collector)' ? '(garbage collection)' : packageOf(url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const where = url ? `${packageOf(url)}:${lineNumber + 1}` : 'native';
    const key = `${functionName || '(anonymous)'} ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, percent: Math.round((micros / Math.max(total, 1)) * 1000) / 10 }));
  return {
    file: file.slice(ROOT.length),
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byPackage: top(packages, 12),
    topFunctions: top(functions, 15),
  };
}
