import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BehindProxy, behindProxy, TrueBlackHoleProxy } from '../support/postgres-proxies.js';
import { until } from '../support/waits.js';

// (Held) A ROLLBACK sent on a link that goes silent: watched like any statement, cut at the client-side deadline; the
// transaction's own error reaches its caller, the connection is discarded and the pool serves again.
const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<TrueBlackHoleProxy>;
const errors: unknown[] = [];
const onError = (error: unknown) => errors.push(error);

beforeAll(async () => {
  if (!adminUrl) return;
  process.on('uncaughtException', onError).on('unhandledRejection', onError);
  setup = await behindProxy(adminUrl, TrueBlackHoleProxy.start, {
    deadlines: { statementTimeoutMs: 1_000, lockTimeoutMs: 500 },
    app: false,
  });
});

afterAll(async () => {
  if (!adminUrl) return;
  process.off('uncaughtException', onError).off('unhandledRejection', onError);
  await setup.close();
});

describe.skipIf(!adminUrl)('ROLLBACK on a silent link', () => {
  it('is cut; the caller gets its own error; the pool serves again', async () => {
    setup.proxy.armed = 'ROLLBACK';
    setup.proxy.limit = 1;
    const outcome = await setup.db.sql
      .transaction(async (tx) => {
        await tx.query('SELECT 1');
        throw new Error('refused by the application');
      })
      .then(
        () => 'committed',
        (error: unknown) => String(error),
      );
    setup.proxy.armed = null;
    expect(outcome).toBe('Error: refused by the application');
    await until(() => setup.proxy.frozen.size === 1, 'the ROLLBACK black-holed');
    expect(await setup.db.sql.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(errors).toEqual([]);
  }, 120_000);
});
