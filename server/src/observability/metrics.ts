import type { IncomingMessage, ServerResponse } from 'node:http';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RouteHandler } from '../transport/http.js';
import { logger } from './log.js';

/** Where `/metrics` is served (Prometheus text format). */
export const METRICS_PATH = '/metrics';

/** Latency buckets in seconds, from a cached read (2 ms) to a slow export (10 s). */
const LATENCY_BUCKETS: [number, ...number[]] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Event-log delivery lag buckets in seconds: a notification normally arrives in milliseconds, the poll within a second. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
/** The update-log count is one `count(*)`: bounded so that a slow database never holds a scrape. */
const UPDATE_LOG_COUNT_TIMEOUT_MS = 1_000;

/** What the gauges read at each scrape; each a cheap in-memory count, except the update-log rows. */
export interface MetricSources {
  /** Open graphql-ws sockets. */
  openSockets(): number;
  /** Open live connections (graphql-ws sockets and SSE streams) registered with the stream lifecycle. */
  liveConnections(): number;
  /** Section documents held in memory. */
  openDocuments(): number;
  /** Rows in the co-editing update log (not yet folded into snapshots). */
  updateLogRows(): Promise<number>;
  /** Results graphql-sse streams hold that their clients have not read (at most `SSE_MAX_UNREAD_RESULTS` each). */
  sseUnreadResults(): number;
  /** Bytes of co-editing updates waiting for sync subscribers that do not read (at most `MAX_UPDATE_BYTES` each). */
  syncBacklogBytes(): number;
  /** Sections rewritten so far because their body nested deeper than `MAX_BODY_DEPTH` (collab/documents.ts). */
  sectionsRewritten(): number;
  /** Prisma transactions running and waiting for their turn on this instance (db/write-queue.ts). */
  writeTransactions(): { readonly running: number; readonly queued: number };
  /** Open TCP connections of the HTTP server, and those refused so far for their address's cap or the server's (transport/connections.ts). */
  connections: { readonly open: number; readonly refused: number; readonly refusedTotal: number };
}

