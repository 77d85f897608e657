import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { EventTypeOf } from '../events/types.js';
import type { Member, Membership } from '../generated/prisma/client.js';
import { parisDay } from './calendar.js';
import { checkAnimator, checkCoAnimator, lockCollective, type Tx } from './collectives.js';

/** Who is acting. Support staff may run any collective. */
export interface Actor {
  member: Member;
  isSupportStaff: boolean;
}

function event(
  tx: Tx,
  type: EventTypeOf<'membership'>,
  membership: Membership,
  actor: Actor,
  payload: Record<string, string | boolean | null> = {},
) {
  return recordEvent(tx, {
    type,
    subject: { typename: 'Membership', id: membership.id },
    collectiveId: membership.collectiveId,
    actorId: actor.member.id,
    payload: { memberId: membership.memberId, role: membership.role, status: membership.status, ...payload },
  });
}

async function currentMembership(tx: Tx, collectiveId: string, memberId: string) {
  return tx.membership.findFirst({ where: { collectiveId, memberId, status: { in: ['ACTIVE', 'PENDING'] } } });
}

async function requireLeader(
  tx: Tx,
  actor: Actor,
  collectiveId: string,
  roles: Array<'ANIMATOR' | 'CO_ANIMATOR'> = ['ANIMATOR', 'CO_ANIMATOR'],
) {
  if (actor.isSupportStaff) return;
  const leader = await tx.membership.findFirst({
    where: { collectiveId, memberId: actor.member.id, status: 'ACTIVE', role: { in: roles } },
  });
  if (!leader)
    throw new ForbiddenError(
      roles.length === 1
        ? 'Only the animator and the support staff may do this.'
        : 'Only the animators and the support staff may do this.',
    );
}

/** Loads a membership the actor may see (a business collective's only for insiders), or throws not-found. */
async function visibleMembership(tx: Tx, actor: Actor, membershipId: string, field: string) {
  const membership = await tx.membership.findUnique({ where: { id: membershipId }, include: { collective: true } });
  if (!membership) throw new NotFoundError(field, 'Membership');
  if (membership.collective.kind === 'BUSINESS' && !actor.isSupportStaff && membership.memberId !== actor.member.id) {
    const insider = await currentMembership(tx, membership.collectiveId, actor.member.id);
    if (insider?.status !== 'ACTIVE') throw new NotFoundError(field, 'Membership');
  }
  return membership;
}

/** Joins at once (commons and open collectives) or asks to join (on request). Closed ones need an invitation. */
export async function join(tx: Tx, actor: Actor, collectiveId: string, now: Date): Promise<Membership> {
  const collective = await lockCollective(tx, collectiveId);
  if (collective.status === 'CLOSED') throw new RuleViolationError('collectiveId', 'COLLECTIVE_CLOSED');
  const existing = await currentMembership(tx, collective.id, actor.member.id);
  if (existing?.status === 'ACTIVE') throw new RuleViolationError('collectiveId', 'ALREADY_MEMBER');
  if (existing?.status === 'PENDING') throw new RuleViolationError('collectiveId', 'ALREADY_PENDING');
  const openToAll = collective.kind === 'COMMONS' || collective.openness === 'OPEN';
  if (!openToAll && collective.openness === 'CLOSED') throw new RuleViolationError('collectiveId', 'INVITATION_ONLY');
  if (
    collective.kind === 'SECTOR' &&
    collective.sector &&
    actor.member.kind === 'ENTREPRENEUR' &&
    !actor.member.sectors.includes(collective.sector)
  ) {
    throw new RuleViolationError('collectiveId', 'NOT_SAME_SECTOR');
  }
  const membership = await tx.membership.create({
    data: openToAll
      ? {
          collectiveId: collective.id,
          memberId: actor.member.id,
          status: 'ACTIVE',
          origin: 'JOINED',
          requestedAt: now,
          joinedAt: now,
        }
      : { collectiveId: collective.id, memberId: actor.member.id, status: 'PENDING', origin: 'REQUESTED', requestedAt: now },
  });
  await event(tx, openToAll ? 'membership.joined' : 'membership.requested', membership, actor);
  return membership;
}

/** An animator approves a request, or the invitee accepts an invitation. */
export async function approve(tx: Tx, actor: Actor, membershipId: string, now: Date): Promise<Membership> {
  const found = await visibleMembership(tx, actor, membershipId, 'membershipId');
  const collective = await lockCollective(tx, found.collectiveId);
  const membership = await tx.membership.findUniqueOrThrow({ where: { id: found.id } });
  if (membership.status !== 'PENDING') throw new RuleViolationError('membershipId', 'NOT_PENDING');
  if (collective.status === 'CLOSED') throw new RuleViolationError('membershipId', 'COLLECTIVE_CLOSED');
  if (membership.origin === 'INVITED') {
    if (membership.memberId !== actor.member.id) throw new ForbiddenError('Seul le membre invité peut accepter une invitation.');
  } else {
    await requireLeader(tx, actor, collective.id);
  }
  const approved = await tx.membership.update({
    where: { id: membership.id },
    data: { status: 'ACTIVE', joinedAt: now, decidedAt: now, decidedById: actor.member.id },
  });
  await event(tx, 'membership.approved', approved, actor);
  return approved;
}

