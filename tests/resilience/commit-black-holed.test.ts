import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type BehindProxy, behindProxy, type GraphqlAnswer, TrueBlackHoleProxy } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack 2 of stop 30, finding 1: a COMMIT was never cut by SilentStatementWatch. On a link that goes silent as the
// COMMIT is sent (the COMMIT never reaches PostgreSQL), PostgreSQL ends the transaction itself
// (idle_in_transaction_session_timeout: rolled back, nothing kept), but the client was never told: the mutation waited
// with its write turn held for as long as the OS kept the TCP connection, and five of them held all WRITE_TURNS, so
// every later mutation of the instance waited for good. A COMMIT is watched now (its outcome unknown once cut: see
// tests/resilience/commit-waits-for-standby for the Idempotency-Key retry).
const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<TrueBlackHoleProxy>;

beforeAll(async () => {
  if (!adminUrl) return;
  setup = await behindProxy(adminUrl, TrueBlackHoleProxy.start, {
    deadlines: { statementTimeoutMs: 1_000, lockTimeoutMs: 500 },
  });
});

afterAll(async () => {
  if (adminUrl) await setup.close();
});

describe.skipIf(!adminUrl)('COMMIT sent on a link that goes silent', () => {
  it('is answered once PostgreSQL has ended the transaction, and does not stop the instance’s writes', async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => makeMember(setup.db.prisma)));
    const tokens = await Promise.all(members.map(async (m) => (await openSession(setup.db.prisma, m.id, 3_600_000)).token));
    const settled: Array<GraphqlAnswer | null> = [null, null, null, null, null, null];
    setup.proxy.armed = 'COMMIT';
    setup.proxy.limit = 5;
    for (let i = 0; i < 5; i++) {
      // The previous one's transaction (and the event log's lock) ended by PostgreSQL first.
      await until(() => setup.proxy.upstreamClosed === i, `PostgreSQL to end silent transaction ${i}`);
      void setup.graphql(tokens[i] as string, 'mutation { signOut }').then((answer) => {
        settled[i] = answer;
      });
      await until(() => setup.proxy.frozen.size === i + 1, `COMMIT ${i + 1} black-holed`);
    }
    setup.proxy.armed = null;
    // PostgreSQL ended every one of those transactions (idle in transaction past the deadline): nothing was kept.
    await until(() => setup.proxy.upstreamClosed === 5, 'PostgreSQL to end the five silent transactions');
    const revoked = await setup.db.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM "Session" WHERE "revokedAt" IS NOT NULL',
    );
    expect(revoked[0]?.n).toBe(0);
    // A sixth member, on a healthy link.
    void setup.graphql(tokens[5] as string, 'mutation { signOut }').then((answer) => {
      settled[5] = answer;
    });
    await until(
      () => settled[5] !== null,
      () =>
        `the sixth mutation to be answered (answers so far: ${JSON.stringify(settled)}; write queue ${JSON.stringify({ running: setup.db.writes.running, queued: setup.db.writes.queued })})`,
    );
    expect(settled[5]).toMatchObject({ data: { signOut: true } });
  }, 180_000);
});
