// `tsx bench/heap-diff.ts before.heapsnapshot after.heapsnapshot [N]`: what grew between two heap snapshots, by node
// type and constructor (count and self size), divided by N (e.g. the subscribers opened in between) when given.
// Reads V8's .heapsnapshot format (nodes as flat arrays of `snapshot.meta.node_fields`).
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** EDGES=1: by holder instead, `holder -[edge]-> node` (weak edges left out), each node's self size under each holder. */
const BY_EDGE = process.env.EDGES === '1';

function tally(file: string): Map<string, { count: number; size: number }> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const byKey = new Map<string, { count: number; size: number }>();
  const label = (i: number) => {
    const type = types[heap.nodes[i + typeAt] as number] as string;
    let name = heap.strings[heap.nodes[i + nameAt] as number] as string;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') name = '';
    return `${type}:${name.slice(0, 60)}`;
  };
  const add = (key: string, size: number) => {
    const entry = byKey.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += size;
    byKey.set(key, entry);
  };
  if (!BY_EDGE) {
    for (let i = 0; i < heap.nodes.length; i += width) add(label(i), heap.nodes[i + sizeAt] as number);
    return byKey;
  }
  const edgeFields = heap.snapshot.meta.edge_fields;
  const edgeTypes = heap.snapshot.meta.edge_types[0];
  const edgeWidth = edgeFields.length;
  const countAt = fields.indexOf('edge_count');
  let edge = 0;
  for (let i = 0; i < heap.nodes.length; i += width) {
    const holder = label(i);
    for (let e = 0; e < (heap.nodes[i + countAt] as number); e += 1, edge += edgeWidth) {
      const kind = edgeTypes[heap.edges[edge] as number] as string;
      if (kind === 'weak') continue;
      const nameOrIndex = heap.edges[edge + 1] as number;
      const name = kind === 'element' || kind === 'hidden' ? '[]' : (heap.strings[nameOrIndex] as string).slice(0, 40);
      const to = heap.edges[edge + 2] as number;
      add(`${holder} -${kind}[${name}]-> ${label(to)}`, heap.nodes[to + sizeAt] as number);
    }
  }
  return byKey;
}

const [beforeFile, afterFile, per] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error('usage: heap-diff before.heapsnapshot after.heapsnapshot [N]');
const divisor = Number(per ?? 1);
const before = tally(beforeFile);
const after = tally(afterFile);
const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { count: 0, size: 0 };
  return { key, count: (a.count - b.count) / divisor, size: (a.size - b.size) / divisor };
});
rows.sort((x, y) => y.size - x.size);
const total = rows.reduce((sum, row) => sum + row.size, 0);
console.log(`total self size grown: ${(total / 1024).toFixed(2)} KB${divisor > 1 ? ` per ${divisor}th` : ''}`);
for (const row of rows.slice(0, Number(process.env.TOP ?? 60)))
  console.log(`${(row.size / 1024).toFixed(3).padStart(9)} KB ${row.count.toFixed(2).padStart(8)}  ${row.key}`);
