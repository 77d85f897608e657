import { describe, expect, it } from 'vitest';
import { inReadLane, READ_TURNS } from '../../server/src/db/database.js';
import { testAppForFile } from '../support/app.js';
import { caughtUpCollective, recordUnannounced } from '../support/events.js';
import { until } from '../support/waits.js';
import { holdLock } from './support.js';

// Attack of stop 24 on e040c02 (finding 3): the read lane is an async-context flag set around a query's execution, so
// work a query *starts* and others then share ran in the lane too. A history or dashboard query catches the event bus
// up (`events.caughtUp` → `sync` → `pump`), and every other waiter of that read (a mutation's or a stream's `sync`, the
// poll, notifications) then waited for a query's turn: with the turns held by queries of a table locked elsewhere, the
// bus' read was answered UNAVAILABLE. `inReadLane(() => events.sync())` is what `readHistory` runs inside a query.
// The lane's own lock wait as long as the others' (its default, 1 s, frees the turns before the 4 s connection deadline,
// and the shared read would pass even inside the lane).
const DEADLINES = { lockTimeoutMs: 15_000, statementTimeoutMs: 60_000, connectTimeoutMs: 4_000, readLaneLockTimeoutMs: 15_000 };
const t = testAppForFile({ deadlines: DEADLINES });
const LOCKED_READ = '{ opportunities(first: 1) { edges { node { id } } } }';

describe.skipIf(!process.env.DATABASE_URL)('The event bus while queries of a locked table fill the read lane', () => {
  it('reads the log for everyone, even when a query started the read', async () => {
    const { member, collective, token } = await caughtUpCollective(t);
    expect((await t.gql(LOCKED_READ, {}, token)).errors).toBeUndefined();
    const before = t.app.events.position;
    // An event committed and not yet applied here (another instance's, or a notification not yet heard).
    await recordUnannounced(t.db.prisma, collective, member.id, 'Renommé ailleurs');
    const lock = await holdLock(t.db.sql, 'LOCK TABLE "Opportunity" IN ACCESS EXCLUSIVE MODE');
    try {
      const blocked = Promise.all(Array.from({ length: READ_TURNS.postgres }, () => t.gql(LOCKED_READ, {}, token)));
      await until(async () => (await lock.waitingOnLocks()) === READ_TURNS.postgres, 'queries to wait on the lock');
      // A history query catches the bus up (inside its query's execution)...
      const byQuery = inReadLane(() => t.app.events.sync()).catch((error: unknown) => error);
      // ...and a mutation's or a stream's catch-up joins that read.
      const byOthers = await t.app.events.sync().then(
        () => 'applied',
        (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`,
      );
      const whileHeld = lock.held;
      await lock.release();
      await blocked;
      expect(await byQuery).toBeUndefined();
      expect(whileHeld).toBe(true);
      // Before: 'UnavailableError: …' after DATABASE_CONNECT_TIMEOUT_MS (the shared read waited for a read turn).
      expect(byOthers).toBe('applied');
      expect(t.app.events.position).toBeGreaterThan(before);
    } finally {
      await lock.end();
    }
  }, 120_000);
});
