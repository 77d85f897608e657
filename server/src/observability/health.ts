import type { RouteHandler } from '../transport/http.js';
import { withTimeout } from './metrics.js';

/** `/health`: the process lives and its event loop answers (a load balancer's liveness probe). */
export const HEALTH_PATH = '/health';
/** `/ready`: the instance can serve now: its database and, when configured, Redis answer. */
export const READY_PATH = '/ready';

/** One dependency `/ready` asks: resolves when it answers, rejects (with why) when it does not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** `GET /health`: 200 `{"status":"ok"}` as long as the process can answer at all; it asks nothing else. */
export function healthRoute(): RouteHandler {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end('{"status":"ok"}');
  };
}

/**
 * `GET /ready`: runs every check at once, each bounded by `timeoutMs`, on each call (nothing cached, so it
 * turns false during an outage and true again right after). 200 `{"ready":true,…}` when all answer, 503
 * `{"ready":false,"checks":{"database":"…why"}}` otherwise; `draining()` true (shutting down) is 503 too.
 */
export function readyRoute(checks: ReadinessCheck[], timeoutMs: number, draining: () => boolean): RouteHandler {
  return async (_request, response) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        }
      }),
    );
    const stopping = draining();
    const ready = !stopping && results.every(([, result]) => result === 'ok');
    response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ ready, ...(stopping ? { draining: true } : {}), checks: Object.fromEntries(results) }));
  };
}
