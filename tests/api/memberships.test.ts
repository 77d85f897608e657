import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { aroundChange, gid, makeCollective, makeMember, SUPPORT_STAFF, TRIAL_ENTREPRENEUR } from '../support/scenario.js';
import { expectForbidden, expectRule, type Json, membershipActions, SET_CO_ANIMATOR, success } from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const STAFF = SUPPORT_STAFF;
const TRIAL = TRIAL_ENTREPRENEUR;
const { person, join, leave, approve, decline, invite, handOver, setCoAnimator, leaveCooperative, rowOf } = membershipActions(
  () => t,
);

/** Runs a change that must be refused with this rule and field, and checks that nothing changed. */
async function expectRefusedBy(change: () => Promise<Json>, rule: string, field: string) {
  const { result, before, after } = await aroundChange(t.db.prisma, change);
  expectRule(result, rule, field);
  expect(after).toEqual(before);
}

/** Runs a change that must be forbidden, and checks that nothing changed. */
async function expectForbiddenChange(change: () => Promise<Json>) {
  const { result, before, after } = await aroundChange(t.db.prisma, change);
  expectForbidden(result);
  expect(after).toEqual(before);
}

const membershipsOf = (collectiveId: string) =>
  t.db.prisma.membership.findMany({ where: { collectiveId }, orderBy: { requestedAt: 'asc' } });