/** An animator declines a request, or the invitee declines an invitation. Kept as history. */
export async function decline(tx: Tx, actor: Actor, membershipId: string, now: Date): Promise<Membership> {
  const found = await visibleMembership(tx, actor, membershipId, 'membershipId');
  await lockCollective(tx, found.collectiveId);
  const membership = await tx.membership.findUniqueOrThrow({ where: { id: found.id } });
  if (membership.status !== 'PENDING') throw new RuleViolationError('membershipId', 'NOT_PENDING');
  const isInvitee = membership.origin === 'INVITED' && membership.memberId === actor.member.id;
  if (!isInvitee) await requireLeader(tx, actor, membership.collectiveId);
  const declined = await tx.membership.update({
    where: { id: membership.id },
    data: { status: 'DECLINED', decidedAt: now, decidedById: actor.member.id },
  });
  await event(tx, 'membership.declined', declined, actor);
  return declined;
}

/** An animator invites a member; the invitation waits for the invitee. */
export async function invite(tx: Tx, actor: Actor, collectiveId: string, memberId: string, now: Date): Promise<Membership> {
  const collective = await lockCollective(tx, collectiveId);
  await requireLeader(tx, actor, collective.id);
  if (collective.status === 'CLOSED') throw new RuleViolationError('collectiveId', 'COLLECTIVE_CLOSED');
  const invitee = await tx.member.findUnique({ where: { id: memberId } });
  if (!invitee) throw new NotFoundError('memberId', 'Member');
  if (invitee.situation !== 'ACTIVE') throw new RuleViolationError('memberId', 'MEMBER_NOT_ACTIVE');
  const existing = await currentMembership(tx, collective.id, invitee.id);
  if (existing?.status === 'ACTIVE') throw new RuleViolationError('memberId', 'ALREADY_MEMBER');
  if (existing?.status === 'PENDING') throw new RuleViolationError('memberId', 'ALREADY_PENDING');
  const membership = await tx.membership.create({
    data: {
      collectiveId: collective.id,
      memberId: invitee.id,
      status: 'PENDING',
      origin: 'INVITED',
      requestedAt: now,
      invitedById: actor.member.id,
    },
  });
  await event(tx, 'membership.invited', membership, actor);
  return membership;
}

/**
 * Ends a membership (or withdraws a pending request). An animator who leaves leaves the collective
 * without one: it is flagged until someone takes over.
 */
export async function leave(tx: Tx, actor: Actor, collectiveId: string, now: Date): Promise<Membership> {
  const collective = await lockCollective(tx, collectiveId);
  const membership = await currentMembership(tx, collective.id, actor.member.id);
  if (!membership) throw new RuleViolationError('collectiveId', 'NOT_A_MEMBER');
  const left = await tx.membership.update({
    where: { id: membership.id },
    data:
      membership.status === 'ACTIVE'
        ? { status: 'LEFT', leftAt: now, leaveReason: 'LEFT_COLLECTIVE' }
        : { status: 'DECLINED', decidedAt: now, decidedById: actor.member.id },
  });
  if (membership.status === 'ACTIVE' && membership.role === 'ANIMATOR') {
    await tx.collective.update({ where: { id: collective.id }, data: { needsAnimator: true } });
  }
  await event(tx, 'membership.left', left, actor, { animatorLost: membership.role === 'ANIMATOR' });
  return left;
}

/** Hands animation to another active member; the previous animator stays as a member. */
export async function handOver(tx: Tx, actor: Actor, collectiveId: string, memberId: string): Promise<Membership> {
  const collective = await lockCollective(tx, collectiveId);
  if (collective.status === 'CLOSED') throw new RuleViolationError('collectiveId', 'COLLECTIVE_CLOSED');
  // The animator hands over; the support staff can name one when the collective has lost its own.
  await requireLeader(tx, actor, collective.id, ['ANIMATOR']);
  const next = await tx.membership.findFirst({
    where: { collectiveId: collective.id, memberId, status: 'ACTIVE' },
    include: { member: true },
  });
  if (!next) throw new RuleViolationError('memberId', 'NOT_A_MEMBER');
  if (next.role === 'ANIMATOR') throw new RuleViolationError('memberId', 'ALREADY_ANIMATOR');
  checkAnimator(collective.kind, next.member, 'memberId');
  await tx.membership.updateMany({
    where: { collectiveId: collective.id, status: 'ACTIVE', role: 'ANIMATOR' },
    data: { role: 'MEMBER' },
  });
  const animator = await tx.membership.update({ where: { id: next.id }, data: { role: 'ANIMATOR' } });
  await tx.collective.update({ where: { id: collective.id }, data: { needsAnimator: false } });
  await event(tx, 'membership.animationHandedOver', animator, actor);
  return animator;
}

