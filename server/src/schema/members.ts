import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';

export { NO_ONE };

import { ForbiddenError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { MemberKind, MemberSituation, Sector } from '../generated/prisma/enums.js';
import { ContractKindEnum, MemberKindEnum, MemberSituationEnum, SectorEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';

/** Limits memberships to those the viewer may see: a business collective's only to its members and the support staff. */
export function visibleMembershipsWhere(context: Context): Prisma.MembershipWhereInput {
  const { access } = context;
  if (access.isSupportStaff) return {};
  const insiderOf = [...access.insiderOf];
  return { OR: [{ collective: { kind: { not: 'BUSINESS' } } }, { collectiveId: { in: insiderOf } }] };
}

export const MembershipsScope = builder.enumType('MembershipsScope', {
  description: 'Which memberships to list.',
  values: {
    CURRENT: { description: 'Active memberships and pending requests or invitations.' },
    PAST: { description: 'Memberships that ended or were declined.' },
    ALL: { description: 'Every membership, current and past.' },
  },
});

/** The statuses a `MembershipsScope` covers. */
export function statusesOf(scope: 'CURRENT' | 'PAST' | 'ALL' | null | undefined): Prisma.MembershipWhereInput {
  if (scope === 'CURRENT') return { status: { in: ['ACTIVE', 'PENDING'] } };
  if (scope === 'PAST') return { status: { in: ['LEFT', 'DECLINED'] } };
  return {};
}

export const MemberRef = builder.prismaNode('Member', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description: 'A person of the cooperative: an entrepreneur or a member of the support staff.',
  id: { field: 'id' },
  // Select mode: a planned query reads the columns its selection needs, not the whole row (`passwordHash` among
  // them); a row handed over from elsewhere (an event's actor, a presence entry's member) answers every column it
  // holds without a read (the @pothos/plugin-prisma patch), and is read again only for a column it lacks.
  select: { id: true },
  // The scopes `member` or `viewerIs`, answered as a boolean: a scope map per row allocated ≈ 5 KB (bench/query.ts).
  authScopes: (member, context) => context.access.isMember || context.access.viewer?.id === member.id,
  fields: (t) => ({
    firstName: t.exposeString('firstName', { description: 'First name.' }),
    lastName: t.exposeString('lastName', { description: 'Last name.' }),
    displayName: t.string({
      description: 'First and last name, as shown to others.',
      select: { firstName: true, lastName: true },
      resolve: (member) => `${member.firstName} ${member.lastName}`,
    }),
    email: t.exposeString('email', { description: 'Email address, also used to sign in.' }),
    kind: t.expose('kind', { type: MemberKindEnum, description: 'Entrepreneur or support staff.' }),
    contract: t.expose('contract', { type: ContractKindEnum, description: 'Contract with the cooperative.' }),
    isAssociate: t.exposeBoolean('isAssociate', {
      description: 'Whether the member is an associate (member-owner) of the cooperative.',
    }),
    associateSince: t.expose('associateSince', {
      type: 'Date',
      nullable: true,
      description: 'Day the member became an associate.',
    }),
    situation: t.expose('situation', { type: MemberSituationEnum, description: 'In the cooperative, or left.' }),
    trade: t.exposeString('trade', { description: 'The activity the member runs, in their words.' }),
    sectors: t.expose('sectors', { type: [SectorEnum], description: 'The trades the member works in.' }),
    joinedCooperativeOn: t.expose('joinedCooperativeOn', { type: 'Date', description: 'Day the member joined the cooperative.' }),
    leftCooperativeOn: t.expose('leftCooperativeOn', {
      type: 'Date',
      nullable: true,
      description: 'Day the member left, if they did.',
    }),
    memberships: relatedKeysetConnection(t, 'memberships', {
      description: "The member's memberships, current and past (business collectives' only if you may see them), newest first.",
      args: { scope: t.arg({ type: MembershipsScope, defaultValue: 'ALL', description: 'Current, past or all.' }) },
      where: (args, context) => ({ ...statusesOf(args.scope), ...visibleMembershipsWhere(context) }),
      orderBy: () => [{ requestedAt: 'desc' }, { id: 'asc' }],
    }),
  }),
});

const MemberOrder = builder.enumType('MemberOrder', {
  description: 'How to sort members.',
  values: { NAME: { description: 'By last then first name.' }, JOINED: { description: 'Newest in the cooperative first.' } },
});

builder.queryFields((t) => ({
  viewer: t.prismaField({
    type: 'Member',
    nullable: true,
    description: 'The signed-in member, or null for an anonymous caller.',
    skipTypeScopes: true,
    resolve: (query, _root, _args, context) =>
      context.session ? context.prisma.member.findUnique({ ...query, where: { id: context.session.member.id } }) : null,
  }),
  members: keysetConnection(t, {
    type: 'Member',
    description: 'The directory of the cooperative.',
    args: {
      kind: t.arg({ type: MemberKindEnum, description: 'Only entrepreneurs, or only support staff.' }),
      sector: t.arg({ type: SectorEnum, description: 'Only members working in this trade.' }),
      situation: t.arg({ type: MemberSituationEnum, defaultValue: 'ACTIVE', description: 'Active members by default.' }),
      search: t.arg.string({ description: 'Part of a name or of the trade, any case.' }),
      orderBy: t.arg({ type: MemberOrder, defaultValue: 'NAME', description: 'Sort order.' }),
    },
    where: (args, context) => membersWhere(context, args),
    orderBy: (args) => memberOrder(args.orderBy),
  }),
  member: t.prismaField({
    type: 'Member',
    nullable: true,
    description: 'One member by global ID.',
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the member.' }) },
    resolve: (query, _root, args, context) =>
      args.id.typename === 'Member' ? context.prisma.member.findUnique({ ...query, where: { id: args.id.id } }) : null,
  }),
}));

async function membersWhere(
  context: Context,
  args: { kind?: MemberKind | null; sector?: Sector | null; situation?: MemberSituation | null; search?: string | null },
) {
  const where: Prisma.MemberWhereInput = {};
  if (args.kind) where.kind = args.kind;
  if (args.sector) {
    // Prisma's `has` on an enum array reaches PGlite as a malformed array literal; ANY() works on both databases.
    const rows = await context.prisma.$queryRaw<
      Array<{ id: string }>
    >`SELECT id FROM "Member" WHERE ${args.sector}::"Sector" = ANY(sectors)`;
    where.id = { in: rows.map((row) => row.id) };
  }
  if (args.situation) where.situation = args.situation;
  const search = args.search?.trim();
  if (search) {
    where.OR = ['firstName', 'lastName', 'trade'].map((field) => ({ [field]: { contains: search, mode: 'insensitive' } }));
  }
  return where;
}

function memberOrder(order: 'NAME' | 'JOINED' | null | undefined): KeysetOrder {
  return order === 'JOINED'
    ? [{ joinedCooperativeOn: 'desc' }, { id: 'asc' }]
    : [{ lastName: 'asc' }, { firstName: 'asc' }, { id: 'asc' }];
}

const personName = z.string().trim().min(1, 'Required.').max(80, 'At most 80 characters.');

const UpdateMyProfileInput = builder.inputType('UpdateMyProfileInput', {
  description: 'Changes to your own profile; omitted fields stay as they are.',
  fields: (t) => ({
    firstName: t.string({ description: 'First name (1 to 80 characters, trimmed).', validate: personName }),
    lastName: t.string({ description: 'Last name (1 to 80 characters, trimmed).', validate: personName }),
    trade: t.string({
      description: 'The activity you run, in your words (at most 200 characters, trimmed; empty allowed).',
      validate: z.string().trim().max(200, 'At most 200 characters.'),
    }),
    sectors: t.field({
      type: [SectorEnum],
      description: 'The trades you work in (each once, at most 5). Sector collectives gather people of their trade.',
      validate: z
        .array(z.string())
        .max(5, 'At most 5 trades.')
        .refine((list) => new Set(list).size === list.length, 'Chaque métier une seule fois.'),
    }),
  }),
});

builder.mutationField('updateMyProfile', (t) =>
  t.prismaField({
    type: 'Member',
    description:
      "Changes the signed-in member's own profile: name, trade and sectors (email, contract and associate status are the support staff's records). " +
      'Records `member.profileUpdated` (when something changed) once outside any collective, seen by every member as the directory is, ' +
      "and a copy in each collective you are active in for that collective's activity (views that merge collectives show the change once). " +
      'Errors: InputValidationError (empty or too long name, too long trade, a trade twice, more than 5 trades); ' +
      'RuleViolationError SECTOR_OF_A_COLLECTIVE on `input.sectors` when a removed trade is that of a sector collective you are an active member of ' +
      '(DOMAIN.md: a sector collective gathers people of its trade); ForbiddenError when signed out. Text with control characters is refused before this runs.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateMyProfileInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const viewer = context.access.viewer;
      if (!viewer) throw new ForbiddenError('Connectez-vous d’abord.');
      await context.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Member" WHERE id = ${viewer.id}::uuid FOR UPDATE`;
        const current = await tx.member.findUniqueOrThrow({ where: { id: viewer.id } });
        const sectors = input.sectors ?? current.sectors;
        const removed = current.sectors.filter((sector) => !sectors.includes(sector));
        if (removed.length > 0) {
          const kept = await tx.membership.findFirst({
            where: {
              memberId: viewer.id,
              status: 'ACTIVE',
              collective: { kind: 'SECTOR', sector: { in: removed }, status: { not: 'CLOSED' } },
            },
            select: { id: true },
          });
          if (kept) throw new RuleViolationError('input.sectors', 'SECTOR_OF_A_COLLECTIVE');
        }
        const next = {
          firstName: input.firstName ?? current.firstName,
          lastName: input.lastName ?? current.lastName,
          trade: input.trade ?? current.trade,
          sectors,
        };
        const changed = (['firstName', 'lastName', 'trade', 'sectors'] as const).filter(
          (field) => String(next[field]) !== String(current[field]),
        );
        if (changed.length === 0) return;
        await tx.member.update({ where: { id: viewer.id }, data: next });
        // The change once, outside any collective (member events there are public, as the directory is): views
        // that merge collectives show it once. Then a copy in each collective the member is active in, so each
        // one's activity shows it, as membership events do (events/types.ts, `collectiveCopies`).
        const memberships = await tx.membership.findMany({
          where: { memberId: viewer.id, status: 'ACTIVE', collective: { status: { not: 'CLOSED' } } },
          select: { collectiveId: true },
          orderBy: { collectiveId: 'asc' },
        });
        for (const collectiveId of [null, ...memberships.map((row) => row.collectiveId)]) {
          await recordEvent(tx, {
            type: 'member.profileUpdated',
            subject: { typename: 'Member', id: viewer.id },
            collectiveId,
            actorId: viewer.id,
            payload: { memberId: viewer.id, ...next, changed: [...changed] },
          });
        }
      });
      return context.prisma.member.findUniqueOrThrow({ ...query, where: { id: viewer.id } });
    },
  }),
);
