import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { SilentConnectProxy } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 30 (P2, older than the client-side deadline). The database's link goes silent while the pool opens
// connections (a connection whose startup is never answered: pg had no deadline for it, the pool sets no
// connectionTimeoutMillis), then the link heals. The silent startups held the pool's places for good: every request
// stayed UNAVAILABLE. `DeadlineClient` gives each connection's startup the connection deadline.

const adminUrl = process.env.DATABASE_URL;
let proxy: SilentConnectProxy;
let db: Database;
let app: App;
let scratch: Awaited<ReturnType<typeof createPostgresDatabase>>;

beforeAll(async () => {
  if (!adminUrl) return;
  scratch = await createPostgresDatabase(adminUrl, 'collectifs_fault');
  const target = new URL(adminUrl);
  proxy = await SilentConnectProxy.start(target.hostname, Number(target.port || 5432));
  const url = new URL(scratch.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  db = await openDatabase({
    databaseUrl: url.toString(),
    deadlines: { statementTimeoutMs: 1_000, connectTimeoutMs: 500, lockTimeoutMs: 500 },
  });
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

async function viewer(token: string) {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    }),
  );
  return (await response.json()) as {
    data?: { viewer?: { id: string } | null };
    errors?: Array<{ extensions?: { code?: string } }>;
  };
}

describe.skipIf(!adminUrl)('connections opened while the link is silent', () => {
  it('the pool serves again once the link heals', async () => {
    const member = await makeMember(db.prisma);
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    const id = (await viewer(token)).data?.viewer?.id;
    expect(id).toBeTruthy();

    proxy.silent = true;
    proxy.cutAll();
    // The connections cut are dropped by the pool, then new ones are opened, silent.
    await Promise.all(Array.from({ length: 30 }, () => viewer(token)));
    await until(() => proxy.silentAccepted > 0 || viewer(token).then(() => false), 'a silent connection to be opened');
    // Many statements at once while silent (a burst of requests and of the server's own reads).
    await Promise.allSettled(Array.from({ length: 30 }, () => db.sql.query('SELECT 1')));
    const during = await Promise.all(Array.from({ length: 30 }, () => viewer(token)));
    expect(
      during.every((a) => a.errors?.[0]?.extensions?.code === 'UNAVAILABLE'),
      JSON.stringify(during[0]),
    ).toBe(true);
    proxy.silent = false;

    // Healed: a new connection now reaches PostgreSQL. The next requests are answered.
    const after = await Promise.all(Array.from({ length: 5 }, () => viewer(token)));
    expect({
      silentConnectionsOpened: proxy.silentAccepted,
      after: after.map((a) => a.data?.viewer?.id ?? a.errors?.[0]?.extensions?.code),
    }).toEqual({
      silentConnectionsOpened: proxy.silentAccepted,
      after: Array.from({ length: 5 }, () => id),
    });
    void until;
  }, 120_000);
});
