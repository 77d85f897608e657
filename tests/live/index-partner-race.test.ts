import { describe, expect, it } from 'vitest';
import { DeliveryIndex } from '../../server/src/events/visibility.js';
import type { PrismaClient } from '../../server/src/generated/prisma/client.js';
import { testAppForFile } from '../support/app.js';
import { gid, makeCollective, makeMember, makeTenderDeal } from '../support/scenario.js';

// attack 2, finding C (ba7e57e): the listener read's partnerships are merged into the index after a deal's partners were
// refreshed from a later commit. A member substituted out of a deal while their listener was being read keeps
// receiving that deal's events (confidential to its active partners).
const t = testAppForFile();

describe('Delivery index: a partner change applied while the listener is read', () => {
  it('keeps a member substituted out of a deal from its next events', async () => {
    const animator = await makeMember(t.db.prisma);
    const outsider = await makeMember(t.db.prisma);
    const business = await makeCollective(t.db.prisma, { animatorId: animator.id, kind: 'BUSINESS' });
    const deal = await makeTenderDeal(t.db.prisma, business.id);
    const partner = await t.db.prisma.dealPartner.create({ data: { dealId: deal.id, memberId: outsider.id } });
    // A slow read of the listener's memberships (a loaded database): the partner rows have been read already.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const real = t.db.prisma;
    const slow = new Proxy(real, {
      get: (target, key) =>
        key === 'membership'
          ? {
              findMany: async (args: unknown) => {
                const rows = await real.membership.findMany(args as never);
                await gate;
                return rows;
              },
            }
          : Reflect.get(target, key),
    }) as PrismaClient;
    const index = new DeliveryIndex(slow);
    await index.load();
    const listener = { memberId: outsider.id, isSupportStaff: false };
    const event = (position: bigint, type: string) => ({
      position,
      type,
      subjectId: gid('Deal', deal.id),
      collectiveId: business.id,
      actorId: animator.id,
      payload: {},
      createdAt: new Date(),
    });
    const watching = index.watch(outsider.id);
    // Let the partner read answer (it sees the member ACTIVE), then the member is substituted out, committed,
    // and the bus refreshes and applies that event before the listener's read has answered.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    await t.db.prisma.dealPartner.update({ where: { id: partner.id }, data: { status: 'SUBSTITUTED' } });
    const substituted = event(1n, 'deal.partnerSubstituted');
    await index.refresh(substituted);
    index.apply(substituted);
    expect(index.mayReceive(listener, event(2n, 'deal.updated'))).toBe(false);
    release();
    await watching;
    // After the read settles the member is still no partner: the deal's next events are not theirs.
    expect(index.mayReceive(listener, event(3n, 'deal.updated'))).toBe(false);
  });
});
