import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getOperationAST } from 'graphql';
import { createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { resolveSession } from './auth/sessions.js';
import { SectionActivity } from './collab/activity.js';
import { deepSectionsRewritten, SectionDocuments, syncBacklog } from './collab/documents.js';
import { PresenceRegistry } from './collab/presence.js';
import type { Config } from './config.js';
import { bearerToken, type Context, createContext, type InitialContext } from './context.js';
import { type Database, inReadLane, openDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { pruneIdempotencyKeys } from './events/idempotency.js';
import { pruneEventLog } from './events/prune.js';
import { createEventPubSub } from './events/pubsub.js';
import { trackRecording } from './events/record.js';
import { SignInGuard, useCallerLimits, useInflightLimit } from './limits/callers.js';
import { useQueryLimits } from './limits/query.js';
import { useValidText } from './limits/text.js';
import { workSlots } from './limits/work.js';
import { LiveConnection } from './live/connection.js';
import { useSharedFanout } from './live/fanout.js';
import { Lifecycle } from './live/lifecycle.js';
import { useLivePosition } from './live/position.js';
import { HEALTH_PATH, healthRoute, READY_PATH, type ReadinessCheck, readyRoute } from './observability/health.js';
import { inRequest, logger, requestIdFrom } from './observability/log.js';
import { METRICS_PATH, Metrics } from './observability/metrics.js';
import { useOperationObservability, yogaLogger } from './observability/operations.js';
import { schema } from './schema/index.js';
import { seedDemoData } from './seed/demo.js';
import { useCancelWhenGone } from './transport/cancellation.js';
import { capConnections } from './transport/connections.js';
import { InFlight, useInFlight } from './transport/drain.js';
import { EXPORT_PATH, exportRoute } from './transport/exports.js';
import { useFrenchMessages } from './transport/french.js';
import {
  answerClientError,
  identityBodiesOnly,
  Router,
  requestListener,
  requestPath,
  useBodyLimits,
  useRequestParsing,
} from './transport/http.js';
import { useIdempotencyKeys } from './transport/idempotency.js';
import { corsSetting, offlineGraphiQL, productionPlugins, securityHeaders } from './transport/security.js';
import { SSE_STREAM_PATH, useSingleConnectionSse } from './transport/sse.js';
import { graphiqlDelivery, serveClient } from './transport/static.js';
import { maskUnavailable, UNEXPECTED_MESSAGE } from './transport/unavailable.js';
import { attachGraphqlWs, GRAPHQL_PATH } from './transport/websocket.js';

/**
 * Connections the kernel queues until the server accepts them (capped by `net.core.somaxconn`, 4096 here). Node's
 * default, 511, overflowed while 10,000 subscribers connected at once (issue 11: the kernel's ListenOverflows
 * counter grew; a connection whose handshake it dropped past its SYN-ACK retries was reset, and never went live).
 */
const LISTEN_BACKLOG = 4096;

export interface App {
  /** Listens on the configured port (0 picks a free one) and returns the base URL. */
  start(): Promise<string>;
  /** Stops at once: sockets and requests are cut (tests; `shutdown` is the graceful path). */
  stop(): Promise<void>;
  /**
   * Graceful shutdown (SIGTERM): stops accepting connections (`/ready` says 503 meanwhile), lets requests and
   * GraphQL executions in flight finish for up to `shutdownTimeoutMs`, closes graphql-ws sockets with 1001
   * (going away: clients reconnect elsewhere and resubscribe from their positions), cuts SSE streams and
   * what is still running, stores what documents hold (pending figures and versions, log compaction), then
   * closes everything as `stop` does. Logs each step; resolves once done.
   */
  shutdown(): Promise<void>;
  /** Yoga's fetch handler, for tests that need no socket. */
  fetch: (request: Request) => Promise<Response>;
  db: Database;
  events: EventBus;
  /** The stream lifecycle (open streams and connections). */
  live: Lifecycle;
  presence: PresenceRegistry;
  documents: SectionDocuments;
  /**
   * What follows sections' edits on this instance: recounts and automatic versions, scheduled after pushes and
   * run in the background (`flush` runs what is scheduled now; tests use it so no earlier push's work lands in
   * what they record).
   */
  activity: SectionActivity;
  /** The Prometheus registry behind `/metrics`. */
  metrics: Metrics;
}

export interface BuildOptions {
  /** An already open (and migrated) database; otherwise the configuration's is opened and migrated. */
  db?: Database;
  /** The built web app's folder (Vite's `client/dist` unless said). */
  clientDist?: string;
}

/** Builds the whole server (database, GraphQL over HTTP, SSE and WebSocket, the web app) without listening. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const db = options.db ?? (await openMigrated(config));
  const { pubsub, close: closePubSub, ping: pingRedis } = await createEventPubSub(config.redisUrl);
  const metrics = new Metrics();
  const events = new EventBus(db.prisma, pubsub, { bufferSize: config.subscriberBuffer, pollMs: config.eventPollMs }, db.sql);
  await events.start();
  const documents = new SectionDocuments(db, pubsub, {
    compactAfter: config.compactAfter,
    maxSectionBytes: config.limits.work.maxSectionBytes,
  });
  documents.start();
  const sectionActivity = new SectionActivity(db.prisma, db.sql, events, config.limits.work);
  documents.onStored = (sectionId, doc, authorId) => sectionActivity.touched(sectionId, doc, authorId);
  const presence = new PresenceRegistry(pubsub, documents.instanceId);
  presence.start();
  const live = new Lifecycle(events, db.accessWrites);
  const unobserveLag = events.observe((event) => metrics.delivered(event.createdAt));
  let draining = false;
  const inFlight = new InFlight();
  const graphiql = offlineGraphiQL();
  const headers = securityHeaders(graphiql.scriptHash);
  const graphiqlPage = graphiqlDelivery(graphiql.tag);
  /** Responses being answered, to tell each to close its connection once a shutdown begins. */
  const answering = new Set<ServerResponse>();
  const signInGuard = new SignInGuard(config.limits.signIn);
  const work = workSlots(config.limits.work);
  const server = { prisma: db.prisma, sql: db.sql, config, events, live, documents, presence, signInGuard, work };
  const pruning = setInterval(() => {
    // Fire and forget: a failure (the database down this hour) is logged; the next hour prunes what is due.
    pruneEventLog(db.prisma, new Date(Date.now() - config.eventRetentionDays * 86_400_000)).catch((error: unknown) =>
      logger.warn({ err: error }, 'Event log pruning failed; retried in an hour'),
    );
    pruneIdempotencyKeys(db.prisma, new Date(Date.now() - config.idempotencyKeyTtlHours * 3_600_000)).catch((error: unknown) =>
      logger.warn({ err: error }, 'Idempotency key pruning failed; retried in an hour'),
    );
  }, 3_600_000);
  pruning.unref();

  const sse = useSingleConnectionSse({
    reservations: config.limits.sseReservations,
    maxBodyBytes: config.http.maxBodyBytes,
    maxJsonDepth: config.limits.maxJsonDepth,
    memberOf: async (request) => {
      const token = bearerToken({ request });
      return token ? ((await resolveSession(db.prisma, token))?.member.id ?? null) : null;
    },
  });
  const yoga = createYoga<Omit<InitialContext, keyof YogaInitialContext>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: { title: 'Collectifs — GraphiQL', subscriptionsProtocol: 'WS' },
    // Bundled, not from a CDN: GraphiQL works offline, and its CSP can name its one script.
    renderGraphiQL: graphiql.render,
    cors: corsSetting(config.security),
    landingPage: false,
    logging: yogaLogger,
    // Bounded by useRequestParsing as it reads (Yoga's limit piped every body through a TransformStream).
    maxRequestBodySize: false,
    // File uploads are not a feature: a multipart POST is refused 415 (useRequestParsing).
    multipart: false,
    // PostgreSQL or Redis unreachable: UNAVAILABLE (503, retryable) instead of "Unexpected error".
    maskedErrors: { maskError: maskUnavailable, errorMessage: UNEXPECTED_MESSAGE },
    context: (initial) => createContext(server, initial),
    plugins: [
      // Before graphql-sse's endpoint reads its requests itself: the body and JSON limits of /graphql apply there too.
      useBodyLimits({
        paths: [SSE_STREAM_PATH],
        maxBodyBytes: config.http.maxBodyBytes,
        maxJsonDepth: config.limits.maxJsonDepth,
      }),
      // First of the rest: its result hooks see every later plugin's refusals (transport/sse.ts).
      sse.operations,
      useInflightLimit(config.limits.maxInflightPerCaller),
      ...useQueryLimits(config.limits.query),
      ...productionPlugins(config.security),
      useCallerLimits(config.limits),
      useValidText(config.limits.query),
      useRequestParsing({ maxJsonDepth: config.limits.maxJsonDepth, maxBodyBytes: config.http.maxBodyBytes }),
      metrics.graphqlPlugin(),
      useOperationObservability(metrics),
      useInFlight(inFlight),
      // A query whose caller has gone resolves no further field (transport/cancellation.ts).
      useCancelWhenGone(),
      announceCommittedEvents(events),
      queriesInReadLane(),
      // After (around) the announcement: a replayed answer neither runs nor announces again.
      useIdempotencyKeys(),
      useLivePosition(events),
      // An event delivered to many subscriptions of one operation is executed once for them all (live/fanout.ts).
      useSharedFanout(),
      // GraphQL over SSE in the graphql-sse protocol, single-connection mode included, at /graphql/stream.
      sse.endpoint,
      // Yoga's own refusals (parameter checks, body limit, mutation over GET) in French, as every other.
      useFrenchMessages(),
    ],
  });

  const readiness: ReadinessCheck[] = [
    // A real statement on a real connection: the pool's view of itself is not an answer.
    { name: 'database', check: () => db.sql.query('SELECT 1').then(() => {}) },
    ...(pingRedis ? [{ name: 'redis', check: pingRedis }] : []),
  ];
  // Routes outside GraphQL and the web app (metrics, health…) are added here, one line each.
  const router = new Router()
    .get(EXPORT_PATH, exportRoute(server))
    .get(HEALTH_PATH, healthRoute())
    .get(
      READY_PATH,
      readyRoute(readiness, config.readyTimeoutMs, () => draining),
    )
    .get(METRICS_PATH, metrics.route());
  const routes = new Set([EXPORT_PATH, HEALTH_PATH, READY_PATH, METRICS_PATH]);
  const listener = requestListener({
    router,
    graphql: { paths: [GRAPHQL_PATH, SSE_STREAM_PATH], handler: identityBodiesOnly((req, res) => yoga.handle(req, res)) },
    fallback: serveClient(options.clientDist),
  });
  const http = createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      maxHeaderSize: config.http.maxHeaderBytes,
      // A request without Host is refused by requestListener, coded like every refusal (Node's own has no body).
      requireHostHeader: false,
      // Node checks both timeouts on this period: keep it under the shorter, or slow clients outstay it.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, config.http.headersTimeoutMs / 2)),
    },
    (request, response) => {
      // Every request gets an id (the caller's x-request-id when usable), echoed back and on each log line.
      const reqId = requestIdFrom(request.headers['x-request-id']);
      response.setHeader('x-request-id', reqId);
      const path = requestPath(request.url);
      const route =
        path === null
          ? 'invalid'
          : path === GRAPHQL_PATH || path === SSE_STREAM_PATH
            ? 'graphql'
            : routes.has(path)
              ? path
              : 'static';
      metrics.observeHttp(request, response, route);
      // Requests (not SSE streams, which never end by themselves) are waited for by a graceful shutdown.
      if (!(request.headers.accept ?? '').includes('text/event-stream')) {
        const leave = inFlight.enter();
        answering.add(response);
        response.once('close', () => {
          answering.delete(response);
          leave();
        });
      }
      // Draining: answer what arrives on an open connection, then close it, so the client goes elsewhere.
      if (draining) response.setHeader('connection', 'close');
      const started = performance.now();
      // Only when debug lines are written: otherwise a listener, a scope and a line object per request for nothing.
      if (logger.isLevelEnabled('debug'))
        response.once('close', () =>
          inRequest(reqId, () =>
            logger.debug(
              {
                method: request.method,
                path,
                // Nothing sent: the client went away (or the connection was cut) before the answer.
                status: response.headersSent ? response.statusCode : 'aborted',
                ms: Math.round(performance.now() - started),
              },
              'HTTP request',
            ),
          ),
        );
      // GraphiQL is the GraphQL path's HTML page; everything else gets the web app's policy.
      const isGraphiQL =
        path === GRAPHQL_PATH && request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
      const page = isGraphiQL ? headers.graphiql() : headers.app;
      const answer = () => inRequest(reqId, () => listener(request, response));
      // GraphiQL's 9 MB page: compressed, and revalidated against its ETag (transport/static.ts).
      page(request, response, isGraphiQL ? () => graphiqlPage(request, response, answer) : answer);
    },
  );

  // Node's own refusals (malformed request line or header, head too large, too slow) get a typed body too.
  http.on('clientError', answerClientError);
  // A connection past its address's cap or the server's is closed on arrival, before a byte of it is read
  // (transport/connections.ts).
  const connections = capConnections(http, {
    maxPerAddress: config.http.maxConnectionsPerAddress,
    max: config.http.maxConnections,
  });
  const websocket = attachGraphqlWs(
    http,
    yoga,
    db.sql,
    live,
    config.limits.ws,
    config.limits.maxJsonDepth,
    config.maxUpdateBytes,
  );
  metrics.watch({
    openSockets: () => websocket.server.clients.size,
    liveConnections: () => live.connectionCount,
    openDocuments: () => documents.openCount,
    writeTransactions: () => db.writes,
    sseUnreadResults: sse.unreadResults,
    syncBacklogBytes: () => syncBacklog.bytes,
    sectionsRewritten: () => deepSectionsRewritten.count,
    connections,
    updateLogRows: async () => (await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM "SectionUpdate"'))[0]?.n ?? 0,
  });

  let socketsClosed: Promise<void> | null = null;
  const closeSockets = () => {
    socketsClosed ??= websocket.close();
    return socketsClosed;
  };
  /** Stops everything at once; `shutdown` drains first. */
  const stop = async () => {
    draining = true;
    unobserveLag();
    clearInterval(pruning);
    live.stop();
    events.stop();
    documents.stop();
    sectionActivity.stop();
    presence.stop();
    await closeSockets();
    http.closeAllConnections();
    await new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
    await closePubSub();
    if (!options.db) await db.close();
  };

  return {
    db,
    fetch: (request) => Promise.resolve(yoga.fetch(request)),
    start: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
          const { port } = http.address() as AddressInfo;
          resolve(`http://${config.host}:${port}`);
        });
      }),
    shutdown: async () => {
      const began = performance.now();
      const elapsed = () => Math.round(performance.now() - began);
      draining = true;
      // No new connection from here on; idle keep-alive ones close now, busy ones once their request is answered.
      const closed = new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
      for (const response of answering) if (!response.headersSent) response.setHeader('connection', 'close');
      logger.info(
        { inFlight: inFlight.count, sockets: websocket.server.clients.size },
        'Shutdown: no longer accepting connections',
      );
      const finished = await inFlight.idle(config.shutdownTimeoutMs);
      logger[finished ? 'info' : 'warn'](
        { ms: elapsed(), cut: inFlight.count },
        finished ? 'Shutdown: requests in flight finished' : 'Shutdown: requests still in flight are cut',
      );
      // While their editors are still connected (a document nobody listens to is unloaded at once).
      const [settled, compacted] = await Promise.all([sectionActivity.flush(), documents.flush()]);
      logger.info({ settled, compacted, ms: elapsed() }, 'Shutdown: documents stored');
      const sockets = websocket.server.clients.size;
      // 1001 before anything ends the streams: a graphql-ws client told "complete" would not resubscribe.
      await closeSockets();
      http.closeAllConnections();
      await closed;
      logger.info({ sockets, ms: elapsed() }, 'Shutdown: sockets closed with 1001 (going away), SSE streams cut');
      await stop();
      logger.info({ ms: elapsed() }, 'Shutdown complete');
    },
    stop,
    events,
    live,
    documents,
    activity: sectionActivity,
    presence,
    metrics,
  };
}

