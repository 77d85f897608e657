import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { getOperationAST } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { resolveSession } from './auth/sessions.js';
import { SectionActivity } from './collab/activity.js';
import { SectionDocuments } from './collab/documents.js';
import { PresenceRegistry } from './collab/presence.js';
import type { Config } from './config.js';
import { bearerToken, type Context, createContext } from './context.js';
import { type Database, openDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { EventBus } from './events/bus.js';
import { pruneEventLog } from './events/prune.js';
import { createEventPubSub } from './events/pubsub.js';
import { schema } from './schema/index.js';
import { seedDemoData } from './seed/demo.js';

export const GRAPHQL_PATH = '/graphql';
const KEEP_ALIVE_MS = 15_000;

/** graphql-ws receives Yoga's enveloped execute and subscribe through the root value. */
interface EnvelopedRoot {
  execute: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;
  subscribe: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['subscribe']>>;
}
const CLIENT_DIST = new URL('../../client/dist/', import.meta.url).pathname;

export interface App {
  /** Listens on the configured port (0 picks a free one) and returns the base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
  /** Yoga's fetch handler, for tests that need no socket. */
  fetch: (request: Request) => Promise<Response>;
  db: Database;
  events: EventBus;
  documents: SectionDocuments;
}

export interface BuildOptions {
  /** An already open (and migrated) database; otherwise the configuration's is opened and migrated. */
  db?: Database;
}

/** Builds the whole server (database, GraphQL over HTTP, SSE and WebSocket, the web app) without listening. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const db = options.db ?? (await openMigrated(config));
  const { pubsub, close: closePubSub } = await createEventPubSub(config.redisUrl);
  const events = new EventBus(db.prisma, pubsub, { bufferSize: config.subscriberBuffer, pollMs: config.eventPollMs });
  await events.start();
  const documents = new SectionDocuments(db.prisma, pubsub, { compactAfter: config.compactAfter, idleCapacity: 200 });
  documents.start();
  const sectionActivity = new SectionActivity(db.prisma, events);
  documents.onStored = (sectionId, doc, authorId) => sectionActivity.touched(sectionId, doc, authorId);
  const presence = new PresenceRegistry(pubsub, documents.instanceId);
  presence.start();
  const server = { prisma: db.prisma, config, events, documents, presence };
  const pruning = setInterval(() => {
    void pruneEventLog(db.prisma, new Date(Date.now() - config.eventRetentionDays * 86_400_000));
  }, 3_600_000);
  pruning.unref();

  const yoga = createYoga<{ connectionParams?: Record<string, unknown> }, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: { title: 'Collectifs — GraphiQL', subscriptionsProtocol: 'WS' },
    landingPage: false,
    context: (initial) => createContext(server, bearerToken(initial)),
    plugins: [announceCommittedEvents(events)],
  });

  const http = createServer((request, response) => {
    if (request.url?.startsWith(GRAPHQL_PATH)) {
      void yoga.handle(request, response);
      return;
    }
    void serveClient(request, response);
  });

  // graphql-ws on the same port and path: Yoga's envelop runs the operation, so plugins and context apply.
  const wsServer = new WebSocketServer({ server: http, path: GRAPHQL_PATH });
  const wsDisposable = useServer(
    {
      // Authenticated in connection_init: a token that names no live session is refused (4403 Forbidden).
      // Without a token the socket stays anonymous, and every operation but signIn is refused.
      onConnect: async (ctx) => {
        const token = bearerToken({ connectionParams: ctx.connectionParams ?? {} });
        return token === null || (await resolveSession(db.prisma, token)) !== null;
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const {
          schema: enveloped,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          connectionParams: ctx.connectionParams,
        });
        const args = {
          schema: enveloped,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    wsServer,
  );

  // Keep-alive: ping every socket; one that has not answered since the last ping is gone.
  const alive = new WeakMap<object, boolean>();
  wsServer.on('connection', (socket) => {
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
  });
  const keepAlive = setInterval(() => {
    for (const socket of wsServer.clients) {
      if (!alive.get(socket)) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  return {
    db,
    fetch: (request) => Promise.resolve(yoga.fetch(request)),
    start: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const { port } = http.address() as AddressInfo;
          resolve(`http://${config.host}:${port}`);
        });
      }),
    stop: async () => {
      clearInterval(pruning);
      clearInterval(keepAlive);
      events.stop();
      documents.stop();
      sectionActivity.stop();
      presence.stop();
      await wsDisposable.dispose();
      wsServer.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
      await closePubSub();
      if (!options.db) await db.close();
    },
    events,
    documents,
  };
}

/**
 * After a mutation has run (its transactions committed), tell every instance the log has grown.
 * Cheap when nothing was written: each instance just finds no new row.
 */
function announceCommittedEvents(events: EventBus): Plugin {
  return {
    onExecute: ({ args }) => {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      return { onExecuteDone: () => events.announce() };
    },
  };
}

/** Opens the configured database, applies pending migrations and, when it is empty, seeds the demo cooperative. */
export async function openMigrated(config: Config): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db.sql);
  if (config.seedWhenEmpty && (await db.prisma.member.count()) === 0) await seedDemoData(db.prisma);
  return db;
}

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
async function serveClient(request: IncomingMessage, response: ServerResponse): Promise<void> {
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