/**
 * Names the co-animator (replacing any previous one), or removes it when `memberId` is null. Naming the one it has
 * (removing none) writes nothing and records no event.
 */
export async function setCoAnimator(
  tx: Tx,
  actor: Actor,
  collectiveId: string,
  memberId: string | null,
): Promise<Membership | null> {
  const collective = await lockCollective(tx, collectiveId);
  if (collective.status === 'CLOSED') throw new RuleViolationError('collectiveId', 'COLLECTIVE_CLOSED');
  await requireLeader(tx, actor, collective.id, ['ANIMATOR']);
  let next = null;
  if (memberId) {
    next = await tx.membership.findFirst({
      where: { collectiveId: collective.id, memberId, status: 'ACTIVE' },
      include: { member: true },
    });
    if (!next) throw new RuleViolationError('memberId', 'NOT_A_MEMBER');
    if (next.role === 'ANIMATOR') throw new RuleViolationError('memberId', 'ALREADY_ANIMATOR');
    checkCoAnimator(collective.kind, next.member, 'memberId');
  }
  const current = await tx.membership.findFirst({
    where: { collectiveId: collective.id, status: 'ACTIVE', role: 'CO_ANIMATOR' },
    select: { id: true },
  });
  // The co-animator it has already (or none when it has none): nothing written, no event.
  if ((current?.id ?? null) === (next?.id ?? null)) return next;
  await tx.membership.updateMany({
    where: { collectiveId: collective.id, status: 'ACTIVE', role: 'CO_ANIMATOR' },
    data: { role: 'MEMBER' },
  });
  if (!next) {
    await recordEvent(tx, {
      type: 'collective.coAnimatorRemoved',
      subject: { typename: 'Collective', id: collective.id },
      collectiveId: collective.id,
      actorId: actor.member.id,
    });
    return null;
  }
  const coAnimator = await tx.membership.update({ where: { id: next.id }, data: { role: 'CO_ANIMATOR' } });
  await event(tx, 'membership.coAnimatorSet', coAnimator, actor);
  return coAnimator;
}

/**
 * A member leaves the cooperative: every membership ends that (Paris) day, pending ones are
 * declined, collectives they animated are flagged, and their sessions are revoked.
 */
export async function leaveCooperative(tx: Tx, actor: Actor, memberId: string, now: Date): Promise<Member> {
  if (!actor.isSupportStaff && actor.member.id !== memberId)
    throw new ForbiddenError('Seule l’équipe d’appui enregistre un départ de la coopérative.');
  await tx.$queryRaw`SELECT id FROM "Member" WHERE id = ${memberId}::uuid FOR UPDATE`;
  const member = await tx.member.findUnique({ where: { id: memberId } });
  if (!member) throw new NotFoundError('memberId', 'Member');
  if (member.situation === 'LEFT') throw new RuleViolationError('memberId', 'ALREADY_LEFT_COOPERATIVE');
  const animated = await tx.membership.findMany({
    where: { memberId, status: 'ACTIVE', role: 'ANIMATOR' },
    select: { collectiveId: true },
  });
  const current = await tx.membership.findMany({ where: { memberId, status: { in: ['ACTIVE', 'PENDING'] } } });
  await tx.membership.updateMany({
    where: { memberId, status: 'ACTIVE' },
    data: { status: 'LEFT', leftAt: now, leaveReason: 'LEFT_COOPERATIVE' },
  });
  await tx.membership.updateMany({
    where: { memberId, status: 'PENDING' },
    data: { status: 'DECLINED', decidedAt: now, decidedById: actor.member.id },
  });
  await tx.collective.updateMany({
    where: { id: { in: animated.map((row) => row.collectiveId) } },
    data: { needsAnimator: true },
  });
  await tx.session.updateMany({ where: { memberId, revokedAt: null }, data: { revokedAt: now } });
  const left = await tx.member.update({ where: { id: memberId }, data: { situation: 'LEFT', leftCooperativeOn: parisDay(now) } });
  for (const membership of current) {
    await event(tx, 'membership.left', { ...membership, status: 'LEFT' }, actor, {
      reason: 'LEFT_COOPERATIVE',
      animatorLost: membership.role === 'ANIMATOR' && membership.status === 'ACTIVE',
    });
  }
  await recordEvent(tx, {
    type: 'member.leftCooperative',
    subject: { typename: 'Member', id: memberId },
    actorId: actor.member.id,
    payload: { memberId, day: left.leftCooperativeOn?.toISOString().slice(0, 10) ?? null },
  });
  return left;
}
