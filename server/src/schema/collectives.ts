import { z } from 'zod';
import { builder } from '../builder.js';
import { answerWithRightsLeft, type Context } from '../context.js';
import { parisDay } from '../domain/calendar.js';
import { checkAnimator, checkCollectiveShape, checkStatusChange, lockCollective, slugOfName } from '../domain/collectives.js';
import { changesNothing } from '../domain/unchanged.js';
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { CollectiveKind, CollectiveStatus, Openness, Sector } from '../generated/prisma/enums.js';
import { BusinessHorizonEnum, CollectiveKindEnum, CollectiveStatusEnum, OpennessEnum, SectorEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { MemberRef, MembershipsScope, NO_ONE, statusesOf, visibleMembershipsWhere } from './members.js';
import { MembershipRef } from './memberships.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { text } from './validation.js';

const LEADERS: { where: Prisma.MembershipWhereInput; include: { member: true } } = {
  where: { status: 'ACTIVE', role: { in: ['ANIMATOR', 'CO_ANIMATOR'] } },
  include: { member: true },
};

builder.prismaNode('Collective', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description: 'A group of members working together: commons, sector or business.',
  id: { field: 'id' },
  // Select mode: a planned query reads the columns its selection needs, not the whole row (`purpose` and the
  // rest are read only when asked for); `kind` always, for the type check below.
  select: { id: true, kind: true },
  // The scope `member`, as a boolean; the collective's kind is remembered for its memberships' checks (auth/access.ts).
  authScopes: (collective, context) => context.access.checksCollective(collective),
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Unique, URL-safe name, e.g. `vie-cooperative`.' }),
    name: t.exposeString('name', { description: 'Name.' }),
    kind: t.expose('kind', { type: CollectiveKindEnum, description: 'Commons, sector or business.' }),
    horizon: t.expose('horizon', {
      type: BusinessHorizonEnum,
      nullable: true,
      description: 'One-off or long-term, for business collectives only.',
    }),
    status: t.expose('status', { type: CollectiveStatusEnum, description: 'Proposed, active, dormant or closed.' }),
    openness: t.expose('openness', { type: OpennessEnum, description: 'How members join.' }),
    purpose: t.exposeString('purpose', { description: 'Why the collective exists.' }),
    sector: t.expose('sector', { type: SectorEnum, nullable: true, description: 'The trade of a sector collective.' }),
    objective: t.exposeString('objective', {
      nullable: true,
      description: 'The precise objective of a one-off business collective.',
    }),
    targetDate: t.expose('targetDate', {
      type: 'Date',
      nullable: true,
      description: 'The date a one-off business collective aims at.',
    }),
    needsAnimator: t.exposeBoolean('needsAnimator', {
      description: 'True when the collective has lost its animator and needs a new one.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was proposed.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true, description: 'When it was closed.' }),
    proposedBy: t.relation('proposedBy', { description: 'Who proposed it.' }),
    animator: t.field({
      type: MemberRef,
      nullable: true,
      description: 'The animator, or null while the collective needs one.',
      select: { memberships: LEADERS },
      resolve: (collective) => collective.memberships.find((m) => m.role === 'ANIMATOR')?.member ?? null,
    }),
    coAnimator: t.field({
      type: MemberRef,
      nullable: true,
      description: 'The co-animator, if there is one.',
      select: { memberships: LEADERS },
      resolve: (collective) => collective.memberships.find((m) => m.role === 'CO_ANIMATOR')?.member ?? null,
    }),
    memberCount: t.relationCount('memberships', { description: 'Number of active members.', where: { status: 'ACTIVE' } }),
    memberships: relatedKeysetConnection(t, 'memberships', {
      description:
        "Memberships, current by default. A business collective's are listed only to its members and the support staff.",
      args: { scope: t.arg({ type: MembershipsScope, defaultValue: 'CURRENT', description: 'Current, past or all.' }) },
      where: (args, context) => ({ ...statusesOf(args.scope), ...visibleMembershipsWhere(context) }),
      orderBy: () => [{ role: 'asc' }, { joinedAt: 'asc' }, { id: 'asc' }],
    }),
    viewerMembership: t.field({
      type: MembershipRef,
      nullable: true,
      description: "The viewer's current membership (active or pending), if any.",
      select: (_args, context) => ({
        memberships: { where: { memberId: context.access.viewer?.id ?? NO_ONE, status: { in: ['ACTIVE', 'PENDING'] } }, take: 1 },
      }),
      resolve: (collective) => collective.memberships[0] ?? null,
    }),
  }),
});

