import { describe, expect, it } from 'vitest';
import { READ_TURNS } from '../../server/src/db/database.js';
import { testAppForFile } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';
import { holdLock } from './support.js';

// A table locked from outside (a migration's or an operator's `LOCK TABLE`): 20 queries reading it each held a
// pooled connection until the lock went, the 12 of the pool with them, and unrelated mutations (their session's
// read first) waited in pg's queue behind them, unanswered for 95 s, without UNAVAILABLE. Now queries read in a lane
// of `READ_TURNS` connections, and every wait on PostgreSQL has a deadline (`DatabaseDeadlines`), short here. The
// lock's deadline is longer than the connection's: deadlines alone would answer the mutations UNAVAILABLE (no pooled
// connection in time), the lane answers them.
const DEADLINES = { lockTimeoutMs: 15_000, statementTimeoutMs: 60_000, connectTimeoutMs: 4_000 };
const t = testAppForFile({ deadlines: DEADLINES });
const READ = '{ opportunities(first: 1) { edges { node { id } } } }';
const UPDATE = `mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename ... on Error { message } } }`;

describe.skipIf(!process.env.DATABASE_URL)('A table locked from outside on PostgreSQL', () => {
  it('answers unrelated mutations while queries wait on the lock, and those queries UNAVAILABLE within their deadline', async () => {
    const reader = await makeMember(t.db.prisma);
    const readerToken = await t.tokenFor(reader.id);
    const others = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const m = await makeMember(t.db.prisma);
        const c = await makeCollective(t.db.prisma, { animatorId: m.id });
        return { id: gid('Collective', c.id), token: await t.tokenFor(m.id) };
      }),
    );
    // Another client holds the table, in a transaction left open.
    const lock = await holdLock(t.db.sql, 'LOCK TABLE "Opportunity" IN ACCESS EXCLUSIVE MODE', []);
    try {
      const started = Date.now();
      const reads = Promise.all(Array.from({ length: 20 }, () => t.gql(READ, {}, readerToken)));
      await until(async () => (await lock.waitingOnLocks()) >= READ_TURNS.postgres, 'queries to wait on the lock');
      const writesStarted = Date.now();
      const writes = await Promise.all(others.map((o, i) => t.gql(UPDATE, { id: o.id, p: `Objet ${i}` }, o.token)));
      const writesWhileLocked = lock.held;
      const writesMs = Date.now() - writesStarted;
      const answered = await reads;
      const readsWhileLocked = lock.held;
      const readsMs = Date.now() - started;
      await lock.release();
      const codes = writes.map((w) => w.errors?.[0]?.extensions?.code ?? w.data?.updateCollective?.__typename);
      const readCodes = answered.map((r) => r.errors?.[0]?.extensions?.code ?? (r.data ? 'data' : 'none'));
      console.log(`writes ${JSON.stringify(codes)} in ${writesMs} ms; reads ${JSON.stringify(readCodes)} in ${readsMs} ms`);
      expect(codes).toEqual(others.map(() => 'MutationUpdateCollectiveSuccess'));
      expect(writesWhileLocked, `unrelated mutations answered only after ${writesMs} ms, once the lock was released`).toBe(true);
      // Every query of the locked table answered, typed, while the lock was still held (not by its release).
      expect(readsWhileLocked, `queries answered only after ${readsMs} ms, once the lock was released`).toBe(true);
      expect(readCodes).toEqual(readCodes.map(() => 'UNAVAILABLE'));
      // The lock gone, the same query is answered.
      const after = await t.gql(READ, {}, readerToken);
      expect(after.errors).toBeUndefined();
      expect(after.data?.opportunities).toEqual({ edges: [] });
    } finally {
      await lock.end();
    }
  }, 120_000);
});
