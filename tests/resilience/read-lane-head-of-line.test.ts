import { describe, expect, it } from 'vitest';
import { READ_TURNS } from '../../server/src/db/database.js';
import { testAppForFile } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';
import { holdLock } from './support.js';

// Head of line in the read lane: queries of a table locked from outside took every turn of the lane (`READ_TURNS`)
// until the lock's deadline, and a query of another table, queued behind them, was answered UNAVAILABLE at the
// connection deadline though nothing it reads was locked (attack of stop 24, finding 1). Now the lane's statements
// wait for a lock at most `READ_LANE_LOCK_TIMEOUT_MS` (1 s): the locked table's queries are answered UNAVAILABLE
// then and give their turns to the queries behind. The deadlines here are those of a lock far longer than a
// connection's wait, as an operator's `LOCK TABLE` left open would be.
const DEADLINES = { lockTimeoutMs: 30_000, statementTimeoutMs: 60_000, connectTimeoutMs: 6_000 };
const t = testAppForFile({ deadlines: DEADLINES });
const LOCKED = '{ opportunities(first: 1) { edges { node { id } } } }';
const OTHER = 'query($id: ID!) { node(id: $id) { id ... on Collective { name } } }';

describe.skipIf(!process.env.DATABASE_URL)('Queries behind queries of a table locked from outside on PostgreSQL', () => {
  it('answers a query of another table while the lock is held, and the locked table’s queries UNAVAILABLE', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const lock = await holdLock(t.db.sql, 'LOCK TABLE "Opportunity" IN ACCESS EXCLUSIVE MODE', []);
    try {
      const locked = Promise.all(Array.from({ length: READ_TURNS.postgres }, () => t.gql(LOCKED, {}, token)));
      await until(async () => (await lock.waitingOnLocks()) >= READ_TURNS.postgres, 'queries to wait on the lock');
      const started = Date.now();
      const other = await t.gql(OTHER, { id: gid('Collective', collective.id) }, token);
      const whileLocked = lock.held;
      const ms = Date.now() - started;
      const lockedCodes = (await locked).map((r) => r.errors?.[0]?.extensions?.code ?? (r.data ? 'data' : 'none'));
      const lockedWhileHeld = lock.held;
      console.log(`other query ${JSON.stringify(other.errors ?? other.data)} in ${ms} ms; locked ${JSON.stringify(lockedCodes)}`);
      expect(other.errors).toBeUndefined();
      expect(other.data?.node?.id).toBe(gid('Collective', collective.id));
      expect(whileLocked, `the other query was answered only after ${ms} ms, once the lock was released`).toBe(true);
      expect(lockedCodes).toEqual(lockedCodes.map(() => 'UNAVAILABLE'));
      expect(lockedWhileHeld).toBe(true);
    } finally {
      await lock.end();
    }
  }, 120_000);
});
