import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The arguments `pnpm start` gives Node (server/package.json's `start` script): its flags, then `dist/main.js`,
 * e.g. `['--max-semi-space-size=64', 'dist/main.js']`. The benchmarks and the production-build test start the
 * server with them, so what they measure and check is what production runs (an earlier checkout's own flags
 * when a benchmark pairs two).
 *
 * @param serverDir the server package's folder.
 * @throws Error when the script does not run `node [flags] dist/main.js`.
 */
export function startArgs(serverDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const script = manifest.scripts?.start ?? '';
  const match = /\bnode((?:\s+--\S+)*)\s+(dist\/main\.js)\b/.exec(script);
  if (!match?.[2]) throw new Error(`server/package.json's start script does not run node dist/main.js: ${script}`);
  return [...(match[1]?.trim().split(/\s+/).filter(Boolean) ?? []), match[2]];
}
