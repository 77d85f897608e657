import type { GraphQLResolveInfo } from 'graphql';
import { builder } from '../builder.js';
import { answerWithRightsLeft, type Context } from '../context.js';
import * as memberships from '../domain/memberships.js';
import { NotFoundError, RuleViolationError } from '../errors.js';
import type { Membership, Prisma } from '../generated/prisma/client.js';
import { LeaveReasonEnum, MembershipOriginEnum, MembershipRoleEnum, MembershipStatusEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { NO_ONE, visibleMembershipsWhere } from './members.js';

export const MembershipRef = builder.prismaNode('Membership', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description: "A member's place in a collective, from request or invitation to departure. Never deleted.",
  id: { field: 'id' },
  // Select mode: a planned query reads the columns its selection needs; the two ids always, for the type check.
  select: { id: true, memberId: true, collectiveId: true },
  // node(id) finds only what the viewer may see, so a hidden membership looks like a missing one.
  findUnique: (id, context) =>
    context.access.isSupportStaff
      ? { id }
      : { id, OR: [visibleMembershipsWhere(context), { memberId: context.access.viewer?.id ?? NO_ONE }] },
  // A business collective's memberships are for its members, the support staff and the member concerned.
  // The scopes `seesCollectiveInternals` or `viewerIs`, answered as a boolean (synchronous once the request knows
  // its business collectives): a scope map per row cost ≈ 5 KB of garbage and a promise each (bench/query.ts).
  authScopes: (membership, context) =>
    context.access.viewer?.id === membership.memberId || context.access.seesInternalsOf(membership.collectiveId),
  fields: (t) => ({
    role: t.expose('role', { type: MembershipRoleEnum, description: 'Animator, co-animator or member.' }),
    status: t.expose('status', { type: MembershipStatusEnum, description: 'Pending, active, declined or left.' }),
    origin: t.expose('origin', { type: MembershipOriginEnum, description: 'How it began.' }),
    requestedAt: t.expose('requestedAt', { type: 'DateTime', description: 'When it was asked for, offered or begun.' }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime', nullable: true, description: 'When the member became active.' }),
    leftAt: t.expose('leftAt', { type: 'DateTime', nullable: true, description: 'When the membership ended.' }),
    leaveReason: t.expose('leaveReason', { type: LeaveReasonEnum, nullable: true, description: 'Why it ended.' }),
    decidedAt: t.expose('decidedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a request or invitation was approved or declined.',
    }),
    member: t.relation('member', { description: 'The member.' }),
    collective: t.relation('collective', { description: 'The collective.' }),
    invitedBy: t.relation('invitedBy', { nullable: true, description: 'Who sent the invitation, for invitations.' }),
    decidedBy: t.relation('decidedBy', { nullable: true, description: 'Who approved or declined.' }),
  }),
});

function actorOf(context: Context): memberships.Actor {
  const member = context.access.viewer;
  if (!member) throw new NotFoundError(null);
  return { member, isSupportStaff: context.access.isSupportStaff };
}

type MembershipQuery = { include?: Prisma.MembershipInclude; select?: Prisma.MembershipSelect };

/**
 * Runs a membership change in one transaction, then reloads the result with the client's selection. A change of the
 * caller's own membership (leaving, joining, an invitation accepted) changes what they may see: the answer is then
 * read with the rights it left (context.ts `answerWithRightsLeft`).
 */
async function change(
  context: Context,
  query: MembershipQuery,
  info: GraphQLResolveInfo,
  work: (tx: Prisma.TransactionClient, actor: memberships.Actor, now: Date) => Promise<Membership>,
) {
  const actor = actorOf(context);
  const membership = await context.prisma.$transaction((tx) => work(tx, actor, new Date()));
  if (membership.memberId !== actor.member.id)
    return context.prisma.membership.findUniqueOrThrow({ ...query, where: { id: membership.id } });
  return answerWithRightsLeft(context, info, query, (fresh) =>
    context.prisma.membership.findUniqueOrThrow({ ...fresh, where: { id: membership.id } }),
  );
}

/** Rule checks name bare fields; mutation arguments sit under `input`. */
function inInput<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (
      (error instanceof RuleViolationError || error instanceof NotFoundError) &&
      error.field &&
      !error.field.startsWith('input.')
    ) {
      throw error instanceof RuleViolationError
        ? new RuleViolationError(`input.${error.field}`, error.rule, error.message)
        : new NotFoundError(`input.${error.field}`, error.kind, error.message);
    }
    throw error;
  });
}

const CollectiveInput = builder.inputType('CollectiveRefInput', {
  description: 'Names a collective.',
  fields: (t) => ({ collectiveId: t.globalID({ required: true, description: 'The collective.' }) }),
});

const MembershipInput = builder.inputType('MembershipRefInput', {
  description: 'Names a membership.',
  fields: (t) => ({ membershipId: t.globalID({ required: true, description: 'The membership.' }) }),
});

const CollectiveMemberInput = builder.inputType('CollectiveMemberInput', {
  description: 'Names a collective and a member.',
  fields: (t) => ({
    collectiveId: t.globalID({ required: true, description: 'The collective.' }),
    memberId: t.globalID({ required: true, description: 'The member.' }),
  }),
});

