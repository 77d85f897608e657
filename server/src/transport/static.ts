import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';

const CLIENT_DIST = new URL('../../../client/dist/', import.meta.url).pathname;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Serves the built web app; unknown paths get index.html so client-side routes work on reload. */
export async function serveClient(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  for (const candidate of [join(CLIENT_DIST, path), join(CLIENT_DIST, 'index.html')]) {
    if (!candidate.startsWith(CLIENT_DIST)) continue;
    const info = await stat(candidate).catch(() => null);
    if (info?.isFile()) {
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(candidate)] ?? 'application/octet-stream' });
      createReadStream(candidate).pipe(response);
      return;
    }
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('The web app is not built: run `pnpm start` (it builds it), or open /graphql for GraphiQL.\n');
}