describe('Join', () => {
  it('should make a member of a commons collective active at once', async () => {
    const animator = await person();
    const joiner = await person(TRIAL);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const membership = success(await join(joiner.token, collective.id));
    expect(membership).toMatchObject({
      role: 'MEMBER',
      status: 'ACTIVE',
      origin: 'JOINED',
      joinedAt: expect.any(String),
      leftAt: null,
      member: { id: joiner.gid },
      collective: { id: gid('Collective', collective.id) },
    });
    expect(await rowOf(membership.id)).toMatchObject({
      memberId: joiner.id,
      collectiveId: collective.id,
      status: 'ACTIVE',
      role: 'MEMBER',
      origin: 'JOINED',
      joinedAt: expect.any(Date),
    });
    const view = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { memberCount viewerMembership { id status } } }`,
      { slug: collective.slug },
      joiner.token,
    );
    expect(view).toEqual({ data: { collective: { memberCount: 2, viewerMembership: { id: membership.id, status: 'ACTIVE' } } } });
  });

  it('should let the support staff join a commons collective at once', async () => {
    const animator = await person();
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    expect(success(await join(staff.token, collective.id))).toMatchObject({ status: 'ACTIVE', role: 'MEMBER' });
  });

  it('should make a member of an open sector collective of their trade active at once', async () => {
    const animator = await person({ sectors: ['DIGITAL'] });
    const joiner = await person({ sectors: ['WRITING', 'DIGITAL'] });
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'DIGITAL',
      openness: 'OPEN',
    });
    const membership = success(await join(joiner.token, collective.id));
    expect(membership).toMatchObject({ status: 'ACTIVE', origin: 'JOINED', joinedAt: expect.any(String) });
    expect(await rowOf(membership.id)).toMatchObject({ status: 'ACTIVE' });
  });

  it('should refuse an entrepreneur joining a sector collective of another trade', async () => {
    const animator = await person({ sectors: ['DIGITAL'] });
    const joiner = await person({ sectors: ['WRITING'] });
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'DIGITAL',
      openness: 'OPEN',
    });
    await expectRefusedBy(() => join(joiner.token, collective.id), 'NOT_SAME_SECTOR', 'input.collectiveId');
  });

  it('should refuse asking to join an on-request sector collective of another trade', async () => {
    const animator = await person({ sectors: ['DIGITAL'] });
    const joiner = await person({ sectors: ['WRITING'] });
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'DIGITAL',
      openness: 'ON_REQUEST',
    });
    await expectRefusedBy(() => join(joiner.token, collective.id), 'NOT_SAME_SECTOR', 'input.collectiveId');
  });

  it('should record a pending request for a collective on request', async () => {
    const animator = await person();
    const joiner = await person();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
    });
    const membership = success(await join(joiner.token, collective.id));
    expect(membership).toMatchObject({
      status: 'PENDING',
      origin: 'REQUESTED',
      role: 'MEMBER',
      joinedAt: null,
      decidedAt: null,
      decidedBy: null,
    });
    expect(await rowOf(membership.id)).toMatchObject({ status: 'PENDING', origin: 'REQUESTED', joinedAt: null });
    expect(await t.db.prisma.membership.count({ where: { collectiveId: collective.id, status: 'ACTIVE' } })).toBe(1);
  });

  it('should refuse joining a closed collective without an invitation', async () => {
    const animator = await person();
    const joiner = await person();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'CLOSED',
    });
    await expectRefusedBy(() => join(joiner.token, collective.id), 'INVITATION_ONLY', 'input.collectiveId');
  });

  it('should refuse joining a collective twice', async () => {
    const animator = await person();
    const joiner = await person();
    const open = await makeCollective(t.db.prisma, { animatorId: animator.id });
    success(await join(joiner.token, open.id));
    await expectRefusedBy(() => join(joiner.token, open.id), 'ALREADY_MEMBER', 'input.collectiveId');
    await expectRefusedBy(() => join(animator.token, open.id), 'ALREADY_MEMBER', 'input.collectiveId');

    const onRequest = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
    });
    success(await join(joiner.token, onRequest.id));
    await expectRefusedBy(() => join(joiner.token, onRequest.id), 'ALREADY_PENDING', 'input.collectiveId');
  });

  it('should answer not found for a collective that does not exist', async () => {
    const joiner = await person();
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      join(joiner.token, '6f1c5a3e-0000-4000-8000-000000000000'),
    );
    expect(result).toMatchObject({ __typename: 'NotFoundError', field: 'input.collectiveId' });
    expect(after).toEqual(before);
  });
});

describe('Approve and decline', () => {
  async function pendingRequest() {
    const animator = await person();
    const requester = await person();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
    });
    const request = success(await join(requester.token, collective.id));
    return { animator, requester, collective, request, requestId: (await rowOf(request.id)).id };
  }

  it('should make a request active when the animator approves it', async () => {
    const { animator, collective, request, requestId } = await pendingRequest();
    const approved = success(await approve(animator.token, requestId));
    expect(approved).toMatchObject({
      id: request.id,
      status: 'ACTIVE',
      origin: 'REQUESTED',
      joinedAt: expect.any(String),
      decidedAt: expect.any(String),
      decidedBy: { id: animator.gid },
    });
    const row = await rowOf(request.id);
    expect(row).toMatchObject({ status: 'ACTIVE', decidedById: animator.id, joinedAt: expect.any(Date) });
    expect(Number(row.joinedAt)).toBeGreaterThanOrEqual(Number(row.requestedAt));
    expect(await t.db.prisma.membership.count({ where: { collectiveId: collective.id, status: 'ACTIVE' } })).toBe(2);
  });

  it('should let the co-animator and the support staff approve requests', async () => {
    const { collective, requestId } = await pendingRequest();
    const coAnimator = await person();
    await t.db.prisma.membership.create({
      data: {
        collectiveId: collective.id,
        memberId: coAnimator.id,
        role: 'CO_ANIMATOR',
        status: 'ACTIVE',
        origin: 'JOINED',
        joinedAt: new Date(),
      },
    });
    expect(success(await approve(coAnimator.token, requestId)).decidedBy).toEqual({ id: coAnimator.gid });

    const staff = await person(STAFF);
    const other = await person();
    const second = success(await join(other.token, collective.id));
    expect(success(await approve(staff.token, (await rowOf(second.id)).id))).toMatchObject({
      status: 'ACTIVE',
      decidedBy: { id: staff.gid },
    });
  });

  it('should forbid a plain member to approve a request', async () => {
    const { collective, requestId } = await pendingRequest();
    const member = await person();
    await t.db.prisma.membership.create({
      data: { collectiveId: collective.id, memberId: member.id, status: 'ACTIVE', origin: 'JOINED', joinedAt: new Date() },
    });
    await expectForbiddenChange(() => approve(member.token, requestId));
  });

  it('should forbid the requester to approve their own request', async () => {
    const { requester, requestId } = await pendingRequest();
    await expectForbiddenChange(() => approve(requester.token, requestId));
  });

  it('should keep a declined request as history', async () => {
    const { animator, requester, collective, request, requestId } = await pendingRequest();
    const declined = success(await decline(animator.token, requestId));
    expect(declined).toMatchObject({
      id: request.id,
      status: 'DECLINED',
      joinedAt: null,
      decidedAt: expect.any(String),
      decidedBy: { id: animator.gid },
    });
    expect(await rowOf(request.id)).toMatchObject({ status: 'DECLINED', decidedById: animator.id, joinedAt: null, leftAt: null });

    const past = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { memberCount memberships(scope: PAST) { totalCount edges { node { id status } } } } }`,
      { slug: collective.slug },
      animator.token,
    );
    expect(past).toEqual({
      data: {
        collective: { memberCount: 1, memberships: { totalCount: 1, edges: [{ node: { id: request.id, status: 'DECLINED' } }] } },
      },
    });

    // Declined is history, not a bar: the member may ask again.
    const again = success(await join(requester.token, collective.id));
    expect(again.id).not.toBe(request.id);
    expect(again.status).toBe('PENDING');
    expect(await membershipsOf(collective.id)).toHaveLength(3);
  });

  it('should refuse approving or declining what is no longer pending', async () => {
    const { animator, requestId } = await pendingRequest();
    success(await approve(animator.token, requestId));
    await expectRefusedBy(() => approve(animator.token, requestId), 'NOT_PENDING', 'input.membershipId');
    await expectRefusedBy(() => decline(animator.token, requestId), 'NOT_PENDING', 'input.membershipId');
  });

  it('should forbid a plain member to decline a request', async () => {
    const { collective, requestId } = await pendingRequest();
    const member = await person();
    await t.db.prisma.membership.create({
      data: { collectiveId: collective.id, memberId: member.id, status: 'ACTIVE', origin: 'JOINED', joinedAt: new Date() },
    });
    await expectForbiddenChange(() => decline(member.token, requestId));
  });
});

