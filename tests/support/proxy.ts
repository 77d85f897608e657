import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between a browser and the server that can cut the network and restore it (issue 10 item 10:
 * the browser's offline switch leaves WebSockets open, a real cut does not). A cut resets every open
 * connection on both sides (RST, as a dropped link ends in) and resets each new one at once until
 * `restore()`; the browser and the server both see their sockets die.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #cut = false;
  /** Connections accepted since the start (each HTTP keep-alive or WebSocket connection counts once). */
  accepted = 0;
  /** Connections refused (reset) while cut: the client kept trying. */
  refused = 0;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  /** Listens on a free loopback port and forwards to `target` (`http://host:port`). */
  static async start(target: string): Promise<TcpProxy> {
    const { hostname, port } = new URL(target);
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('No proxy port');
    proxy = new TcpProxy(server, address.port);
    return proxy;
  }

  /** The proxy's base URL, to open pages through. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open connections through the proxy. */
  get open(): number {
    return this.#pairs.size;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /**
   * Holds every new WebSocket connection (its upgrade request waits, unanswered) until the returned function
   * is called; plain HTTP requests go through. `held` resolves when the first one is held.
   */
  holdWebSockets(): { held: Promise<void>; release: () => void } {
    let resolveHeld!: () => void;
    const held = new Promise<void>((resolve) => {
      resolveHeld = resolve;
    });
    this.#holding = { waiting: [], onHeld: resolveHeld };
    return {
      held,
      release: () => {
        const waiting = this.#holding?.waiting ?? [];
        this.#holding = null;
        for (const start of waiting) start();
      },
    };
  }

  #holding: { waiting: Array<() => void>; onHeld: () => void } | null = null;

  accept(client: Socket, host: string, port: number): void {
    if (this.#cut) {
      this.refused += 1;
      client.resetAndDestroy();
      return;
    }
    // The first bytes tell a WebSocket upgrade from a plain request (for `holdWebSockets`).
    client.once('data', (first: Buffer) => {
      client.pause();
      const start = () => this.#forward(client, first, host, port);
      const holding = this.#holding;
      if (holding && /^upgrade:\s*websocket/im.test(first.toString('latin1'))) {
        holding.waiting.push(start);
        holding.onHeld();
      } else start();
    });
    client.on('error', () => client.destroy());
  }

  #forward(client: Socket, first: Buffer, host: string, port: number): void {
    if (this.#cut || client.destroyed) {
      client.resetAndDestroy();
      return;
    }
    this.accepted += 1;
    const upstream = connect(port, host);
    upstream.write(first);
    client.resume();
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      this.#pairs.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }

  /** Cuts the network: every open connection is reset on both sides, new ones are reset until `restore()`. */
  cut(): void {
    this.#cut = true;
    for (const [client, upstream] of [...this.#pairs]) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.#pairs.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