const CollectiveOrder = builder.enumType('CollectiveOrder', {
  description: 'How to sort collectives.',
  values: {
    NAME: { description: 'Alphabetically.' },
    NEWEST: { description: 'Newest first.' },
    OLDEST: { description: 'Oldest first.' },
  },
});

builder.queryFields((t) => ({
  collectives: keysetConnection(t, {
    type: 'Collective',
    description: 'The directory of collectives, filtered and sorted.',
    args: {
      kind: t.arg({ type: CollectiveKindEnum, description: 'Only this kind.' }),
      status: t.arg({ type: CollectiveStatusEnum, description: 'Only this status.' }),
      sector: t.arg({ type: SectorEnum, description: 'Only this trade.' }),
      openness: t.arg({ type: OpennessEnum, description: 'Only this openness.' }),
      search: t.arg.string({ description: 'Words found in the name or the purpose, any case.' }),
      orderBy: t.arg({ type: CollectiveOrder, defaultValue: 'NAME', description: 'Sort order.' }),
    },
    where: (args) => collectivesWhere(args),
    orderBy: (args) => collectiveOrder(args.orderBy),
  }),
  collective: t.prismaField({
    type: 'Collective',
    nullable: true,
    description: 'One collective by its slug.',
    args: { slug: t.arg.string({ required: true, description: 'The slug, e.g. `vie-cooperative`.' }) },
    resolve: (query, _root, args, context) => context.prisma.collective.findUnique({ ...query, where: { slug: args.slug } }),
  }),
}));

function collectivesWhere(args: {
  kind?: CollectiveKind | null;
  status?: CollectiveStatus | null;
  sector?: Sector | null;
  openness?: Openness | null;
  search?: string | null;
}): Prisma.CollectiveWhereInput {
  const where: Prisma.CollectiveWhereInput = {};
  if (args.kind) where.kind = args.kind;
  if (args.status) where.status = args.status;
  if (args.sector) where.sector = args.sector;
  if (args.openness) where.openness = args.openness;
  const words = args.search?.trim().split(/\s+/).filter(Boolean) ?? [];
  if (words.length > 0) {
    where.AND = words.map((word) => ({
      OR: [{ name: { contains: word, mode: 'insensitive' } }, { purpose: { contains: word, mode: 'insensitive' } }],
    }));
  }
  return where;
}

function collectiveOrder(order: 'NAME' | 'NEWEST' | 'OLDEST' | null | undefined): KeysetOrder {
  if (order === 'NEWEST') return [{ createdAt: 'desc' }, { id: 'asc' }];
  if (order === 'OLDEST') return [{ createdAt: 'asc' }, { id: 'asc' }];
  return [{ name: 'asc' }, { id: 'asc' }];
}

// ───────────────────────────── Mutations ─────────────────────────────

const name = text(2, 120);
const purpose = z.string().trim().min(1, 'Say what the collective is for.').max(4000, 'At most 4000 characters.');
const objective = z.string().trim().max(1000, 'At most 1000 characters.');

const CreateCollectiveInput = builder.inputType('CreateCollectiveInput', {
  description: 'A new collective. It starts as proposed, with its animator as founder.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name (its slug is derived from it).', validate: name }),
    kind: t.field({ type: CollectiveKindEnum, required: true, description: 'Commons, sector or business.' }),
    horizon: t.field({ type: BusinessHorizonEnum, description: 'For business collectives: one-off or long-term.' }),
    purpose: t.string({ required: true, description: 'Why it exists.', validate: purpose }),
    openness: t.field({
      type: OpennessEnum,
      description: 'How members join; commons collectives are always open. Defaults to open.',
    }),
    sector: t.field({ type: SectorEnum, description: 'The trade, for sector collectives.' }),
    objective: t.string({ description: 'The precise objective, for one-off business collectives.', validate: objective }),
    targetDate: t.field({ type: 'Date', description: 'The target date, for one-off business collectives.' }),
    opportunityId: t.globalID({ description: 'The opportunity a one-off business collective answers.' }),
    animatorId: t.globalID({
      description: 'Who animates it; yourself by default. Only the support staff may name someone else.',
    }),
  }),
});

