import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable } from '../../server/src/errors.js';
import { type BehindProxy, BlackHoleProxy, backendsOf, behindProxy } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Transactions whose connection goes silent mid-way (the server is told once the client drops it): answered
// UNAVAILABLE, nothing committed, the connection gone on both sides, no backend left, the pool serving again.
const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<BlackHoleProxy>;
const errors: unknown[] = [];
const onError = (error: unknown) => errors.push(error);

beforeAll(async () => {
  if (!adminUrl) return;
  process.on('uncaughtException', onError).on('unhandledRejection', onError);
  setup = await behindProxy(
    adminUrl,
    async (host, port) => {
      const started = await BlackHoleProxy.start(host, port);
      started.tellServer = true;
      return started;
    },
    { deadlines: { statementTimeoutMs: 1_000, lockTimeoutMs: 500 }, app: false },
  );
});

afterAll(async () => {
  if (!adminUrl) return;
  process.off('uncaughtException', onError).off('unhandledRejection', onError);
  await setup.close();
});

async function settle<T>(work: Promise<T>): Promise<{ ok: boolean; unavailable: boolean; error?: string }> {
  try {
    await work;
    return { ok: true, unavailable: false };
  } catch (error) {
    return { ok: false, unavailable: isUnavailable(error), error: String(error).slice(0, 200) };
  }
}

describe.skipIf(!adminUrl)('transactions on a connection that goes silent', () => {
  it('raw transaction (setup.db.sql.transaction), silent on its second statement and on its COMMIT', async () => {
    const member = await makeMember(setup.db.prisma);
    for (const pattern of ['attack-second', 'COMMIT']) {
      setup.proxy.frozen = null;
      setup.proxy.armed = pattern;
      const outcome = await settle(
        setup.db.sql.transaction(async (tx) => {
          await tx.query('UPDATE "Member" SET trade = $1 WHERE id = $2::uuid', [`changed-${pattern}`, member.id]);
          await tx.query("SELECT 'attack-second'");
        }),
      );
      setup.proxy.armed = null;
      expect(outcome).toMatchObject({ ok: false, unavailable: true });
      await until(() => setup.proxy.frozen?.destroyed, 'the silent connection dropped');
      const [row] = await setup.db.sql.query<{ trade: string }>('SELECT trade FROM "Member" WHERE id = $1::uuid', [member.id]);
      expect(row?.trade).not.toBe(`changed-${pattern}`);
    }
    await until(
      async () => (await backendsOf(adminUrl as string, setup.created.name)).every((b) => b.state !== 'idle in transaction'),
      'no transaction left on the server',
    );
    expect(errors.map(String)).toEqual([]);
  }, 120_000);

  it('Prisma interactive transaction with its own timeout shorter than the client deadline', async () => {
    const member = await makeMember(setup.db.prisma);
    setup.proxy.frozen = null;
    setup.proxy.armed = 'attack-prisma';
    const outcome = await settle(
      setup.db.prisma.$transaction(
        async (tx) => {
          await tx.member.update({ where: { id: member.id }, data: { trade: 'changed-prisma' } });
          await tx.$queryRawUnsafe("SELECT 'attack-prisma'::text AS x");
        },
        { timeout: 300 },
      ),
    );
    setup.proxy.armed = null;
    expect(outcome.ok).toBe(false);
    await until(() => setup.proxy.frozen?.destroyed, 'the silent connection dropped');
    expect((await setup.db.prisma.member.findUniqueOrThrow({ where: { id: member.id } })).trade).not.toBe('changed-prisma');
    // The pool serves: 20 transactions and 40 statements at once.
    await Promise.all([
      ...Array.from({ length: 20 }, () => setup.db.prisma.$transaction(async (tx) => tx.member.count())),
      ...Array.from({ length: 40 }, () => setup.db.sql.query('SELECT 1')),
    ]);
    const backends = await backendsOf(adminUrl as string, setup.created.name);
    expect(backends.filter((b) => b.state === 'idle in transaction')).toEqual([]);
    expect(backends.length).toBeLessThanOrEqual(15);
    expect(errors.map(String)).toEqual([]);
  }, 120_000);
});