/**
 * After a mutation has run (its transactions committed), tell every instance the log has grown, only when
 * it recorded an event: a mutation that wrote none (a presence update, a pushed edit, a refusal) is silent.
 * A socket that recorded events drops its viewer's kept memberships too, and the viewer's sessions kept for new
 * sockets are forgotten: their next operation sees what they just changed, before this instance has applied the
 * events (live/lifecycle.ts `memberships`, `authenticate`).
 */
function announceCommittedEvents(events: EventBus): Plugin {
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      setExecuteFn(async (executeArgs) => {
        const { result, recorded } = await trackRecording(() => executeFn(executeArgs));
        if (recorded) {
          const { connection, session, live } = args.contextValue as Partial<Context>;
          if (connection instanceof LiveConnection) connection.forgetMemberships();
          // Their next socket reads what they just changed too (Lifecycle.authenticate).
          if (session) live?.forgetViewer(session.member.id);
          events.announce();
        }
        return result;
      });
    },
  };
}

/**
 * A query's statements (outside transactions) run in the database's read lane (`inReadLane`): on PostgreSQL they
 * share `READ_TURNS` connections, so that queries waiting on a lock held elsewhere never hold the connections a
 * mutation, a session's read or the event bus needs. Mutations keep the pool as before; a subscription's first reads
 * take the lane too (live/lifecycle.ts' `StreamRun`), its deliveries do not.
 */
function queriesInReadLane(): Plugin {
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      setExecuteFn((executeArgs) => inReadLane(() => executeFn(executeArgs)));
    },
  };
}

/** Opens the configured database, applies pending migrations and, when it is empty, seeds the demo cooperative. */
export async function openMigrated(config: Config): Promise<Database> {
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteThread: config.pgliteThread,
    deadlines: config.databaseDeadlines,
  });
  await migrate(db.sql);
  if (config.seedWhenEmpty && (await db.prisma.member.count()) === 0) await seedDemoData(db.prisma);
  return db;
}
