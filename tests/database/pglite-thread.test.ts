import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { makeMember } from '../support/scenario.js';

// PGLITE_THREAD=worker: the embedded database on a thread of its own, reached through `pg` over its socket.
describe('Embedded database on its own thread', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://', pgliteThread: 'worker' });
    await migrate(db.sql);
  }, 180_000);
  afterAll(() => db.close());

  it('should keep the event loop turning while a long statement runs', async () => {
    let turns = 0;
    let running = true;
    const spin = async () => {
      while (running) {
        await new Promise((resolve) => setImmediate(resolve));
        turns += 1;
      }
    };
    const spinning = spin();
    const [row] = await db.sql.query<{ n: string }>('SELECT count(*)::text AS n FROM generate_series(1, 2000000)');
    running = false;
    await spinning;
    expect(row?.n).toBe('2000000');
    // On the event loop's thread a statement runs to its end without a single turn in between.
    expect(turns).toBeGreaterThan(10);
  });

  it('should keep concurrent statements and transactions apart', async () => {
    const member = await makeMember(db.prisma);
    const reads = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? db.prisma.member.findUnique({ where: { id: member.id }, select: { email: true } })
        : db.prisma.membership.count({ where: { memberId: member.id, status: 'ACTIVE' } }),
    );
    const refused = db.prisma
      .$transaction(async (tx) => {
        await tx.member.update({ where: { id: member.id }, data: { firstName: 'Pendant' } });
        throw new Error('rolled back');
      })
      .catch((error: Error) => error.message);
    const results = await Promise.all(reads);
    results.forEach((result, i) => {
      if (i % 2 === 0) expect(result).toEqual({ email: member.email });
      else expect(result).toBe(0);
    });
    expect(await refused).toBe('rolled back');
    expect((await db.prisma.member.findUniqueOrThrow({ where: { id: member.id } })).firstName).toBe(member.firstName);
  });
});
