import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 29 on grouped session reads (auth/sessions.ts `GroupedReads`), PostgreSQL: one pooled connection that
// stops answering (a link black-holed by a NAT or a firewall, a backend stopped: PostgreSQL's statement_timeout cannot
// fire) while it carries a session read. Only that request may wait, as before the grouping: the first design sent the
// next group only once the running one had ended, so every signed-in request of the instance waited with it.

const SESSION_READ = 'JOIN "Member" m ON m.id = s."memberId"';

/** A TCP proxy to PostgreSQL that black-holes the first connection to send a session read, once `armed`. */
class FreezingProxy {
  armed = false;
  frozen: Socket | null = null;
  readonly #held: Buffer[] = [];
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(host: string, port: number): Promise<FreezingProxy> {
    let proxy: FreezingProxy | null = null;
    const server = createServer((client) => proxy?.accept(client, host, port));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FreezingProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }
  accept(client: Socket, host: string, port: number): void {
    const upstream = connect(port, host);
    this.#sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => {
      if (this.frozen === client) return void this.#held.push(chunk);
      if (this.armed && !this.frozen && chunk.includes(SESSION_READ)) {
        this.frozen = client;
        this.#held.push(chunk);
        return;
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
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const adminUrl = process.env.DATABASE_URL;
let proxy: FreezingProxy;
let db: Database;
let app: App;
let name: string;

beforeAll(async () => {
  if (!adminUrl) return;
  name = `collectifs_stuck_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const target = new URL(adminUrl);
  proxy = await FreezingProxy.start(target.hostname, Number(target.port || 5432));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  db = await openDatabase({ databaseUrl: url.toString() });
  await migrate(db.sql);
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false };
  app = await buildApp(config, { db });
});

afterAll(async () => {
  if (!adminUrl) return;
  await proxy.close();
  await app.stop().catch(() => {});
  await db.close().catch(() => {});
  const cleanup = new pg.Client({ connectionString: adminUrl });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await cleanup.end();
});

async function viewer(token: string) {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    }),
  );
  return (await response.json()) as { data?: { viewer: { id: string } | null }; errors?: unknown[] };
}

describe.skipIf(!adminUrl)('A session read on a connection that stops answering (PostgreSQL)', () => {
  it('holds only its own request: another member’s request is answered meanwhile, as before the grouping', async () => {
    const a = await makeMember(db.prisma);
    const b = await makeMember(db.prisma);
    const tokenA = (await openSession(db.prisma, a.id, 3_600_000)).token;
    const tokenB = (await openSession(db.prisma, b.id, 3_600_000)).token;
    // Both work while the network is sound.
    expect((await viewer(tokenA)).data?.viewer).not.toBeNull();
    expect((await viewer(tokenB)).data?.viewer).not.toBeNull();

    proxy.armed = true;
    const stuck = viewer(tokenA).catch(() => null);
    await until(() => proxy.frozen !== null, 'the first session read to be black-holed');
    let answer: Awaited<ReturnType<typeof viewer>> | null = null;
    void viewer(tokenB).then((body) => {
      answer = body;
    });
    await until(() => answer, 'the other member’s request to be answered while one connection hangs');
    expect(JSON.stringify(answer)).toContain('"viewer":{"id"');
    proxy.frozen?.destroy();
    await stuck;
  }, 120_000);
});
