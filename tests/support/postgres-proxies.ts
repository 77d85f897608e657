/**
 * TCP proxies to PostgreSQL that fail the way a network does (a link that goes silent, a connection whose startup is
 * never answered), and what PostgreSQL's own view of a database's connections is, for the resilience tests of the
 * client-side deadlines (server/src/db/database.ts `SilentStatementWatch`, `DeadlineClient`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';

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
