import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../server/src/events/record.js';
import { testAppForFile } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

const t = testAppForFile();

const ACTIVITY = 'query($c: ID) { activity(collectiveId: $c, first: 10) { edges { node { position type payload } } } }';
const DASHBOARD = '{ dashboard { recentActivity { position type payload } } }';

/**
 * Attack (attack1, finding 1): the history (`activity`) and the dashboard query filter the log's rows by this
 * instance's delivery index, which is only as current as this instance's last pump, although they read rows up to
 * the database's head. A member who left a business collective on another instance (its notification delayed or
 * lost: Redis slow or away, and no live stream here to make the poll run) reads its events recorded after.
 */
describe('History read while this instance has not applied the latest events', () => {
  it.each(['activity', 'dashboard'] as const)(
    'should not show an ex-member the events of a business collective recorded after they left (%s)',
    async (view) => {
      const [animator, leaver] = await Promise.all([makeMember(t.db.prisma), makeMember(t.db.prisma)]);
      const collective = await makeCollective(t.db.prisma, {
        animatorId: animator.id,
        memberIds: [leaver.id],
        kind: 'BUSINESS',
        openness: 'CLOSED',
        horizon: 'LONG_TERM',
      });
      await t.app.events.sync();
      const token = await t.tokenFor(leaver.id);
      const id = gid('Collective', collective.id);
      // A first read: this instance now keeps the leaver's collectives in its delivery index.
      const before = await t.gql(ACTIVITY, { c: id }, token);
      expect(before.errors, JSON.stringify(before)).toBeUndefined();

      // Committed by another instance whose notification has not reached this one: nothing announces it.
      const secret = `CONFIDENTIEL-${Date.now()}`;
      await t.db.prisma.$transaction(async (tx) => {
        const membership = await tx.membership.findFirstOrThrow({
          where: { memberId: leaver.id, collectiveId: collective.id },
          select: { id: true },
        });
        await tx.membership.update({
          where: { id: membership.id },
          data: { status: 'LEFT', leftAt: new Date(), leaveReason: 'LEFT_COLLECTIVE' },
        });
        await recordEvent(tx, {
          type: 'membership.left',
          subject: { typename: 'Membership', id: membership.id },
          collectiveId: collective.id,
          actorId: leaver.id,
          payload: { memberId: leaver.id, role: 'MEMBER', status: 'LEFT', animatorLost: false },
        });
        await tx.collective.update({ where: { id: collective.id }, data: { name: secret } });
        await recordEvent(tx, {
          type: 'collective.updated',
          subject: { typename: 'Collective', id: collective.id },
          collectiveId: collective.id,
          actorId: animator.id,
          payload: { name: secret, status: 'ACTIVE', openness: 'CLOSED' },
        });
      });

      // The database says they are out: a read of the collective shows no membership of theirs.
      const fresh = await t.gql(
        'query($id: ID!) { node(id: $id) { ... on Collective { viewerMembership { id } } } }',
        { id },
        token,
      );
      expect(fresh.data?.node?.viewerMembership ?? null).toBeNull();
      // Their history, or their dashboard (each read first, so neither relies on the other having read the log),
      // must not show what the collective did after.
      const answer = view === 'activity' ? await t.gql(ACTIVITY, { c: id }, token) : await t.gql(DASHBOARD, {}, token);
      expect(answer.errors, JSON.stringify(answer)).toBeUndefined();
      expect(JSON.stringify(answer)).not.toContain(secret);
    },
  );
});
