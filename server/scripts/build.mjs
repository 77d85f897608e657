#!/usr/bin/env node
// Compiles the server for production (`pnpm start`): every TypeScript file of src/ to the same place under
// dist/, as ES modules Node runs directly (no TypeScript loader at run time). Each file keeps its depth, so
// the paths it computes from its own URL (the repository root, client/dist, prisma/migrations) stay right.
// Type checking is `pnpm typecheck`'s job; esbuild only strips types (about a second).
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const server = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(server, 'src');
const dist = join(server, 'dist');

const sources = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
  (file) => file.endsWith('.ts') && !file.endsWith('.d.ts'),
);
const assets = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mjs'));

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: sources.map((file) => join(src, file)),
  outbase: src,
  outdir: dist,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
});
// Plain JavaScript the server loads by URL (the embedded database's thread).
for (const file of assets) cpSync(join(src, file), join(dist, file));
process.stdout.write(`Server compiled: ${sources.length} files into ${relative(process.cwd(), dist) || '.'}\n`);