describe('Invite', () => {
  async function closedCollective() {
    const animator = await person();
    const invitee = await person();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'CLOSED',
    });
    return { animator, invitee, collective };
  }

  it('should record a pending invitation from the animator', async () => {
    const { animator, invitee, collective } = await closedCollective();
    const invitation = success(await invite(animator.token, collective.id, invitee.id));
    expect(invitation).toMatchObject({
      status: 'PENDING',
      origin: 'INVITED',
      role: 'MEMBER',
      joinedAt: null,
      member: { id: invitee.gid },
      invitedBy: { id: animator.gid },
    });
    expect(await rowOf(invitation.id)).toMatchObject({
      status: 'PENDING',
      origin: 'INVITED',
      invitedById: animator.id,
      memberId: invitee.id,
    });
  });

  it('should make the invitee active when they accept', async () => {
    const { animator, invitee, collective } = await closedCollective();
    const invitation = success(await invite(animator.token, collective.id, invitee.id));
    const accepted = success(await approve(invitee.token, (await rowOf(invitation.id)).id));
    expect(accepted).toMatchObject({
      id: invitation.id,
      status: 'ACTIVE',
      origin: 'INVITED',
      joinedAt: expect.any(String),
      decidedBy: { id: invitee.gid },
      invitedBy: { id: animator.gid },
    });
    expect(await rowOf(invitation.id)).toMatchObject({ status: 'ACTIVE', decidedById: invitee.id, joinedAt: expect.any(Date) });
  });

  it('should forbid anyone but the invitee to accept an invitation, the animator included', async () => {
    const { animator, invitee, collective } = await closedCollective();
    const invitation = success(await invite(animator.token, collective.id, invitee.id));
    const id = (await rowOf(invitation.id)).id;
    const stranger = await person();
    const staff = await person(STAFF);
    await expectForbiddenChange(() => approve(animator.token, id));
    await expectForbiddenChange(() => approve(staff.token, id));
    await expectForbiddenChange(() => approve(stranger.token, id));
  });

  it('should let the invitee decline an invitation, kept as history', async () => {
    const { animator, invitee, collective } = await closedCollective();
    const invitation = success(await invite(animator.token, collective.id, invitee.id));
    const declined = success(await decline(invitee.token, (await rowOf(invitation.id)).id));
    expect(declined).toMatchObject({ status: 'DECLINED', decidedBy: { id: invitee.gid } });
    expect(await rowOf(invitation.id)).toMatchObject({ status: 'DECLINED' });
  });

  it('should forbid a plain member to invite', async () => {
    const { invitee, collective } = await closedCollective();
    const member = await person();
    await t.db.prisma.membership.create({
      data: { collectiveId: collective.id, memberId: member.id, status: 'ACTIVE', origin: 'JOINED', joinedAt: new Date() },
    });
    await expectForbiddenChange(() => invite(member.token, collective.id, invitee.id));
  });

  it('should refuse inviting a current member, someone already invited, or someone who left the cooperative', async () => {
    const { animator, invitee, collective } = await closedCollective();
    await expectRefusedBy(() => invite(animator.token, collective.id, animator.id), 'ALREADY_MEMBER', 'input.memberId');
    success(await invite(animator.token, collective.id, invitee.id));
    await expectRefusedBy(() => invite(animator.token, collective.id, invitee.id), 'ALREADY_PENDING', 'input.memberId');
    const gone = await makeMember(t.db.prisma, { situation: 'LEFT', leftCooperativeOn: new Date('2024-01-31') });
    await expectRefusedBy(() => invite(animator.token, collective.id, gone.id), 'MEMBER_NOT_ACTIVE', 'input.memberId');
  });
});