builder.mutationField('createCollective', (t) =>
  t.prismaField({
    type: 'Collective',
    description: 'Proposes a new collective, animated by its founder (or, for the support staff, by the member they name).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateCollectiveInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const animatorId = input.animatorId ? idOf(input.animatorId, 'Member', 'input.animatorId') : viewer.id;
        if (animatorId !== viewer.id && !context.access.isSupportStaff)
          throw new ForbiddenError('Seule l’équipe d’appui peut nommer un autre animateur.');
        const animator = await tx.member.findUnique({ where: { id: animatorId } });
        if (!animator) throw new NotFoundError('input.animatorId', 'Member');
        const shape = {
          kind: input.kind,
          horizon: input.horizon ?? null,
          openness: input.openness ?? 'OPEN',
          sector: input.sector ?? null,
          objective: input.objective ?? null,
          targetDate: input.targetDate ?? null,
        };
        prefixField(() => checkCollectiveShape(shape, now, { targetDateChanged: true }));
        prefixField(() => checkAnimator(input.kind, animator, 'animatorId'));
        const slug = slugOfName(input.name, 'input.name');
        if (await tx.collective.findUnique({ where: { slug } })) throw new RuleViolationError('input.name', 'NAME_TAKEN');
        const opportunityId = input.opportunityId ? idOf(input.opportunityId, 'Opportunity', 'input.opportunityId') : null;
        if (opportunityId && !(await tx.opportunity.findUnique({ where: { id: opportunityId } }))) {
          throw new NotFoundError('input.opportunityId', 'Opportunity');
        }
        const collective = await tx.collective.create({
          data: {
            ...shape,
            slug,
            name: input.name,
            purpose: input.purpose,
            status: 'PROPOSED',
            opportunityId,
            proposedById: viewer.id,
            memberships: {
              create: {
                memberId: animator.id,
                role: 'ANIMATOR',
                status: 'ACTIVE',
                origin: 'FOUNDER',
                requestedAt: now,
                joinedAt: now,
              },
            },
          },
        });
        await recordEvent(tx, {
          type: 'collective.proposed',
          subject: { typename: 'Collective', id: collective.id },
          collectiveId: collective.id,
          actorId: viewer.id,
          payload: { name: collective.name, kind: collective.kind, status: collective.status, animatorId: animator.id },
        });
        return collective.id;
      });
      return context.prisma.collective.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

const UpdateCollectiveInput = builder.inputType('UpdateCollectiveInput', {
  description: 'Changes to a collective; omitted fields stay as they are.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The collective.' }),
    name: t.string({ description: 'New name (the slug stays).', validate: name }),
    purpose: t.string({ description: 'New purpose.', validate: purpose }),
    openness: t.field({ type: OpennessEnum, description: 'New openness.' }),
    sector: t.field({ type: SectorEnum, description: 'New trade (sector collectives).' }),
    objective: t.string({ description: 'New objective (one-off business).', validate: objective }),
    targetDate: t.field({ type: 'Date', description: 'New target date (one-off business).' }),
    status: t.field({
      type: CollectiveStatusEnum,
      description: 'Proposed → active, active ↔ dormant. Use closeCollective to close.',
    }),
  }),
});

