/**
 * TCP proxies to PostgreSQL that fail the way a network does (a link that goes silent, a connection whose startup is
 * never answered), and what PostgreSQL's own view of a database's connections is, for the resilience tests of the
 * client-side deadlines (server/src/db/database.ts `SilentStatementWatch`, `DeadlineClient`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { type App, buildApp } from '../../server/src/app.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, type DatabaseDeadlines, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from './database.js';

/**
 * A TCP proxy to PostgreSQL that black-holes, in both directions, the first connection to send a statement containing
 * `armed`: nothing more reaches the server or the client, and when the client closes its end the server is not told
 * (as with a NAT entry or a firewall that drops packets: the server's socket stays established).
 */
export class BlackHoleProxy {
  armed: string | null = null;
  /** Whether the server is told when the client closes a frozen connection (a silent link, not a black hole). */
  tellServer = false;
  frozen: Socket | null = null;
  frozenUpstream: Socket | null = null;
  /** Client connections accepted. */
  accepted = 0;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(host: string, port: number): Promise<BlackHoleProxy> {
    let proxy: BlackHoleProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new BlackHoleProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }
  accept(client: Socket, host: string, port: number): void {
    this.accepted += 1;
    const upstream = connect(port, host);
    this.#sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => {
      if (this.frozen === client) return;
      client.write(chunk);
    });
    client.on('data', (chunk) => {
      if (this.frozen === client) return;
      if (this.armed && !this.frozen && chunk.includes(this.armed)) {
        this.frozen = client;
        this.frozenUpstream = upstream;
        return;
      }
      upstream.write(chunk);
    });
    client
      .on('error', () => {})
      .on('close', () => {
        // The server is not told when the link is black-holed.
        if (this.frozen !== client || this.tellServer) upstream.destroy();
      });
    upstream.on('error', () => {}).on('close', () => client.destroy());
  }
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The backends of database `name` other than the caller's, by state. */
export async function backendsOf(adminUrl: string, name: string): Promise<Array<{ state: string; query: string }>> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ state: string; query: string }>(
      'SELECT state, query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY state',
      [name],
    );
    return rows;
  } finally {
    await admin.end();
  }
}

/** A TCP proxy to PostgreSQL; while `silent`, the connections it accepts get TCP but never a byte from the server. */
export class SilentConnectProxy {
  silent = false;
  silentAccepted = 0;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(host: string, port: number): Promise<SilentConnectProxy> {
    let proxy: SilentConnectProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new SilentConnectProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }
  accept(client: Socket, host: string, port: number): void {
    this.#sockets.add(client);
    client.on('error', () => {});
    if (this.silent) {
      this.silentAccepted += 1;
      return;
    }
    const upstream = connect(port, host);
    this.#sockets.add(upstream);
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => upstream.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('error', end).on('close', end);
  }
  /** Cuts every connection open now (the server's and the clients'). */
  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A TCP proxy to PostgreSQL that black-holes, for good and in both directions, every connection that sends a chunk
 * containing `armed` (while armed, up to `limit` connections): nothing more reaches either side, not even a close
 * (FIN/RST), as with a NAT entry expired or a firewall dropping packets. Unlike `BlackHoleProxy`, the
 * server's own close of a frozen connection (e.g. idle_in_transaction_session_timeout) is not passed to the client.
 */
export class TrueBlackHoleProxy {
  armed: string | null = null;
  limit = Number.POSITIVE_INFINITY;
  readonly frozen = new Set<Socket>();
  /** Frozen connections whose server side has closed (the server gave up on them). */
  upstreamClosed = 0;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(host: string, port: number): Promise<TrueBlackHoleProxy> {
    let proxy: TrueBlackHoleProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TrueBlackHoleProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }
  accept(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    this.#sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => {
      if (!this.frozen.has(client)) client.write(chunk);
    });
    client.on('data', (chunk) => {
      if (this.frozen.has(client)) return;
      if (this.armed && this.frozen.size < this.limit && chunk.includes(this.armed)) {
        this.frozen.add(client);
        return;
      }
      upstream.write(chunk);
    });
    client
      .on('error', () => {})
      .on('close', () => {
        if (!this.frozen.has(client)) upstream.destroy();
      });
    upstream
      .on('error', () => {})
      .on('close', () => {
        if (this.frozen.has(client)) this.upstreamClosed += 1;
        else client.destroy();
      });
  }
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A GraphQL answer as the resilience tests read it. */
export interface GraphqlAnswer {
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields its own query asked for.
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A migrated database of its own, reached through a proxy, and the app over it. */
export interface BehindProxy<P> {
  proxy: P;
  db: Database;
  /** The database's name and its removal. */
  created: Awaited<ReturnType<typeof createPostgresDatabase>>;
  /** The app over `db` (null with `app: false`). */
  app: App | null;
  /** Posts `query` to the app with `token`. */
  graphql(token: string, query: string): Promise<GraphqlAnswer>;
  /** Closes the proxy, the app and the database, and drops it. */
  close(): Promise<void>;
}

/**
 * A new database beside `adminUrl`'s, opened through the proxy `start` makes (to PostgreSQL's host and port) with
 * `deadlines`, migrated, and with `app` (default true) an app over it (generous limits, no demo data).
 */
export async function behindProxy<P extends { port: number; close(): Promise<void> }>(
  adminUrl: string,
  start: (host: string, port: number) => Promise<P>,
  options: { deadlines?: Partial<DatabaseDeadlines>; app?: boolean } = {},
): Promise<BehindProxy<P>> {
  const created = await createPostgresDatabase(adminUrl, 'collectifs_fault');
  const target = new URL(adminUrl);
  const proxy = await start(target.hostname, Number(target.port || 5432));
  const url = new URL(created.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const db = await openDatabase({ databaseUrl: url.toString(), deadlines: options.deadlines });
  await migrate(db.sql);
  const app =
    options.app === false
      ? null
      : await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db });
  return {
    proxy,
    db,
    created,
    app,
    graphql: async (token, query) => {
      if (!app) throw new Error('behindProxy: opened without an app');
      const response = await app.fetch(
        new Request('http://collectifs.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        }),
      );
      return (await response.json()) as GraphqlAnswer;
    },
    close: async () => {
      await proxy.close();
      await app?.stop().catch(() => {});
      await db.close().catch(() => {});
      await created.drop();
    },
  };
}