describe('Leave', () => {
  it('should end a membership and keep it as history of the collective and of the member', async () => {
    const animator = await person();
    const member = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const joined = success(await join(member.token, collective.id));
    const left = success(await leave(member.token, collective.id));
    expect(left).toMatchObject({ id: joined.id, status: 'LEFT', leaveReason: 'LEFT_COLLECTIVE', leftAt: expect.any(String) });
    expect(new Date(left.leftAt).getTime()).toBeGreaterThanOrEqual(new Date(left.joinedAt).getTime());
    const row = await rowOf(joined.id);
    expect(row).toMatchObject({ status: 'LEFT', leaveReason: 'LEFT_COLLECTIVE', leftAt: expect.any(Date) });
    expect(Number(row.leftAt)).toBeGreaterThanOrEqual(Number(row.joinedAt));

    const history = await t.gql(
      /* GraphQL */ `
        query($slug: String!, $member: ID!) {
          collective(slug: $slug) { memberCount memberships(scope: PAST) { totalCount edges { node { id status } } } current: memberships { totalCount } }
          member(id: $member) { memberships(scope: PAST) { totalCount edges { node { id status leaveReason } } } current: memberships(scope: CURRENT) { totalCount } }
        }
      `,
      { slug: collective.slug, member: member.gid },
      member.token,
    );
    expect(history).toEqual({
      data: {
        collective: {
          memberCount: 1,
          memberships: { totalCount: 1, edges: [{ node: { id: joined.id, status: 'LEFT' } }] },
          current: { totalCount: 1 },
        },
        member: {
          memberships: { totalCount: 1, edges: [{ node: { id: joined.id, status: 'LEFT', leaveReason: 'LEFT_COLLECTIVE' } }] },
          current: { totalCount: 0 },
        },
      },
    });
  });

  it('should start a new membership when a former member joins again', async () => {
    const animator = await person();
    const member = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const first = success(await join(member.token, collective.id));
    success(await leave(member.token, collective.id));
    const second = success(await join(member.token, collective.id));
    expect(second.id).not.toBe(first.id);
    const rows = await t.db.prisma.membership.findMany({
      where: { collectiveId: collective.id, memberId: member.id },
      orderBy: { requestedAt: 'asc' },
    });
    expect(rows.map((row) => row.status)).toEqual(['LEFT', 'ACTIVE']);
  });

  it('should withdraw a pending request', async () => {
    const animator = await person();
    const requester = await person();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
    });
    const request = success(await join(requester.token, collective.id));
    expect(success(await leave(requester.token, collective.id))).toMatchObject({
      id: request.id,
      status: 'DECLINED',
      joinedAt: null,
      leftAt: null,
    });
    expect(await rowOf(request.id)).toMatchObject({ status: 'DECLINED', decidedById: requester.id });
  });

  it('should refuse leaving a collective one is not in', async () => {
    const animator = await person();
    const stranger = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    await expectRefusedBy(() => leave(stranger.token, collective.id), 'NOT_A_MEMBER', 'input.collectiveId');
  });

  it('should flag the collective as needing an animator when its animator leaves', async () => {
    const animator = await person();
    const member = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id] });
    success(await leave(animator.token, collective.id));
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({
      needsAnimator: true,
    });
    expect(
      await t.db.prisma.membership.count({ where: { collectiveId: collective.id, status: 'ACTIVE', role: 'ANIMATOR' } }),
    ).toBe(0);
    const view = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { needsAnimator animator { id } memberCount } }`,
      { slug: collective.slug },
      member.token,
    );
    expect(view).toEqual({ data: { collective: { needsAnimator: true, animator: null, memberCount: 1 } } });
  });

  it('should not flag the collective when a plain member leaves', async () => {
    const animator = await person();
    const member = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id] });
    success(await leave(member.token, collective.id));
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({
      needsAnimator: false,
    });
  });
});

describe('Hand over animation', () => {
  it('should refuse handing a commons collective to a member who is not an associate', async () => {
    const animator = await person();
    const trial = await person(TRIAL);
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [trial.id, staff.id] });
    await expectRefusedBy(
      () => handOver(animator.token, collective.id, trial.id),
      'COMMONS_ANIMATOR_MUST_BE_ASSOCIATE',
      'input.memberId',
    );
    await expectRefusedBy(
      () => handOver(animator.token, collective.id, staff.id),
      'COMMONS_ANIMATOR_MUST_BE_ASSOCIATE',
      'input.memberId',
    );
  });

  it('should refuse handing over to someone who is not an active member', async () => {
    const animator = await person();
    const stranger = await person();
    const former = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [former.id] });
    success(await leave(former.token, collective.id));
    await expectRefusedBy(() => handOver(animator.token, collective.id, stranger.id), 'NOT_A_MEMBER', 'input.memberId');
    await expectRefusedBy(() => handOver(animator.token, collective.id, former.id), 'NOT_A_MEMBER', 'input.memberId');
  });

  it('should swap roles with an associate member, leaving exactly one animator', async () => {
    const animator = await person();
    const associate = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [associate.id] });
    const next = success(await handOver(animator.token, collective.id, associate.id));
    expect(next).toMatchObject({ role: 'ANIMATOR', status: 'ACTIVE', member: { id: associate.gid } });
    const rows = await membershipsOf(collective.id);
    expect(
      rows
        .filter((row) => row.status === 'ACTIVE')
        .map((row) => [row.memberId, row.role])
        .sort(),
    ).toEqual(
      [
        [animator.id, 'MEMBER'],
        [associate.id, 'ANIMATOR'],
      ].sort(),
    );
    const view = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { animator { id } needsAnimator } }`,
      { slug: collective.slug },
      animator.token,
    );
    expect(view).toEqual({ data: { collective: { animator: { id: associate.gid }, needsAnimator: false } } });
  });

  it('should let any active member animate a sector collective', async () => {
    const animator = await person();
    const trial = await person(TRIAL);
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      memberIds: [trial.id],
    });
    expect(success(await handOver(animator.token, collective.id, trial.id))).toMatchObject({
      role: 'ANIMATOR',
      member: { id: trial.gid },
    });
  });

  it('should let the support staff name an animator for a collective that lost its own, clearing the flag', async () => {
    const animator = await person();
    const associate = await person();
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [associate.id] });
    success(await leave(animator.token, collective.id));
    expect((await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).needsAnimator).toBe(true);
    success(await handOver(staff.token, collective.id, associate.id));
    expect((await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).needsAnimator).toBe(false);
    expect(
      await t.db.prisma.membership.findMany({ where: { collectiveId: collective.id, status: 'ACTIVE', role: 'ANIMATOR' } }),
    ).toEqual([expect.objectContaining({ memberId: associate.id })]);
  });

  it('should forbid a plain member to hand over animation', async () => {
    const animator = await person();
    const member = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id] });
    await expectForbiddenChange(() => handOver(member.token, collective.id, member.id));
  });

  it('should refuse handing over to the animator', async () => {
    const animator = await person();
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    await expectRefusedBy(() => handOver(staff.token, collective.id, animator.id), 'ALREADY_ANIMATOR', 'input.memberId');
  });
});

