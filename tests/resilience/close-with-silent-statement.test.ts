import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable } from '../../server/src/errors.js';
import { type BehindProxy, behindProxy, TrueBlackHoleProxy } from '../support/postgres-proxies.js';
import { until } from '../support/waits.js';

// Attack 2 of stop 30, finding 2: DeadlinePool.end stopped SilentStatementWatch before pg-pool's end, which waits for
// every checked-out connection to be released. A statement in flight on a link gone silent (a request cut by the
// shutdown's deadline, a compaction of `documents.flush()`) was then never cut: `db.close()` (app shutdown's last step)
// waited for as long as the OS kept the TCP connection. The watch now stops once the pool has ended.
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
  if (adminUrl) await setup.proxy.close().then(() => setup.created.drop());
});

describe.skipIf(!adminUrl)('closing the database while a statement is silent', () => {
  it('(control, passes) without close(), the silent statement is cut at the client-side deadline', async () => {
    setup.proxy.armed = 'silent-control-marker';
    const outcome = await setup.db.sql.query("SELECT 'silent-control-marker'").then(
      () => 'answered',
      (error: unknown) => error,
    );
    setup.proxy.armed = null;
    expect(isUnavailable(outcome)).toBe(true);
  }, 120_000);

  it('the silent statement is still cut at the client-side deadline, and close() completes', async () => {
    setup.proxy.armed = 'silent-close-marker';
    let outcome: unknown = null;
    setup.db.sql.query("SELECT 'silent-close-marker'").then(
      () => {
        outcome = 'answered';
      },
      (error: unknown) => {
        outcome = error;
      },
    );
    await until(() => setup.proxy.frozen.size === 2, 'the statement black-holed');
    setup.proxy.armed = null;
    let closed = false;
    void setup.db.close().then(() => {
      closed = true;
    });
    // The server ends the backend on its side (statement_timeout then the statement's error, never delivered): the
    // client-side deadline (6 s) has passed long before this.
    await until(() => outcome !== null, 'the silent statement to be cut (client-side deadline: 6 s)');
    expect(isUnavailable(outcome)).toBe(true);
    await until(() => closed, 'db.close() to complete');
  }, 120_000);
});