builder.mutationFields((t) => ({
  joinCollective: t.prismaField({
    type: 'Membership',
    description:
      'Joins a collective: at once for commons and open ones; a pending request for those on request. Closed ones need an invitation.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CollectiveInput, required: true }) },
    resolve: (query, _root, { input }, context, info) =>
      inInput(() =>
        change(context, query, info, (tx, actor, now) =>
          memberships.join(tx, actor, idOf(input.collectiveId, 'Collective', 'input.collectiveId'), now),
        ),
      ),
  }),
  approveMembership: t.prismaField({
    type: 'Membership',
    description: 'Approves a pending request (animators and support staff) or accepts an invitation (the invitee).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: MembershipInput, required: true }) },
    resolve: (query, _root, { input }, context, info) =>
      inInput(() =>
        change(context, query, info, (tx, actor, now) =>
          memberships.approve(tx, actor, idOf(input.membershipId, 'Membership', 'input.membershipId'), now),
        ),
      ),
  }),
  declineMembership: t.prismaField({
    type: 'Membership',
    description: 'Declines a pending request (animators and support staff) or an invitation (the invitee). Kept as history.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: MembershipInput, required: true }) },
    resolve: (query, _root, { input }, context, info) =>
      inInput(() =>
        change(context, query, info, (tx, actor, now) =>
          memberships.decline(tx, actor, idOf(input.membershipId, 'Membership', 'input.membershipId'), now),
        ),
      ),
  }),
  inviteMember: t.prismaField({
    type: 'Membership',
    description: 'Invites a member to a collective (animators and support staff). The invitation waits for the invitee.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CollectiveMemberInput, required: true }) },
    resolve: (query, _root, { input }, context, info) =>
      inInput(() =>
        change(context, query, info, (tx, actor, now) =>
          memberships.invite(
            tx,
            actor,
            idOf(input.collectiveId, 'Collective', 'input.collectiveId'),
            idOf(input.memberId, 'Member', 'input.memberId'),
            now,
          ),
        ),
      ),
  }),
  leaveCollective: t.prismaField({
    type: 'Membership',
    description:
      'Leaves a collective, or withdraws a pending request. An animator who leaves flags the collective as needing one.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CollectiveInput, required: true }) },
    resolve: (query, _root, { input }, context, info) =>
      inInput(() =>
        change(context, query, info, (tx, actor, now) =>
          memberships.leave(tx, actor, idOf(input.collectiveId, 'Collective', 'input.collectiveId'), now),
        ),
      ),
  }),
  handOverAnimation: t.prismaField({
    type: 'Membership',
    description:
      "Makes another active member the animator (the animator, or the support staff). A commons collective's animator must be an associate entrepreneur.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CollectiveMemberInput, required: true }) },
    resolve: (query, _root, { input }, context, info) =>
      inInput(() =>
        change(context, query, info, (tx, actor) =>
          memberships.handOver(
            tx,
            actor,
            idOf(input.collectiveId, 'Collective', 'input.collectiveId'),
            idOf(input.memberId, 'Member', 'input.memberId'),
          ),
        ),
      ),
  }),
  setCoAnimator: t.prismaField({
    type: 'Membership',
    nullable: true,
    description:
      "Names the co-animator, replacing any previous one, or removes it when memberId is omitted (the animator, or the support staff). A commons collective's co-animator is support staff.",
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        type: builder.inputType('SetCoAnimatorInput', {
          description: 'The collective and its new co-animator.',
          fields: (f) => ({
            collectiveId: f.globalID({ required: true, description: 'The collective.' }),
            memberId: f.globalID({ description: 'The new co-animator; omit to have none.' }),
          }),
        }),
        required: true,
      }),
    },
    resolve: (query, _root, { input }, context) =>
      inInput(async () => {
        const actor = actorOf(context);
        const membership = await context.prisma.$transaction((tx) =>
          memberships.setCoAnimator(
            tx,
            actor,
            idOf(input.collectiveId, 'Collective', 'input.collectiveId'),
            input.memberId ? idOf(input.memberId, 'Member', 'input.memberId') : null,
          ),
        );
        return membership ? context.prisma.membership.findUniqueOrThrow({ ...query, where: { id: membership.id } }) : null;
      }),
  }),
}));

builder.mutationField('leaveCooperative', (t) =>
  t.prismaField({
    type: 'Member',
    description:
      'A member leaves the cooperative: the member themself, or the support staff recording it. Every active membership ends that (Paris) day and pending ' +
      'requests or invitations are declined (DOMAIN.md: a member who leaves the cooperative leaves every collective that day); each collective they ' +
      'animated is flagged as needing an animator (DOMAIN.md: losing its animator flags it; hand animation over first to avoid it); every session of ' +
      'theirs ends, so their live streams end with SESSION_REVOKED. Errors: ForbiddenError for anyone else; NotFoundError; ALREADY_LEFT_COOPERATIVE.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        type: builder.inputType('LeaveCooperativeInput', {
          description: 'The member leaving.',
          fields: (f) => ({ memberId: f.globalID({ required: true, description: 'The member.' }) }),
        }),
        required: true,
      }),
    },
    resolve: (query, _root, { input }, context, info) =>
      inInput(async () => {
        const actor = actorOf(context);
        const member = await context.prisma.$transaction((tx) =>
          memberships.leaveCooperative(tx, actor, idOf(input.memberId, 'Member', 'input.memberId'), new Date()),
        );
        // Leaving themself, the member's answer is read as a member of no collective (their session has ended too).
        if (member.id !== actor.member.id) return context.prisma.member.findUniqueOrThrow({ ...query, where: { id: member.id } });
        return answerWithRightsLeft(
          context,
          info,
          query,
          (fresh) => context.prisma.member.findUniqueOrThrow({ ...fresh, where: { id: member.id } }),
          true,
        );
      }),
  }),
);