describe('Co-animator', () => {
  it('should refuse an entrepreneur as co-animator of a commons collective', async () => {
    const animator = await person();
    const entrepreneur = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [entrepreneur.id] });
    await expectRefusedBy(
      () => setCoAnimator(animator.token, collective.id, entrepreneur.id),
      'COMMONS_CO_ANIMATOR_MUST_BE_SUPPORT_STAFF',
      'input.memberId',
    );
  });

  it('should refuse a co-animator who is not an active member', async () => {
    const animator = await person();
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    await expectRefusedBy(() => setCoAnimator(animator.token, collective.id, staff.id), 'NOT_A_MEMBER', 'input.memberId');
  });

  it('should name a support staff member co-animator, a second one replacing the first', async () => {
    const animator = await person();
    const first = await person(STAFF);
    const second = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [first.id, second.id] });

    expect(success(await setCoAnimator(animator.token, collective.id, first.id))).toMatchObject({
      role: 'CO_ANIMATOR',
      member: { id: first.gid },
    });
    expect(await t.db.prisma.membership.findMany({ where: { collectiveId: collective.id, role: 'CO_ANIMATOR' } })).toEqual([
      expect.objectContaining({ memberId: first.id, status: 'ACTIVE' }),
    ]);

    expect(success(await setCoAnimator(animator.token, collective.id, second.id))).toMatchObject({
      role: 'CO_ANIMATOR',
      member: { id: second.gid },
    });
    expect(await t.db.prisma.membership.findMany({ where: { collectiveId: collective.id, role: 'CO_ANIMATOR' } })).toEqual([
      expect.objectContaining({ memberId: second.id, status: 'ACTIVE' }),
    ]);
    expect(
      await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id, memberId: first.id } }),
    ).toMatchObject({ role: 'MEMBER', status: 'ACTIVE' });

    const view = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { animator { id } coAnimator { id } } }`,
      { slug: collective.slug },
      animator.token,
    );
    expect(view).toEqual({ data: { collective: { animator: { id: animator.gid }, coAnimator: { id: second.gid } } } });
  });

  it('should remove the co-animator when no member is named', async () => {
    const animator = await person();
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, coAnimatorId: staff.id });
    const response = await t.gql(SET_CO_ANIMATOR, { input: { collectiveId: gid('Collective', collective.id) } }, animator.token);
    expect(response.errors).toBeUndefined();
    expect(await t.db.prisma.membership.count({ where: { collectiveId: collective.id, role: 'CO_ANIMATOR' } })).toBe(0);
    expect(
      await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id, memberId: staff.id } }),
    ).toMatchObject({ role: 'MEMBER', status: 'ACTIVE' });
    const view = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { coAnimator { id } } }`,
      { slug: collective.slug },
      animator.token,
    );
    expect(view).toEqual({ data: { collective: { coAnimator: null } } });
  });

  it('should let an entrepreneur co-animate a sector collective', async () => {
    const animator = await person();
    const entrepreneur = await person();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      memberIds: [entrepreneur.id],
    });
    expect(success(await setCoAnimator(animator.token, collective.id, entrepreneur.id))).toMatchObject({ role: 'CO_ANIMATOR' });
  });

  it('should forbid a plain member to name a co-animator', async () => {
    const animator = await person();
    const member = await person();
    const staff = await person(STAFF);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id, staff.id] });
    await expectForbiddenChange(() => setCoAnimator(member.token, collective.id, staff.id));
  });
});

