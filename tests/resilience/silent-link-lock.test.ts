import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type BehindProxy, BlackHoleProxy, backendsOf, behindProxy } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 30 (F5). The client-side deadline answers UNAVAILABLE and drops the connection. On a link that is
// really black-holed (a NAT entry expired, a firewall dropping packets), the server never learns it: the backend stayed
// "idle in transaction", with every lock its transaction took (here the event log's advisory lock, which every
// mutation of every instance takes), until the server's TCP stack gave the connection up (minutes to hours). The
// connections now run with idle_in_transaction_session_timeout at the client-side deadline.

const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<BlackHoleProxy>;

beforeAll(async () => {
  if (!adminUrl) return;
  setup = await behindProxy(adminUrl, BlackHoleProxy.start, { deadlines: { statementTimeoutMs: 1_000, lockTimeoutMs: 500 } });
});

afterAll(async () => {
  if (adminUrl) await setup.close();
});

describe.skipIf(!adminUrl)('A mutation whose link is black-holed after it took the event log lock', () => {
  it('leaves no lock behind: another member’s mutation succeeds once the first was answered UNAVAILABLE', async () => {
    const a = await makeMember(setup.db.prisma);
    const b = await makeMember(setup.db.prisma);
    const tokenA = (await openSession(setup.db.prisma, a.id, 3_600_000)).token;
    const tokenB = (await openSession(setup.db.prisma, b.id, 3_600_000)).token;

    setup.proxy.armed = 'INSERT INTO "public"."EventLog"';
    const first = setup.graphql(tokenA, 'mutation { signOut }');
    await until(() => setup.proxy.frozen !== null, 'the event log insert to be black-holed');
    setup.proxy.armed = null;
    const answer = await first;
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    await until(() => setup.proxy.frozen?.destroyed, 'the client to drop the silent connection');

    // PostgreSQL ends the transaction left idle (idle_in_transaction_session_timeout) and its lock with it; before, it
    // was held for as long as the server's TCP stack kept the connection (minutes to hours).
    await until(
      async () => (await backendsOf(adminUrl as string, setup.created.name)).every((row) => row.state !== 'idle in transaction'),
      'PostgreSQL to end the silent connection’s transaction',
    );
    expect(await setup.graphql(tokenB, 'mutation { signOut }')).toMatchObject({ data: { signOut: true } });
  }, 120_000);
});