builder.mutationField('updateCollective', (t) =>
  t.prismaField({
    type: 'Collective',
    description: 'Changes a collective. For its animator, co-animator and the support staff.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateCollectiveInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      await context.prisma.$transaction(async (tx) => {
        const current = await lockCollective(tx, idOf(input.id, 'Collective', 'input.id'), 'input.id');
        requireLeader(context, current.id);
        if (current.status === 'CLOSED') throw new RuleViolationError('input.id', 'COLLECTIVE_CLOSED');
        if (input.name != null) slugOfName(input.name, 'input.name');
        const next = {
          kind: current.kind,
          horizon: current.horizon,
          openness: input.openness ?? current.openness,
          sector: input.sector ?? current.sector,
          objective: input.objective ?? current.objective,
          targetDate: input.targetDate ?? current.targetDate,
        };
        prefixField(() => checkCollectiveShape(next, now, { targetDateChanged: input.targetDate != null }));
        if (input.status) prefixField(() => checkStatusChange(current.status, input.status as CollectiveStatus));
        const data = {
          ...next,
          name: input.name ?? current.name,
          purpose: input.purpose ?? current.purpose,
          status: input.status ?? current.status,
        };
        if (changesNothing(current, data)) return;
        const updated = await tx.collective.update({ where: { id: current.id }, data });
        await recordEvent(tx, {
          type: 'collective.updated',
          subject: { typename: 'Collective', id: current.id },
          collectiveId: current.id,
          actorId: viewer.id,
          payload: { name: updated.name, status: updated.status, openness: updated.openness },
        });
      });
      return context.prisma.collective.findUniqueOrThrow({ ...query, where: { id: input.id.id } });
    },
  }),
);

builder.mutationField('closeCollective', (t) =>
  t.prismaField({
    type: 'Collective',
    description: 'Closes a collective for good: every membership ends today and pending ones are declined. History is kept.',
    errors: { types: MUTATION_ERRORS },
    args: { id: t.arg.globalID({ required: true, description: 'The collective.' }) },
    resolve: async (query, _root, { id }, context, info) => {
      const viewer = viewerOf(context);
      const now = new Date();
      await context.prisma.$transaction(async (tx) => {
        const current = await lockCollective(tx, idOf(id, 'Collective', 'id'), 'id');
        requireLeader(context, current.id);
        if (current.status === 'CLOSED') throw new RuleViolationError('id', 'COLLECTIVE_CLOSED');
        await tx.membership.updateMany({
          where: { collectiveId: current.id, status: 'ACTIVE' },
          data: { status: 'LEFT', leftAt: now, leaveReason: 'COLLECTIVE_CLOSED' },
        });
        await tx.membership.updateMany({
          where: { collectiveId: current.id, status: 'PENDING' },
          data: { status: 'DECLINED', decidedAt: now, decidedById: viewer.id },
        });
        await tx.collective.update({
          where: { id: current.id },
          data: { status: 'CLOSED', closedAt: now, needsAnimator: false },
        });
        await recordEvent(tx, {
          type: 'collective.closed',
          subject: { typename: 'Collective', id: current.id },
          collectiveId: current.id,
          actorId: viewer.id,
          payload: { status: 'CLOSED', closedAt: now.toISOString(), day: parisDay(now).toISOString().slice(0, 10) },
        });
      });
      // Every membership ended, the caller's included: the answer shows what is left to see of it.
      return answerWithRightsLeft(context, info, query, (fresh) =>
        context.prisma.collective.findUniqueOrThrow({ ...fresh, where: { id: id.id } }),
      );
    },
  }),
);

/** The signed-in member; the Mutation type's scope guarantees there is one. */
export function viewerOf(context: Context) {
  const viewer = context.access.viewer;
  if (!viewer) throw new ForbiddenError('Connectez-vous d’abord.');
  return viewer;
}

/** Only a collective's animator or co-animator, or the support staff, may run it. */
export function requireLeader(context: Context, collectiveId: string): void {
  if (context.access.isSupportStaff) return;
  if (!context.access.animatorOf.has(collectiveId)) {
    throw new ForbiddenError('Seuls les animateurs de ce collectif et l’équipe d’appui peuvent faire cela.');
  }
}

/** Rule checks name bare fields; a mutation's input lives under `input`. */
function prefixField(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof RuleViolationError && error.field && !error.field.startsWith('input.')) {
      throw new RuleViolationError(`input.${error.field}`, error.rule, error.message);
    }
    throw error;
  }
}