describe('Leave the cooperative', () => {
  it('should end every membership that day, flag animated collectives and end the member’s sessions', async () => {
    const staff = await person(STAFF);
    const leaver = await person();
    const other = await person();
    const animated = await makeCollective(t.db.prisma, { animatorId: leaver.id, memberIds: [other.id] });
    const joined = await makeCollective(t.db.prisma, { animatorId: other.id, memberIds: [leaver.id] });
    const requested = await makeCollective(t.db.prisma, {
      animatorId: other.id,
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
    });
    success(await join(leaver.token, requested.id));
    const secondSession = await t.tokenFor(leaver.id);

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const member = success(await leaveCooperative(staff.token, leaver.id));
    expect(member).toEqual({ id: leaver.gid, situation: 'LEFT', leftCooperativeOn: today });

    const rows = await t.db.prisma.membership.findMany({ where: { memberId: leaver.id } });
    expect(rows).toHaveLength(3);
    const byCollective = new Map(rows.map((row) => [row.collectiveId, row]));
    for (const id of [animated.id, joined.id]) {
      const row = byCollective.get(id);
      expect(row).toMatchObject({ status: 'LEFT', leaveReason: 'LEFT_COOPERATIVE', leftAt: expect.any(Date) });
      expect(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(row?.leftAt ?? undefined)).toBe(today);
    }
    expect(byCollective.get(requested.id)).toMatchObject({ status: 'DECLINED', decidedById: staff.id, leftAt: null });

    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: animated.id } })).toMatchObject({ needsAnimator: true });
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: joined.id } })).toMatchObject({ needsAnimator: false });
    expect(await t.db.prisma.member.findUniqueOrThrow({ where: { id: leaver.id } })).toMatchObject({
      situation: 'LEFT',
      leftCooperativeOn: new Date(`${today}T00:00:00.000Z`),
    });
    expect(await t.db.prisma.session.count({ where: { memberId: leaver.id, revokedAt: null } })).toBe(0);

    for (const token of [leaver.token, secondSession]) {
      expect(await t.gql('{ viewer { id } }', {}, token)).toEqual({ data: { viewer: null } });
      const refused = await t.gql('{ collectives(first: 1) { totalCount } }', {}, token);
      expect(refused.errors?.length ?? 0).toBeGreaterThan(0);
    }
    // The other members keep their memberships.
    expect(await t.db.prisma.membership.findMany({ where: { memberId: other.id, status: 'ACTIVE' } })).toHaveLength(3);
  });

  it('should refuse recording the same departure twice', async () => {
    const staff = await person(STAFF);
    const leaver = await person();
    success(await leaveCooperative(staff.token, leaver.id));
    await expectRefusedBy(() => leaveCooperative(staff.token, leaver.id), 'ALREADY_LEFT_COOPERATIVE', 'input.memberId');
  });

  it('should let a member leave the cooperative themself, as the only animator of a commons collective', async () => {
    const leaver = await person({ isAssociate: true });
    const other = await person();
    const commons = await makeCollective(t.db.prisma, { animatorId: leaver.id, memberIds: [other.id] });
    const joined = await makeCollective(t.db.prisma, { animatorId: other.id, memberIds: [leaver.id] });

    const member = success(await leaveCooperative(leaver.token, leaver.id));
    expect(member).toMatchObject({ id: leaver.gid, situation: 'LEFT' });

    // Every membership ended; the collective they animated alone is flagged as needing an animator (DOMAIN.md).
    const rows = await t.db.prisma.membership.findMany({ where: { memberId: leaver.id } });
    expect(rows.map((row) => [row.collectiveId, row.status, row.leaveReason]).sort()).toEqual(
      [
        [commons.id, 'LEFT', 'LEFT_COOPERATIVE'],
        [joined.id, 'LEFT', 'LEFT_COOPERATIVE'],
      ].sort(),
    );
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: commons.id } })).toMatchObject({ needsAnimator: true });
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: joined.id } })).toMatchObject({ needsAnimator: false });
    // Their own session ended with it; the departure is in the history.
    expect(await t.gql('{ viewer { id } }', {}, leaver.token)).toEqual({ data: { viewer: null } });
    expect(
      await t.db.prisma.eventLog.count({ where: { type: 'member.leftCooperative', subjectId: leaver.gid, actorId: leaver.id } }),
    ).toBe(1);
  });

  it('should forbid a member who is not support staff to record someone else’s departure', async () => {
    const member = await person();
    const other = await person();
    await makeCollective(t.db.prisma, { animatorId: other.id, memberIds: [member.id] });
    await expectForbiddenChange(() => leaveCooperative(member.token, other.id));
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
