import { connect, createServer, type Server, type Socket } from 'node:net';

/** A connection through the proxy: the browser's side, the server's side, and whether it is a WebSocket. */
interface Pair {
  client: Socket;
  upstream: Socket;
  websocket: boolean;
}

/**
 * A TCP proxy between a browser and the server that can cut the network and restore it (issue 10 item 10:
 * the browser's offline switch leaves WebSockets open, a real cut does not). A cut resets every open
 * connection on both sides (RST, as a dropped link ends in) and resets each new one at once until
 * `restore()`; the browser and the server both see their sockets die.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
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

  /**
   * Holds what the server sends on the WebSocket connections open now, while the browser's messages still reach
   * it: the server acts on a message (stores a push) and its answer waits here. The returned function lets the
   * held bytes through; a cut drops them, as a link that fails before the answer arrives.
   */
  holdReplies(): () => void {
    const held = [...this.#pairs].filter((pair) => pair.websocket);
    for (const { client, upstream } of held) {
      upstream.unpipe(client);
      upstream.pause();
    }
    return () => {
      for (const { client, upstream } of held) if (!upstream.destroyed && !client.destroyed) upstream.pipe(client);
    };
  }

  accept(client: Socket, host: string, port: number): void {
    if (this.#cut) {
      this.refused += 1;
      client.resetAndDestroy();
      return;
    }
    // The first bytes tell a WebSocket upgrade from a plain request (for `holdWebSockets`).
    client.once('data', (first: Buffer) => {
      client.pause();
      const websocket = /^upgrade:\s*websocket/im.test(first.toString('latin1'));
      const start = () => this.#forward(client, first, host, port, websocket);
      const holding = this.#holding;
      if (holding && websocket) {
        holding.waiting.push(start);
        holding.onHeld();
      } else start();
    });
    client.on('error', () => client.destroy());
  }

  #forward(client: Socket, first: Buffer, host: string, port: number, websocket: boolean): void {
    if (this.#cut || client.destroyed) {
      client.resetAndDestroy();
      return;
    }
    this.accepted += 1;
    const upstream = connect(port, host);
    upstream.write(first);
    client.resume();
    const pair: Pair = { client, upstream, websocket };
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
    for (const { client, upstream } of [...this.#pairs]) {
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