/**
 * The server's Prometheus metrics, in a registry of its own (several apps in one test process never clash):
 * HTTP requests, errors and latency per route; GraphQL operations, errors and latency per operation
 * (`@graphql-yoga/plugin-prometheus`, on HTTP, SSE and graphql-ws alike); open sockets, subscribers per
 * stream kind, open documents, event-log delivery lag and update-log rows; Node's own process metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly #httpDuration: Histogram<'method' | 'route'>;
  readonly #graphqlErrors: Counter<'code'>;
  readonly #subscribers: Gauge<'kind'>;
  readonly #deliveryLag: Histogram;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#httpRequests = new Counter({
      name: 'collectifs_http_requests_total',
      help: 'HTTP requests answered, by method, route and status (5xx are server errors).',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'collectifs_http_request_duration_seconds',
      help: 'Time from a request arriving to its response ending, by method and route (SSE streams excluded).',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#graphqlErrors = new Counter({
      name: 'collectifs_graphql_errors_total',
      help: 'Errors in GraphQL results, by extensions.code (INTERNAL_SERVER_ERROR is unexpected; the others are refusals).',
      labelNames: ['code'],
      registers,
    });
    this.#subscribers = new Gauge({
      name: 'collectifs_subscribers',
      help: 'Open subscriptions on this instance, by stream kind (the subscription field), over graphql-ws and SSE.',
      labelNames: ['kind'],
      registers,
    });
    this.#deliveryLag = new Histogram({
      name: 'collectifs_event_delivery_lag_seconds',
      help: "Time from an event's commit to its delivery on this instance (notification or poll).",
      buckets: LAG_BUCKETS,
      registers,
    });
  }

  /** Registers the gauges read from the running server at each scrape. */
  watch(sources: MetricSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'collectifs_websockets_open',
      help: 'Open graphql-ws sockets.',
      registers,
      collect() {
        this.set(sources.openSockets());
      },
    });
    new Gauge({
      name: 'collectifs_live_connections_open',
      help: 'Open live connections (graphql-ws sockets and SSE streams) followed by the stream lifecycle.',
      registers,
      collect() {
        this.set(sources.liveConnections());
      },
    });
    new Gauge({
      name: 'collectifs_documents_open',
      help: 'Section documents held in memory on this instance.',
      registers,
      collect() {
        this.set(sources.openDocuments());
      },
    });
    new Gauge({
      name: 'collectifs_write_transactions',
      help: 'Database transactions (mutations writing to the event log) on this instance, by state: running, or queued for their turn (a burst waits here, not for a connection).',
      labelNames: ['state'],
      registers,
      collect() {
        const writes = sources.writeTransactions();
        this.set({ state: 'running' }, writes.running);
        this.set({ state: 'queued' }, writes.queued);
      },
    });
    new Gauge({
      name: 'collectifs_sse_unread_results',
      help: 'Results graphql-sse streams hold that their clients have not read yet (at most SSE_MAX_UNREAD_RESULTS per stream).',
      registers,
      collect() {
        this.set(sources.sseUnreadResults());
      },
    });
    new Gauge({
      name: 'collectifs_sync_backlog_bytes',
      help: 'Bytes of co-editing updates waiting for sectionSync subscribers that do not read (at most MAX_UPDATE_BYTES each).',
      registers,
      collect() {
        this.set(sources.syncBacklogBytes());
      },
    });
    let rewrittenSeen = 0;
    new Counter({
      name: 'collectifs_sections_rewritten_total',
      help: 'Sections whose body nested deeper than MAX_BODY_DEPTH (stored before pushes were bounded), rewritten at load with that part flattened.',
      registers,
      collect() {
        this.inc(sources.sectionsRewritten() - rewrittenSeen);
        rewrittenSeen = sources.sectionsRewritten();
      },
    });
    new Gauge({
      name: 'collectifs_http_connections_open',
      help: 'Open TCP connections of the HTTP server (requests, keep-alive, SSE streams, WebSockets).',
      registers,
      collect() {
        this.set(sources.connections.open);
      },
    });
    const refusedSeen = { perAddress: 0, total: 0 };
    new Counter({
      name: 'collectifs_http_connections_refused_total',
      help: 'TCP connections closed on arrival: their address had HTTP_MAX_CONNECTIONS_PER_ADDRESS open (limit="perAddress"), or the server HTTP_MAX_CONNECTIONS (limit="total").',
      labelNames: ['limit'],
      registers,
      collect() {
        const { refused, refusedTotal } = sources.connections;
        this.inc({ limit: 'perAddress' }, refused - refusedSeen.perAddress);
        this.inc({ limit: 'total' }, refusedTotal - refusedSeen.total);
        refusedSeen.perAddress = refused;
        refusedSeen.total = refusedTotal;
      },
    });
    new Gauge({
      name: 'collectifs_update_log_rows',
      help: 'Rows in the co-editing update log, not yet folded into snapshots (the last value read if the database does not answer).',
      registers,
      async collect() {
        try {
          this.set(await withTimeout(sources.updateLogRows(), UPDATE_LOG_COUNT_TIMEOUT_MS));
        } catch (error) {
          logger.debug({ err: error }, 'Metrics: the update log could not be counted');
        }
      },
    });
  }

  /** Counts one HTTP request when its response ends (or its connection closes first). */
  observeHttp(request: IncomingMessage, response: ServerResponse, route: string): void {
    const started = process.hrtime.bigint();
    const method = request.method ?? 'GET';
    const stream = route === 'graphql' && (request.headers.accept ?? '').includes('text/event-stream');
    response.once('close', () => {
      const status = response.headersSent ? String(response.statusCode) : 'aborted';
      this.#httpRequests.inc({ method, route: stream ? 'graphql-sse' : route, status });
      if (!stream) this.#httpDuration.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
  }

  /** Counts an error of a GraphQL result. */
  graphqlError(code: string): void {
    this.#graphqlErrors.inc({ code });
  }

  /** A subscription of this kind opened; call the returned function once when it ends. */
  subscribed(kind: string): () => void {
    this.#subscribers.inc({ kind });
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#subscribers.dec({ kind });
    };
  }

  /** An event committed at `committedAt` was delivered on this instance now. */
  delivered(committedAt: Date): void {
    this.#deliveryLag.observe(Math.max(0, Date.now() - committedAt.getTime()) / 1000);
  }

  /** GraphQL operation counts, errors and latency per operation (histograms only: summaries cost per request). */
  graphqlPlugin(): Plugin {
    return usePrometheus({
      registry: this.registry,
      endpoint: false,
      labels: { url: false },
      metrics: {
        graphql_envelop_request: true,
        graphql_envelop_request_duration: LATENCY_BUCKETS,
        graphql_envelop_error_result: true,
        graphql_envelop_phase_subscribe: LATENCY_BUCKETS,
        graphql_envelop_request_time_summary: false,
        graphql_envelop_phase_parse: false,
        graphql_envelop_phase_validate: false,
        graphql_envelop_phase_context: false,
        graphql_envelop_phase_execute: false,
        graphql_envelop_deprecated_field: false,
        graphql_envelop_schema_change: false,
        graphql_yoga_http_duration: false,
      },
    });
  }

  /** `GET /metrics`: the registry in Prometheus' text format. */
  route(): RouteHandler {
    return async (_request, response) => {
      const body = await this.registry.metrics();
      response.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
      response.end(body);
    };
  }
}

/** `promise`, or a rejection once `ms` milliseconds have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
