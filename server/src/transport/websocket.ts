import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { resolveSession } from '../auth/sessions.js';
import { bearerToken, type Context } from '../context.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** The GraphQL path, shared by HTTP, SSE and graphql-ws. */
export const GRAPHQL_PATH = '/graphql';
const KEEP_ALIVE_MS = 15_000;

/** graphql-ws receives Yoga's enveloped execute and subscribe through the root value. */
interface EnvelopedRoot {
  execute: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['execute']>>;
  subscribe: (args: unknown) => ReturnType<NonNullable<Parameters<typeof useServer>[0]['subscribe']>>;
}

/** What the app needs to stop the WebSocket side. */
export interface GraphqlWebSocket {
  server: WebSocketServer;
  /** Stops keep-alive, completes every operation and closes the sockets. */
  close(): Promise<void>;
}

/**
 * graphql-ws on the HTTP server's GraphQL path. Each operation runs through Yoga's envelop, so Yoga's plugins
 * and the request context apply exactly as over HTTP and SSE.
 */
export function attachGraphqlWs(
  http: Server,
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's server context type is the app's own; only getEnveloped is used.
  yoga: YogaServerInstance<any, Context>,
  prisma: PrismaClient,
): GraphqlWebSocket {
  // graphql-ws on the same port and path: Yoga's envelop runs the operation, so plugins and context apply.
  const wsServer = new WebSocketServer({ server: http, path: GRAPHQL_PATH });
  const wsDisposable = useServer(
    {
      // Authenticated in connection_init: a token that names no live session is refused (4403 Forbidden).
      // Without a token the socket stays anonymous, and every operation but signIn is refused.
      onConnect: async (ctx) => {
        const token = bearerToken({ connectionParams: ctx.connectionParams ?? {} });
        return token === null || (await resolveSession(prisma, token)) !== null;
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
    server: wsServer,
    close: async () => {
      clearInterval(keepAlive);
      await wsDisposable.dispose();
      wsServer.close();
    },
  };
}
