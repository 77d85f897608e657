import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 30 (P1, older than this stop). Two instances sharing PostgreSQL, no Redis. Claim (README,
// live/lifecycle.ts `authenticate`): "another instance's sign-out, committed before a socket's connection_init, is
// seen by it". A graphql-ws connection_init on instance A joined a session read of the same token already sent
// (Lifecycle.authenticate shared a running read); when that read's statement ran before the sign-out committed on B,
// the later socket was acknowledged and served as the signed-out member until A applied the session.revoked event
// (its poll, EVENT_POLL_MS; set long here to see it plainly). On PostgreSQL each caller now reads for itself.

const SESSION_READ = 'JOIN "Member" m ON m.id = s."memberId"';

/** A proxy that, once armed, holds the answers to the first connection that sends `armed` (the statement runs). */
class SlowReplyProxy {
  armed: string | null = null;
  holding: Socket | null = null;
  held: Buffer[] = [];
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(host: string, port: number): Promise<SlowReplyProxy> {
    let proxy: SlowReplyProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new SlowReplyProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }
  accept(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    this.#sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => {
      if (this.holding === client) this.held.push(chunk);
      else client.write(chunk);
    });
    client.on('data', (chunk) => {
      if (this.armed && !this.holding && chunk.includes(this.armed)) {
        this.holding = client;
        this.armed = null;
      }
      upstream.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
  release(): void {
    const client = this.holding;
    this.holding = null;
    for (const chunk of this.held.splice(0)) client?.write(chunk);
  }
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const adminUrl = process.env.DATABASE_URL;
let proxy: SlowReplyProxy;
let dbA: Database;
let dbB: Database;
let a: App;
let b: App;
let urlA: string;
let scratch: Awaited<ReturnType<typeof createPostgresDatabase>>;

beforeAll(async () => {
  if (!adminUrl) return;
  scratch = await createPostgresDatabase(adminUrl, 'collectifs_fault');
  const target = new URL(adminUrl);
  proxy = await SlowReplyProxy.start(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(scratch.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  dbA = await openDatabase({ databaseUrl: viaProxy.toString() });
  dbB = await openDatabase({ databaseUrl: scratch.url.toString() });
  await migrate(dbB.sql);
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false, eventPollMs: 600_000 };
  a = await buildApp(config, { db: dbA });
  b = await buildApp(config, { db: dbB });
  urlA = await a.start();
});

afterAll(async () => {
  if (!adminUrl) return;
  proxy.release();
  await a?.stop().catch(() => {});
  await b?.stop().catch(() => {});
  await proxy.close();
  await dbA?.close().catch(() => {});
  await dbB?.close().catch(() => {});
  await scratch.drop();
});

/** A raw graphql-transport-ws socket: its messages in order, and its close code. */
function rawSocket(token: string) {
  const socket = new WebSocket(`${urlA.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const state = {
    messages: [] as Array<{ type: string; id?: string; payload?: unknown }>,
    closed: null as number | null,
    open: false,
  };
  socket.on('open', () => {
    state.open = true;
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    // Answered after the connection_init above was handled up to its wait for the session read.
    socket.send(JSON.stringify({ type: 'ping' }));
  });
  socket.on('message', (data) => state.messages.push(JSON.parse(String(data))));
  socket.on('close', (code) => {
    state.closed = code;
  });
  return { socket, state };
}

describe.skipIf(!adminUrl)('connection_init after a sign-out committed on another instance', () => {
  it('is refused (4403), as a request would be', async () => {
    const member = await makeMember(dbB.prisma);
    const token = (await openSession(dbB.prisma, member.id, 3_600_000)).token;

    proxy.armed = SESSION_READ;
    const first = rawSocket(token);
    // The first socket's read has run on PostgreSQL (its answer is on the way).
    await until(() => proxy.held.length > 0, 'the first session read to run');

    const out = await b.fetch(
      new Request('http://collectifs.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation { signOut }' }),
      }),
    );
    expect(await out.json()).toMatchObject({ data: { signOut: true } });

    // Asked after the sign-out committed.
    const second = rawSocket(token);
    await until(
      () => second.state.messages.some((m) => m.type === 'pong') || second.state.closed,
      'the second socket’s ping to be answered',
    );
    proxy.release();
    await until(
      () => second.state.closed !== null || second.state.messages.some((m) => m.type === 'connection_ack'),
      'the second socket to be answered',
    );
    let viewer: unknown = null;
    if (second.state.closed === null) {
      second.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ viewer { id } }' } }));
      await until(() => second.state.messages.some((m) => m.type === 'complete' || m.type === 'error'), 'the query');
      viewer = second.state.messages.find((m) => m.type === 'next')?.payload;
    }
    first.socket.close();
    second.socket.close();
    expect({ acknowledged: second.state.messages.some((m) => m.type === 'connection_ack'), viewer }).toEqual({
      acknowledged: false,
      viewer: null,
    });
  }, 120_000);
});
