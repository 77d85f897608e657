import { describe, expect, it } from 'vitest';
import { READ_TURNS } from '../../server/src/db/database.js';
import { testAppForFile } from '../support/app.js';
import { connected, subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';
import { holdLock } from './support.js';

// A table locked from outside, read by the subscribe resolvers' first reads (a business collective's activity,
// followed by someone outside it: their deal partnerships are read). Twenty such subscriptions each held a pooled
// connection until the lock's deadline, the 12 of the pool with them, and an unrelated mutation waited for a
// connection until it was answered UNAVAILABLE. Now a subscription's first reads take a turn of the read lane
// (`READ_TURNS`), as a query's do. The lock's deadline is longer than the connection's, as in read-lock-deadline.
const DEADLINES = { lockTimeoutMs: 15_000, statementTimeoutMs: 60_000, connectTimeoutMs: 4_000 };
const t = testAppForFile({ deadlines: DEADLINES });
const ACTIVITY = 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { ... on ActivityEvent { position } } }';
const UPDATE = `mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename ... on Error { message } } }`;
const SUBSCRIPTIONS = 20;

describe.skipIf(!process.env.DATABASE_URL)('A table locked from outside on PostgreSQL, under a burst of subscriptions', () => {
  it('answers an unrelated mutation while the subscriptions wait on the lock', async () => {
    const animator = await makeMember(t.db.prisma);
    const business = await makeCollective(t.db.prisma, { animatorId: animator.id, kind: 'BUSINESS' });
    const outsider = await makeMember(t.db.prisma);
    const writer = await makeMember(t.db.prisma);
    const own = await makeCollective(t.db.prisma, { animatorId: writer.id });
    const writerToken = await t.tokenFor(writer.id);
    // Authenticated before the lock: only the subscriptions' own reads meet it.
    const socket = t.ws(await t.tokenFor(outsider.id), { lazy: false });
    await connected(socket);
    const lock = await holdLock(t.db.sql, 'LOCK TABLE "DealPartner" IN ACCESS EXCLUSIVE MODE', []);
    try {
      const streams = Array.from({ length: SUBSCRIPTIONS }, () =>
        subscribe(socket, ACTIVITY, { id: gid('Collective', business.id) }),
      );
      await until(async () => (await lock.waitingOnLocks()) >= READ_TURNS.postgres, 'subscriptions to wait on the lock');
      const started = Date.now();
      const answer = await t.gql(UPDATE, { id: gid('Collective', own.id), p: 'Toujours servi' }, writerToken);
      const whileLocked = lock.held;
      const ms = Date.now() - started;
      const waiting = await lock.waitingOnLocks();
      console.log(
        `mutation ${JSON.stringify(answer.errors ?? answer.data)} in ${ms} ms; ${waiting} statements waiting on the lock`,
      );
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.updateCollective?.__typename).toBe('MutationUpdateCollectiveSuccess');
      expect(whileLocked, `the mutation was answered only after ${ms} ms, once the lock was released`).toBe(true);
      // The subscriptions waiting on the lock hold the lane's turns, no more.
      expect(waiting).toBeLessThanOrEqual(READ_TURNS.postgres);
      for (const stream of streams) stream.stop();
    } finally {
      await lock.end();
      socket.dispose();
    }
  }, 120_000);
});
