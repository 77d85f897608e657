import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable } from '../../server/src/errors.js';
import { type BehindProxy, backendsOf, behindProxy, TrueBlackHoleProxy } from '../support/postgres-proxies.js';
import { until } from '../support/waits.js';

// Attack 2 of stop 30, finding 3: SilentStatementWatch drops a connection whose statement went unanswered; on a link
// really black-holed, PostgreSQL never hears of it. Inside a transaction, idle_in_transaction_session_timeout ends the
// backend (F5). Outside one (every read: GraphQL queries, session reads, the bus' log tail), the backend was left
// "idle", holding one of max_connections, until the server's TCP keepalive gave up (tcp_keepalives_idle: 7200 s by
// default), while the pool opened a new connection in its place. The watch now asks PostgreSQL, on another
// connection, to end the dropped connection's backend (pg_terminate_backend).
const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<TrueBlackHoleProxy>;

beforeAll(async () => {
  if (!adminUrl) return;
  setup = await behindProxy(adminUrl, TrueBlackHoleProxy.start, {
    deadlines: { statementTimeoutMs: 1_000, lockTimeoutMs: 500 },
    app: false,
  });
});

afterAll(async () => {
  if (adminUrl) await setup.close();
});

describe.skipIf(!adminUrl)('reads dropped for their silence', () => {
  it('leave no backend behind on the server', async () => {
    setup.proxy.armed = 'silent-orphan-marker';
    setup.proxy.limit = 8;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        setup.db.sql.query(`SELECT 'silent-orphan-marker', ${i}`).then(
          () => 'answered',
          (error: unknown) => error,
        ),
      ),
    );
    setup.proxy.armed = null;
    expect(outcomes.every((outcome) => isUnavailable(outcome))).toBe(true);
    // The pool serves again (on new connections).
    await Promise.all(Array.from({ length: 8 }, () => setup.db.sql.query('SELECT pg_sleep(0.05)')));
    const ended = await until(() => setup.proxy.upstreamClosed === 8, 'PostgreSQL to end the 8 backends the client dropped').then(
      () => true,
      () => false,
    );
    const backends = await backendsOf(adminUrl as string, setup.created.name);
    expect({ ended: setup.proxy.upstreamClosed, backends: backends.map((b) => b.state) }).toEqual({
      ended: 8,
      backends: expect.any(Array),
    });
    expect(ended).toBe(true);
  }, 180_000);
});
