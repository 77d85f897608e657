import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type BehindProxy, behindProxy, SilentConnectProxy } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 30 (P2, older than the client-side deadline). The database's link goes silent while the pool opens
// connections (a connection whose startup is never answered: pg had no deadline for it, the pool sets no
// connectionTimeoutMillis), then the link heals. The silent startups held the pool's places for good: every request
// stayed UNAVAILABLE. `DeadlineClient` gives each connection's startup the connection deadline.

const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<SilentConnectProxy>;

beforeAll(async () => {
  if (!adminUrl) return;
  setup = await behindProxy(adminUrl, SilentConnectProxy.start, {
    deadlines: { statementTimeoutMs: 1_000, connectTimeoutMs: 500, lockTimeoutMs: 500 },
  });
});

afterAll(async () => {
  if (adminUrl) await setup.close();
});

const viewer = (token: string) => setup.graphql(token, '{ viewer { id } }');

describe.skipIf(!adminUrl)('connections opened while the link is silent', () => {
  it('the pool serves again once the link heals', async () => {
    const member = await makeMember(setup.db.prisma);
    const token = (await openSession(setup.db.prisma, member.id, 3_600_000)).token;
    const id = (await viewer(token)).data?.viewer?.id;
    expect(id).toBeTruthy();

    setup.proxy.silent = true;
    setup.proxy.cutAll();
    // The connections cut are dropped by the pool, then new ones are opened, silent.
    await Promise.all(Array.from({ length: 30 }, () => viewer(token)));
    await until(() => setup.proxy.silentAccepted > 0 || viewer(token).then(() => false), 'a silent connection to be opened');
    // Many statements at once while silent (a burst of requests and of the server's own reads).
    await Promise.allSettled(Array.from({ length: 30 }, () => setup.db.sql.query('SELECT 1')));
    const during = await Promise.all(Array.from({ length: 30 }, () => viewer(token)));
    expect(
      during.every((a) => a.errors?.[0]?.extensions?.code === 'UNAVAILABLE'),
      JSON.stringify(during[0]),
    ).toBe(true);
    setup.proxy.silent = false;

    // Healed: a new connection now reaches PostgreSQL. The next requests are answered.
    const after = await Promise.all(Array.from({ length: 5 }, () => viewer(token)));
    expect({
      silentConnectionsOpened: setup.proxy.silentAccepted,
      after: after.map((a) => a.data?.viewer?.id ?? a.errors?.[0]?.extensions?.code),
    }).toEqual({
      silentConnectionsOpened: setup.proxy.silentAccepted,
      after: Array.from({ length: 5 }, () => id),
    });
    void until;
  }, 120_000);
});
