// The compressed size of the script the directory's first screen loads: the entry of client/dist/index.html and
// every chunk it imports statically, transitively (dynamic imports, i.e. routes loaded on demand, left out).
// Usage: node scripts/first-screen-size.mjs (after `pnpm --filter @collectifs/client build`).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'client', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entries = [
  ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
].map((match) => match[1]);
const seen = new Set();
const queue = [...entries];
while (queue.length) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  const code = readFileSync(join(dist, file), 'utf8');
  // Static imports only: `import … from "./x.js"` and `import "./x.js"`, not `import("./x.js")`.
  for (const match of code.matchAll(/(?:^|[;}\s])import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g))
    queue.push(join(dirname(file), match[1]));
}
let raw = 0;
let gzip = 0;
let brotli = 0;
for (const file of seen) {
  const bytes = readFileSync(join(dist, file));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
  brotli += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log(`first screen: ${seen.size} files, ${kb(raw)} raw, ${kb(gzip)} gzip, ${kb(brotli)} brotli`);
for (const file of seen) console.log(`  ${file}`);
