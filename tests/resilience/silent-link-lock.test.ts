import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { BlackHoleProxy, backendsOf } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 30 (F5). The client-side deadline answers UNAVAILABLE and drops the connection. On a link that is
// really black-holed (a NAT entry expired, a firewall dropping packets), the server never learns it: the backend stayed
// "idle in transaction", with every lock its transaction took (here the event log's advisory lock, which every
// mutation of every instance takes), until the server's TCP stack gave the connection up (minutes to hours). The
// connections now run with idle_in_transaction_session_timeout at the client-side deadline.

const adminUrl = process.env.DATABASE_URL;
let proxy: BlackHoleProxy;
let db: Database;
let app: App;
let scratch: Awaited<ReturnType<typeof createPostgresDatabase>>;

beforeAll(async () => {
  if (!adminUrl) return;
  scratch = await createPostgresDatabase(adminUrl, 'collectifs_fault');
  const target = new URL(adminUrl);
  proxy = await BlackHoleProxy.start(target.hostname, Number(target.port || 5432));
  const url = new URL(scratch.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  db = await openDatabase({ databaseUrl: url.toString(), deadlines: { statementTimeoutMs: 1_000, lockTimeoutMs: 500 } });
  await migrate(db.sql);
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false };
  app = await buildApp(config, { db });
});

afterAll(async () => {
  if (!adminUrl) return;
  await proxy.close();
  await app.stop().catch(() => {});
  await db.close().catch(() => {});
  await scratch.drop();
});

interface Answer {
  data?: Record<string, unknown> | null;
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

describe.skipIf(!adminUrl)('A mutation whose link is black-holed after it took the event log lock', () => {
  it('leaves no lock behind: another member’s mutation succeeds once the first was answered UNAVAILABLE', async () => {
    const a = await makeMember(db.prisma);
    const b = await makeMember(db.prisma);
    const tokenA = (await openSession(db.prisma, a.id, 3_600_000)).token;
    const tokenB = (await openSession(db.prisma, b.id, 3_600_000)).token;

    proxy.armed = 'INSERT INTO "public"."EventLog"';
    const first = graphql(tokenA, 'mutation { signOut }');
    await until(() => proxy.frozen !== null, 'the event log insert to be black-holed');
    proxy.armed = null;
    const answer = await first;
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    await until(() => proxy.frozen?.destroyed, 'the client to drop the silent connection');

    // PostgreSQL ends the transaction left idle (idle_in_transaction_session_timeout) and its lock with it; before, it
    // was held for as long as the server's TCP stack kept the connection (minutes to hours).
    await until(
      async () => (await backendsOf(adminUrl as string, scratch.name)).every((row) => row.state !== 'idle in transaction'),
      'PostgreSQL to end the silent connection’s transaction',
    );
    expect(await graphql(tokenB, 'mutation { signOut }')).toMatchObject({ data: { signOut: true } });
  }, 120_000);
});
