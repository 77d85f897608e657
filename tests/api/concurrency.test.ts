import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeCollective, SUPPORT_STAFF } from '../support/scenario.js';
import { membershipActions } from './operations.js';

// Requests sent at once (Promise.all): on PostgreSQL they run on separate connections, so the
// collective's row lock is what keeps "exactly one animator" true.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const { person, join, handOver, setCoAnimator } = membershipActions(() => t);

const activeRoles = async (collectiveId: string) =>
  (await t.db.prisma.membership.findMany({ where: { collectiveId, status: 'ACTIVE' } })).map((row) => ({
    memberId: row.memberId,
    role: row.role,
  }));
const count = (roles: Array<{ role: string }>, role: string) => roles.filter((row) => row.role === role).length;

describe('Concurrent requests', () => {
  it('should keep one animator when two members join at once', async () => {
    const animator = await person();
    const first = await person();
    const second = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const results = await Promise.all([join(first.token, collective.id), join(second.token, collective.id)]);
    expect(results.map((result) => result.__typename)).toEqual([
      'MutationJoinCollectiveSuccess',
      'MutationJoinCollectiveSuccess',
    ]);
    const roles = await activeRoles(collective.id);
    expect(roles).toHaveLength(3);
    expect(roles.filter((row) => row.role === 'ANIMATOR')).toEqual([{ memberId: animator.id, role: 'ANIMATOR' }]);
  });

  it('should make one membership when a member joins twice at once', async () => {
    const animator = await person();
    const joiner = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const results = await Promise.all([join(joiner.token, collective.id), join(joiner.token, collective.id)]);
    expect(results.map((result) => result.__typename).sort()).toEqual(['MutationJoinCollectiveSuccess', 'RuleViolationError']);
    expect(results.find((result) => result.__typename === 'RuleViolationError')).toMatchObject({
      rule: 'ALREADY_MEMBER',
      field: 'input.collectiveId',
    });
    expect(await t.db.prisma.membership.count({ where: { collectiveId: collective.id, memberId: joiner.id } })).toBe(1);
  });

  it('should keep exactly one animator when the animator hands over to two members at once', async () => {
    const animator = await person();
    const first = await person();
    const second = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [first.id, second.id] });
    const results = await Promise.all([
      handOver(animator.token, collective.id, first.id),
      handOver(animator.token, collective.id, second.id),
    ]);
    // The second to run finds the viewer no longer animator.
    expect(results.map((result) => result.__typename).sort()).toEqual(['ForbiddenError', 'MutationHandOverAnimationSuccess']);
    const winner = results.find((result) => result.__typename === 'MutationHandOverAnimationSuccess')?.data.member.id;
    const roles = await activeRoles(collective.id);
    expect(roles).toHaveLength(3);
    expect(count(roles, 'ANIMATOR')).toBe(1);
    expect(roles.find((row) => row.role === 'ANIMATOR')?.memberId).toBe(winner === first.gid ? first.id : second.id);
  });

  it('should keep exactly one animator when the support staff hands over twice at once', async () => {
    const animator = await person();
    const staff = await person(SUPPORT_STAFF);
    const first = await person();
    const second = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [first.id, second.id] });
    const results = await Promise.all([
      handOver(staff.token, collective.id, first.id),
      handOver(staff.token, collective.id, second.id),
    ]);
    expect(results.map((result) => result.__typename)).toEqual([
      'MutationHandOverAnimationSuccess',
      'MutationHandOverAnimationSuccess',
    ]);
    const roles = await activeRoles(collective.id);
    expect(roles).toHaveLength(3);
    expect(count(roles, 'ANIMATOR')).toBe(1);
    expect(count(roles, 'MEMBER')).toBe(2);
    expect((await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).needsAnimator).toBe(false);
  });

  it('should keep at most one co-animator when two are named at once', async () => {
    const animator = await person();
    const first = await person(SUPPORT_STAFF);
    const second = await person(SUPPORT_STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [first.id, second.id] });
    const results = await Promise.all([
      setCoAnimator(animator.token, collective.id, first.id),
      setCoAnimator(animator.token, collective.id, second.id),
    ]);
    expect(results.map((result) => result.__typename)).toEqual(['MutationSetCoAnimatorSuccess', 'MutationSetCoAnimatorSuccess']);
    const roles = await activeRoles(collective.id);
    expect(count(roles, 'CO_ANIMATOR')).toBe(1);
    expect(count(roles, 'ANIMATOR')).toBe(1);
  });
});
