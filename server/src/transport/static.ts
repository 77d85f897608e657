import type { IncomingMessage, ServerResponse } from 'node:http';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import fresh from 'fresh';
import serveStatic from 'serve-static';
import { type RouteHandler, refuse, requestPath } from './http.js';

/** Where `vite build` writes the web app. */
export const CLIENT_DIST = fileURLToPath(new URL('../../../client/dist/', import.meta.url));

/** Vite names every file under `assets/` after a hash of its content, so a cached copy never goes stale. */
const ASSETS_PREFIX = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** `index.html` names the current assets: always revalidate it, so a new release shows at once. */
const REVALIDATE = 'no-cache';

type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/** An HTTP error as `send` raises it: a status, and headers to answer with (`Content-Range` for a 416). */
interface SendError {
  status?: number;
  headers?: Record<string, string>;
}

/**
 * Runs a connect-style middleware: true once it answered, false when it passed the request on or found no
 * file (404, or 403 for a folder). Another refusal (416 for an unsatisfiable range, 400…) is answered here.
 */
function through(middleware: Middleware, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const answered = () => resolve(true);
    response.once('close', answered);
    response.once('finish', answered);
    middleware(request, response, (error) => {
      response.off('close', answered);
      response.off('finish', answered);
      const { status, headers } = (error ?? {}) as SendError;
      if (!error || status === 404 || status === 403) resolve(false);
      else if (status && status < 500) {
        refuse(response, status, 'Requête refusée.', headers);
        resolve(true);
      } else reject(error);
    });
  });
}

/**
 * Serves the built web app with serve-static (conditional requests, ranges, safe paths) behind compression
 * (gzip or brotli, as the client accepts):
 * - `/assets/…` are content-hashed: cached for a year as immutable; a missing one is a 404, never index.html
 *   (a browser would run the page as a broken script);
 * - any other path without an extension is a client route: `index.html`, revalidated at every load;
 * - other files of `dist/` (icons…) are served revalidated; a missing one is a 404.
 * Only GET and HEAD: anything else is a 405.
 */
export function serveClient(root: string = CLIENT_DIST): RouteHandler {
  const compress = compression() as Middleware;
  const files = serveStatic(root, {
    index: false,
    // Errors come back to `through`, which tells "no such file" from a request refused.
    fallthrough: false,
    redirect: false,
    dotfiles: 'ignore',
    setHeaders: (response, path) => {
      response.setHeader('cache-control', path.includes(`${sep}assets${sep}`) ? IMMUTABLE : REVALIDATE);
    },
  }) as Middleware;

  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      refuse(response, 405, 'Méthode non acceptée : GET ou HEAD seulement.', { allow: 'GET, HEAD' });
      return;
    }
    await through(compress, request, response);
    if (await through(files, request, response)) return;
    const path = requestPath(request.url) ?? '/';
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (path.startsWith(ASSETS_PREFIX) || last.includes('.')) {
      refuse(response, 404, 'Aucun fichier à cette adresse.');
      return;
    }
    request.url = '/index.html';
    if (await through(files, request, response)) return;
    refuse(
      response,
      404,
      'L’application web n’est pas construite : lancez `pnpm start` (qui la construit), ou ouvrez /graphql pour GraphiQL.',
    );
  };
}

/**
 * How GraphiQL's page travels (Yoga renders it: one self-contained HTML document of about 9 MB, its script, styles
 * and editor workers inline, so it works offline): compressed with `compression` as the web app's files are (gzip
 * or brotli, as the client accepts: 9.8 MB becomes about 2.4 MB with gzip), and revalidated at each load (`no-cache`) against
 * an ETag naming the page's content (`tag`), so a browser that holds it gets a 304 instead of megabytes again.
 * `Vary: Accept` because `/graphql` answers GraphQL to anything that does not ask for HTML.
 */
export function graphiqlDelivery(tag: () => string): Middleware {
  const compress = compression() as Middleware;
  return (request, response, next) => {
    const etag = tag();
    response.setHeader('cache-control', REVALIDATE);
    response.setHeader('etag', etag);
    response.setHeader('vary', 'Accept');
    if (fresh(request.headers, { etag })) {
      response.statusCode = 304;
      response.end();
      return;
    }
    compress(request, response, next);
  };
}
