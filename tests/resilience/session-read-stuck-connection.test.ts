import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 29 on grouped session reads (auth/sessions.ts `GroupedReads`), PostgreSQL: one pooled connection that
// stops answering (a link black-holed by a NAT or a firewall, a backend stopped: PostgreSQL's statement_timeout cannot
// fire) while it carries a session read. Only that request may wait, as before the grouping: the first design sent the
// next group only once the running one had ended, so every signed-in request of the instance waited with it. And it
// waits only until the client-side deadline (db/database.ts `clientDeadlineMs`), past which it is answered
// UNAVAILABLE and the silent connection is dropped: before, it waited for as long as the TCP connection lived.

const SESSION_READ = 'JOIN "Member" m ON m.id = s."memberId"';

/** PostgreSQL's deadline in this file, in ms: the client's is `clientDeadlineMs` of it. */
const STATEMENT_TIMEOUT_MS = 1_000;

/** A TCP proxy to PostgreSQL that black-holes the first connection to send a statement containing `armed`. */
class FreezingProxy {
  armed: string | null = null;
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
      if (this.armed && !this.frozen && chunk.includes(this.armed)) {
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
let created: Awaited<ReturnType<typeof createPostgresDatabase>>;

beforeAll(async () => {
  if (!adminUrl) return;
  created = await createPostgresDatabase(adminUrl, 'collectifs_stuck');
  const target = new URL(adminUrl);
  proxy = await FreezingProxy.start(target.hostname, Number(target.port || 5432));
  // The same database, through the proxy.
  const url = new URL(created.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  db = await openDatabase({ databaseUrl: url.toString(), deadlines: { statementTimeoutMs: STATEMENT_TIMEOUT_MS } });
  await migrate(db.sql);
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false };
  app = await buildApp(config, { db });
});

afterAll(async () => {
  if (!adminUrl) return;
  await proxy.close();
  await app.stop().catch(() => {});
  await db.close().catch(() => {});
  await created.drop();
});

interface Answer {
  data?: { viewer?: { id: string } | null } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function graphql(token: string, query: string): Promise<Answer> {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    }),
  );
  return (await response.json()) as Answer;
}

const viewer = (token: string) => graphql(token, '{ viewer { id } }');

/**
 * Black-holes the next connection to send a statement containing `pattern` while `ask` runs; returns `ask`'s answer
 * once the client-side deadline has answered it, after checking the silent connection was dropped.
 */
async function heldBySilentConnection(pattern: string, ask: () => Promise<Answer>): Promise<Answer> {
  proxy.frozen = null;
  proxy.armed = pattern;
  const answer = ask();
  await until(() => proxy.frozen !== null, `a statement containing ${pattern} to be black-holed`);
  proxy.armed = null;
  const answered = await answer;
  // The pool ended that connection (`DeadlineClient`): the proxy saw its socket close.
  await until(() => proxy.frozen?.destroyed, 'the silent connection to be dropped');
  return answered;
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

    proxy.armed = SESSION_READ;
    const stuck = viewer(tokenA).catch(() => null);
    await until(() => proxy.frozen !== null, 'the first session read to be black-holed');
    let answer: Awaited<ReturnType<typeof viewer>> | null = null;
    void viewer(tokenB).then((body) => {
      answer = body;
    });
    await until(() => answer, 'the other member’s request to be answered while one connection hangs');
    expect(JSON.stringify(answer)).toContain('"viewer":{"id"');
    proxy.frozen?.destroy();
    proxy.armed = null;
    await stuck;
  }, 120_000);

  it('answers a session read on a silent connection UNAVAILABLE at the client-side deadline, and drops that connection', async () => {
    const member = await makeMember(db.prisma);
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    const answer = await heldBySilentConnection(SESSION_READ, () => viewer(token));
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    // The same member's next request is answered, on a sound connection.
    expect((await viewer(token)).data?.viewer?.id).toBeTruthy();
  }, 120_000);

  it('answers a Prisma query on a silent connection UNAVAILABLE at the client-side deadline, and drops that connection', async () => {
    const member = await makeMember(db.prisma);
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    const query = '{ collectives(first: 1) { totalCount } }';
    const answer = await heldBySilentConnection('FROM "public"."Collective"', () => graphql(token, query));
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    expect(await graphql(token, query)).toMatchObject({ data: { collectives: { totalCount: 0 } } });
  }, 120_000);

  it('answers a mutation whose transaction meets a silent connection UNAVAILABLE, keeps nothing of it, and drops that connection', async () => {
    const member = await makeMember(db.prisma);
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    const answer = await heldBySilentConnection('UPDATE "public"."Session"', () => graphql(token, 'mutation { signOut }'));
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    // Not signed out: the session still serves, on sound connections.
    expect((await viewer(token)).data?.viewer?.id).toBeTruthy();
    expect(await graphql(token, 'mutation { signOut }')).toMatchObject({ data: { signOut: true } });
    expect((await viewer(token)).data?.viewer).toBeNull();
  }, 120_000);
});
