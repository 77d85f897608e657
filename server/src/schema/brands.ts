import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import {
  checkFiling,
  checkHolders,
  holdCollective,
  lockBrand,
  renewalDate,
  requireActiveMembers,
  settlePendingUsageRules,
} from '../domain/brands.js';
import { parisDay } from '../domain/calendar.js';
import type { Tx } from '../domain/collectives.js';
import { readableCollectivesWhere, requireChangeable, VIEWER_CAN_CHANGE } from '../domain/resources.js';
import { changesNothing, sameList } from '../domain/unchanged.js';
import { NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { EventPayloads, EventSubject, EventTypeOf } from '../events/types.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { BrandLegalKind } from '../generated/prisma/enums.js';
import { viewerOf } from './collectives.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { MemberRef } from './members.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded } from './validation.js';

// Common brands (marques communes) of long-term business collectives: their holders and shares, their
// INPI filing, their usage rules (règlement d'usage, versioned, in force once every holder approved)
// and the members authorised to use them. Decisions the rules leave open, taken here:
// - Only long-term business collectives hold brands (DOMAIN.md: "create a common brand" is their work);
//   other kinds are refused with LONG_TERM_BUSINESS_ONLY.
// - Any active member of the collective creates and changes a brand, sets its holders, proposes usage
//   rules and grants or revokes its use; only holders approve usage rules; the proposer or a holder
//   withdraws a pending version.
// - One version at most is pending at a time. A holder who proposes approves at once (so a brand with
//   one holder puts its rules in force on proposal).
// - When the holders change, the pending version is re-evaluated: approvals of former holders are kept
//   but no longer count, new holders must approve, and if every current holder has approved it goes in
//   force then.

export const BrandLegalKindEnum = builder.enumType('BrandLegalKind', {
  description: 'How a brand is protected in law.',
  values: {
    NOT_FILED: { value: 'NOT_FILED', description: 'Not filed (marque non déposée): a name in use, with no INPI filing.' },
    TRADEMARK: { value: 'TRADEMARK', description: 'Ordinary trademark (marque) filed at the INPI, owned by its holders.' },
    COLLECTIVE_MARK: {
      value: 'COLLECTIVE_MARK',
      description: 'Collective mark (marque collective): used by authorised users under the usage rules.',
    },
    CERTIFICATION_MARK: {
      value: 'CERTIFICATION_MARK',
      description: 'Certification mark (marque de certification): certifies characteristics set out in the usage rules.',
    },
  } as const,
});

export const UsageRuleStatusEnum = builder.enumType('UsageRuleStatus', {
  description: 'Where a version of the usage rules (règlement d’usage) stands.',
  values: {
    PENDING: { value: 'PENDING', description: 'Proposed, awaiting the approval of every holder.' },
    IN_FORCE: { value: 'IN_FORCE', description: 'Approved by every holder: the rules that apply now.' },
    SUPERSEDED: { value: 'SUPERSEDED', description: 'Was in force until a later version was.' },
    WITHDRAWN: { value: 'WITHDRAWN', description: 'Withdrawn before every holder approved it.' },
  } as const,
});

// usageRules, currentUsageRules and pendingUsageRules load the same relation with the same arguments,
// so one query serves them all (different arguments would load the relation again for every brand).
const EVERY_VERSION = { orderBy: { version: 'desc' } } as const;
// The same for a version's approvals, read by approvals and missingApprovals.
const APPROVALS: { orderBy: Prisma.BrandUsageRuleApprovalOrderByWithRelationInput[] } = {
  orderBy: [{ approvedAt: 'asc' }, { id: 'asc' }],
};

/** Node lookups find only what the viewer may read, so a hidden brand looks like a missing one. */
const readableBrandWhere = (context: Context) => ({ brand: readableCollectivesWhere(context) });

builder.prismaNode('Brand', {
  description: 'A common brand held by members of a long-term business collective.',
  id: { field: 'id' },
  // A missing or hidden node is null, not an error.
  nullable: true,
  findUnique: (id, context) => ({ id, ...readableCollectivesWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Name of the brand.' }),
    legalKind: t.expose('legalKind', {
      type: BrandLegalKindEnum,
      description: 'Not filed, trademark, collective or certification mark.',
    }),
    inpiNumber: t.exposeString('inpiNumber', {
      nullable: true,
      description: 'INPI national number, digits only (e.g. `5038642`); set once the brand is filed.',
    }),
    filedOn: t.expose('filedOn', { type: 'Date', nullable: true, description: 'Day the brand was filed at the INPI.' }),
    renewalDate: t.field({
      type: 'Date',
      nullable: true,
      description:
        'Day the registration must be renewed: the filing date plus 10 years (a 29 February filing falls due on 28 February). Derived, never stored; null when not filed.',
      select: { filedOn: true },
      resolve: (brand) => renewalDate(brand.filedOn),
    }),
    niceClasses: t.exposeIntList('niceClasses', {
      description: 'Classes of the Nice classification the brand covers (1–45), sorted.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    viewerCanChange: t.boolean({
      description: `${VIEWER_CAN_CHANGE} Its holders and the approval of its usage rules are the holders’ alone.`,
      select: { collectiveId: true },
      resolve: (brand, _args, context) => context.access.changesResourcesOf(brand.collectiveId),
    }),
    viewerIsHolder: t.boolean({
      description: 'Whether the viewer is one of its holders: only they change the holders and approve or withdraw usage rules.',
      select: { collectiveId: true, holders: { select: { memberId: true } } },
      resolve: (brand, _args, context) =>
        context.access.changesResourcesOf(brand.collectiveId) &&
        brand.holders.some((holder) => holder.memberId === context.access.viewer?.id),
    }),
    collective: t.relation('collective', { description: 'The collective that holds the brand.' }),
    holders: t.relation('holders', {
      description: 'The co-owners and their shares, largest first; the shares sum to 10 000 basis points.',
      query: { orderBy: [{ shareBasisPoints: 'desc' }, { id: 'asc' }] },
    }),
    usageRules: t.relation('usageRules', {
      description: 'Every version of the usage rules, newest first.',
      query: EVERY_VERSION,
    }),
    currentUsageRules: t.field({
      type: UsageRulesRef,
      nullable: true,
      description: 'The usage rules in force, if any version has been approved by every holder.',
      select: (_args, _context, nestedSelection) => ({ usageRules: nestedSelection(EVERY_VERSION) }),
      resolve: (brand) => brand.usageRules.find((version) => version.status === 'IN_FORCE') ?? null,
    }),
    pendingUsageRules: t.field({
      type: UsageRulesRef,
      nullable: true,
      description: 'The version awaiting approval, if one is.',
      select: (_args, _context, nestedSelection) => ({ usageRules: nestedSelection(EVERY_VERSION) }),
      resolve: (brand) => brand.usageRules.find((version) => version.status === 'PENDING') ?? null,
    }),
    authorisedUsers: t.relation('authorisedUsers', {
      description: 'Members authorised to use the brand, current ones by default, oldest grant first.',
      args: {
        includeRevoked: t.arg.boolean({ defaultValue: false, description: 'Also list revoked authorisations (history).' }),
      },
      query: (args) => ({
        where: args.includeRevoked ? {} : { revokedAt: null },
        orderBy: [{ grantedAt: 'asc' }, { id: 'asc' }],
      }),
    }),
  }),
});

builder.prismaObject('BrandHolder', {
  description: 'A co-owner of a brand and their share.',
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The holder.' }),
    shareBasisPoints: t.exposeInt('shareBasisPoints', { description: 'Their share, in basis points (10 000 = 100 %).' }),
  }),
});

const UsageRulesRef = builder.prismaNode('BrandUsageRuleVersion', {
  description: 'One version of a brand’s usage rules (règlement d’usage); in force once every holder approved it.',
  id: { field: 'id' },
  // A missing or hidden node is null, not an error.
  nullable: true,
  findUnique: (id, context) => ({ id, ...readableBrandWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'Version number, from 1.' }),
    text: t.exposeString('text', { description: 'The rules, as written.' }),
    status: t.expose('status', { type: UsageRuleStatusEnum, description: 'Pending, in force, superseded or withdrawn.' }),
    proposedAt: t.expose('proposedAt', { type: 'DateTime', description: 'When it was proposed.' }),
    effectiveAt: t.expose('effectiveAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the last holder approved it and it went in force.',
    }),
    proposedBy: t.relation('proposedBy', { description: 'Who proposed it.' }),
    brand: t.relation('brand', { description: 'The brand.' }),
    approvals: t.relation('approvals', {
      description: 'Approvals recorded, oldest first, including those of former holders (which no longer count).',
      query: APPROVALS,
    }),
    missingApprovals: t.field({
      type: [MemberRef],
      description: 'Current holders who have not approved this version yet; empty unless it is pending.',
      select: {
        status: true,
        approvals: APPROVALS,
        brand: { select: { holders: { include: { member: true }, orderBy: [{ shareBasisPoints: 'desc' }, { id: 'asc' }] } } },
      },
      resolve: (version) => {
        if (version.status !== 'PENDING') return [];
        const approved = new Set(version.approvals.map((approval) => approval.memberId));
        return version.brand.holders.filter((holder) => !approved.has(holder.memberId)).map((holder) => holder.member);
      },
    }),
  }),
});

builder.prismaObject('BrandUsageRuleApproval', {
  description: 'A holder’s approval of a version of the usage rules.',
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The holder who approved.' }),
    approvedAt: t.expose('approvedAt', { type: 'DateTime', description: 'When.' }),
  }),
});

builder.prismaNode('BrandAuthorisedUser', {
  description: 'A member authorised to use a brand. Revoking keeps the row, with its revocation date, as history.',
  id: { field: 'id' },
  // A missing or hidden node is null, not an error.
  nullable: true,
  findUnique: (id, context) => ({ id, ...readableBrandWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The authorised member.' }),
    brand: t.relation('brand', { description: 'The brand.' }),
    grantedAt: t.expose('grantedAt', { type: 'DateTime', description: 'When the use was granted.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked, if it was.' }),
    active: t.boolean({
      description: 'Whether the authorisation still holds (not revoked).',
      select: { revokedAt: true },
      resolve: (authorisation) => authorisation.revokedAt === null,
    }),
  }),
});

// ───────────────────────────── Queries ─────────────────────────────

/** A collective ID given as a filter: a global ID of another type matches nothing. */
function collectiveFilter(globalId: { typename: string; id: string } | null | undefined): string | undefined {
  if (!globalId) return undefined;
  return globalId.typename === 'Collective' ? globalId.id : NO_ONE;
}

function brandsWhere(
  context: Context,
  args: { collectiveId?: { typename: string; id: string } | null; legalKind?: BrandLegalKind | null },
): Prisma.BrandWhereInput {
  const collectiveId = collectiveFilter(args.collectiveId);
  return {
    AND: [
      readableCollectivesWhere(context),
      collectiveId ? { collectiveId } : {},
      args.legalKind ? { legalKind: args.legalKind } : {},
    ],
  };
}

const BRAND_ORDER: KeysetOrder = [{ name: 'asc' }, { id: 'asc' }];

builder.queryFields((t) => ({
  brands: keysetConnection(t, {
    type: 'Brand',
    description: 'The brands of the collectives you are in (every collective’s for the support staff), by name.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only this collective’s brands.' }),
      legalKind: t.arg({ type: BrandLegalKindEnum, description: 'Only brands of this legal kind.' }),
    },
    where: (args, context) => brandsWhere(context, args),
    orderBy: () => BRAND_ORDER,
  }),
}));

builder.prismaObjectField('Collective', 'brands', (t) =>
  relatedKeysetConnection(t, 'brands', {
    description: 'The collective’s common brands, by name; listed only to its members and the support staff.',
    where: (_args, context) => readableCollectivesWhere(context),
    orderBy: () => BRAND_ORDER,
  }),
);

// ───────────────────────────── Mutations ─────────────────────────────

const brandName = z.string().trim().min(1, 'Name the brand.').max(120, 'At most 120 characters.');
const inpiNumber = z.string().trim().max(20, 'At most 20 characters.');
/** Each class of the Nice classification; the list's length is bounded for every list (GRAPHQL_MAX_LIST_ITEMS). */
const niceClasses = z.array(bounded('niceClass'));
const rulesText = z.string().trim().min(1, 'Write the rules.').max(50_000, 'At most 50 000 characters.');

const BrandHolderInput = builder.inputType('BrandHolderInput', {
  description: 'A holder of a brand and their share.',
  fields: (t) => ({
    memberId: t.globalID({ required: true, description: 'The holder, an active member of the collective.' }),
    shareBasisPoints: t.int({
      required: true,
      description: 'Their share in basis points (1 to 10 000); all sum to 10 000.',
      validate: bounded('positiveBasisPoints'),
    }),
  }),
});

type HolderInput = { memberId: { typename: string; id: string }; shareBasisPoints: number };

function holdersOf(holders: readonly HolderInput[], field = 'input.holders') {
  return holders.map((holder, index) => ({
    memberId: idOf(holder.memberId, 'Member', `${field}.${index}.memberId`),
    shareBasisPoints: holder.shareBasisPoints,
  }));
}

/** Loads and locks a brand the viewer may change: outsiders get not-found, the support staff forbidden. */
async function changeableBrand(tx: Tx, context: Context, globalId: { typename: string; id: string }, field: string) {
  const id = idOf(globalId, 'Brand', field);
  const found = await tx.brand.findUnique({ where: { id }, select: { collectiveId: true } });
  if (!found) throw new NotFoundError(field, 'Brand');
  requireChangeable(context, found.collectiveId, field, 'brand');
  return lockBrand(tx, id, field);
}

/** Loads a usage-rule version the viewer may change, and locks its brand. */
async function changeableVersion(tx: Tx, context: Context, globalId: { typename: string; id: string }, field: string) {
  const id = idOf(globalId, 'BrandUsageRuleVersion', field);
  const found = await tx.brandUsageRuleVersion.findUnique({
    where: { id },
    select: { brand: { select: { id: true, collectiveId: true } } },
  });
  if (!found) throw new NotFoundError(field, 'BrandUsageRuleVersion');
  requireChangeable(context, found.brand.collectiveId, field, 'brand');
  const brand = await lockBrand(tx, found.brand.id, field);
  return { brand, version: await tx.brandUsageRuleVersion.findUniqueOrThrow({ where: { id } }) };
}

async function isHolder(tx: Tx, brandId: string, memberId: string): Promise<boolean> {
  return (await tx.brandHolder.count({ where: { brandId, memberId } })) > 0;
}

function brandEvent<T extends EventTypeOf<'brand'>>(
  tx: Tx,
  type: T,
  subject: { typename: EventSubject<T>; id: string },
  collectiveId: string,
  actorId: string,
  payload: EventPayloads[T],
) {
  return recordEvent(tx, { type, subject, collectiveId, actorId, payload });
}

const day = (date: Date | null) => date?.toISOString().slice(0, 10) ?? null;

const UsageRulesVersionInput = builder.inputType('UsageRulesVersionInput', {
  description: 'Names a version of a brand’s usage rules.',
  fields: (f) => ({ versionId: f.globalID({ required: true, description: 'The version.' }) }),
});

builder.mutationFields((t) => ({
  createBrand: t.prismaField({
    type: 'Brand',
    description: 'Creates a common brand in a long-term business collective, with its holders and, once filed, its INPI filing.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreateBrandInput', {
          description: 'A new brand.',
          fields: (f) => ({
            collectiveId: f.globalID({ required: true, description: 'The long-term business collective.' }),
            name: f.string({ required: true, description: 'Name of the brand.', validate: brandName }),
            legalKind: f.field({ type: BrandLegalKindEnum, description: 'Legal kind; not filed by default.' }),
            inpiNumber: f.string({
              description: 'INPI national number, required once filed; spaces are ignored (`5 038 642`).',
              validate: inpiNumber,
            }),
            filedOn: f.field({ type: 'Date', description: 'Filing day, required once filed; not in the future.' }),
            niceClasses: f.intList({
              description: 'Nice classes (1 to 45, each once); at least one once filed.',
              validate: niceClasses,
            }),
            holders: f.field({
              type: [BrandHolderInput],
              required: true,
              description: 'The holders (at least one, active members of the collective) and their shares, summing to 10 000.',
            }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const collectiveId = idOf(input.collectiveId, 'Collective', 'input.collectiveId');
        requireChangeable(context, collectiveId, 'input.collectiveId', 'collective');
        await holdCollective(tx, collectiveId);
        const collective = await tx.collective.findUnique({ where: { id: collectiveId } });
        if (!collective) throw new NotFoundError('input.collectiveId', 'Collective');
        if (collective.kind !== 'BUSINESS' || collective.horizon !== 'LONG_TERM')
          throw new RuleViolationError('input.collectiveId', 'LONG_TERM_BUSINESS_ONLY');
        const filing = checkFiling(
          {
            legalKind: input.legalKind ?? 'NOT_FILED',
            inpiNumber: input.inpiNumber ?? null,
            filedOn: input.filedOn ?? null,
            niceClasses: input.niceClasses ?? [],
          },
          parisDay(now),
        );
        const holders = holdersOf(input.holders);
        checkHolders(holders);
        await requireActiveMembers(
          tx,
          collectiveId,
          holders.map((holder) => holder.memberId),
          (index) => `input.holders.${index}.memberId`,
        );
        const brand = await tx.brand.create({
          data: { collectiveId, name: input.name, ...filing, holders: { create: holders } },
        });
        await brandEvent(tx, 'brand.created', { typename: 'Brand', id: brand.id }, collectiveId, viewer.id, {
          name: brand.name,
          legalKind: brand.legalKind,
          inpiNumber: brand.inpiNumber,
          filedOn: day(brand.filedOn),
          niceClasses: brand.niceClasses,
          holders,
        });
        return brand.id;
      });
      return context.prisma.brand.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  updateBrand: t.prismaField({
    type: 'Brand',
    description:
      'Changes a brand’s name or filing. Omitted fields stay; null clears the INPI number or filing date (a brand not filed has neither).',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('UpdateBrandInput', {
          description: 'Changes to a brand; omitted fields stay as they are.',
          fields: (f) => ({
            id: f.globalID({ required: true, description: 'The brand.' }),
            name: f.string({ description: 'New name.', validate: brandName }),
            legalKind: f.field({ type: BrandLegalKindEnum, description: 'New legal kind.' }),
            inpiNumber: f.string({ description: 'New INPI national number; null clears it.', validate: inpiNumber }),
            filedOn: f.field({ type: 'Date', description: 'New filing day; null clears it.' }),
            niceClasses: f.intList({
              description: 'New Nice classes (1 to 45, each once), replacing the old ones.',
              validate: niceClasses,
            }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const brand = await changeableBrand(tx, context, input.id, 'input.id');
        const filing = checkFiling(
          {
            legalKind: input.legalKind ?? brand.legalKind,
            inpiNumber: input.inpiNumber === undefined ? brand.inpiNumber : input.inpiNumber,
            filedOn: input.filedOn === undefined ? brand.filedOn : input.filedOn,
            niceClasses: input.niceClasses ?? brand.niceClasses,
          },
          parisDay(now),
        );
        const data = { name: input.name ?? brand.name, ...filing };
        if (changesNothing(brand, data)) return brand.id;
        const updated = await tx.brand.update({ where: { id: brand.id }, data });
        await brandEvent(tx, 'brand.updated', { typename: 'Brand', id: brand.id }, brand.collectiveId, viewer.id, {
          name: updated.name,
          legalKind: updated.legalKind,
          inpiNumber: updated.inpiNumber,
          filedOn: day(updated.filedOn),
          niceClasses: updated.niceClasses,
        });
        return brand.id;
      });
      return context.prisma.brand.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  setBrandHolders: t.prismaField({
    type: 'Brand',
    description:
      'Replaces a brand’s holders and shares (its holders only: NOT_A_BRAND_HOLDER otherwise). A pending version of the usage rules is re-evaluated: approvals of former holders no longer count, new holders must approve, and it goes in force if every current holder already has.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SetBrandHoldersInput', {
          description: 'A brand and its new holders.',
          fields: (f) => ({
            brandId: f.globalID({ required: true, description: 'The brand.' }),
            holders: f.field({
              type: [BrandHolderInput],
              required: true,
              description: 'Every holder (at least one, active members of the collective) and their shares, summing to 10 000.',
            }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const brand = await changeableBrand(tx, context, input.brandId, 'input.brandId');
        // The holders own the brand: another member of the collective could otherwise make themselves its owner.
        if (!(await isHolder(tx, brand.id, viewer.id))) throw new RuleViolationError('input.brandId', 'NOT_A_BRAND_HOLDER');
        const holders = holdersOf(input.holders);
        checkHolders(holders);
        await holdCollective(tx, brand.collectiveId);
        await requireActiveMembers(
          tx,
          brand.collectiveId,
          holders.map((holder) => holder.memberId),
          (index) => `input.holders.${index}.memberId`,
        );
        // Its holders and shares as they are (any order): nothing written, no event.
        const current = await tx.brandHolder.findMany({
          where: { brandId: brand.id },
          select: { memberId: true, shareBasisPoints: true },
        });
        if (sameList(current, holders, (holder) => holder.memberId)) return brand.id;
        await tx.brandHolder.deleteMany({ where: { brandId: brand.id } });
        await tx.brandHolder.createMany({ data: holders.map((holder) => ({ ...holder, brandId: brand.id })) });
        const usageRules = await settlePendingUsageRules(tx, brand.id, now);
        await brandEvent(tx, 'brand.holdersSet', { typename: 'Brand', id: brand.id }, brand.collectiveId, viewer.id, {
          holders,
          pendingUsageRules: usageRules,
        });
        return brand.id;
      });
      return context.prisma.brand.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  proposeUsageRules: t.prismaField({
    type: 'BrandUsageRuleVersion',
    description:
      'Proposes a new version of a brand’s usage rules (any active member of the collective). It waits for every holder’s approval; a holder who proposes approves at once. One version at most is pending.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('ProposeUsageRulesInput', {
          description: 'A brand and the text of its new usage rules.',
          fields: (f) => ({
            brandId: f.globalID({ required: true, description: 'The brand.' }),
            text: f.string({ required: true, description: 'The full text of the new version.', validate: rulesText }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const brand = await changeableBrand(tx, context, input.brandId, 'input.brandId');
        if (await tx.brandUsageRuleVersion.count({ where: { brandId: brand.id, status: 'PENDING' } }))
          throw new RuleViolationError('input.brandId', 'USAGE_RULES_ALREADY_PENDING');
        const last = await tx.brandUsageRuleVersion.aggregate({ where: { brandId: brand.id }, _max: { version: true } });
        const version = await tx.brandUsageRuleVersion.create({
          data: {
            brandId: brand.id,
            version: (last._max.version ?? 0) + 1,
            text: input.text,
            status: 'PENDING',
            proposedById: viewer.id,
            proposedAt: now,
          },
        });
        if (await isHolder(tx, brand.id, viewer.id)) {
          await tx.brandUsageRuleApproval.create({ data: { versionId: version.id, memberId: viewer.id, approvedAt: now } });
        }
        const status = await settlePendingUsageRules(tx, brand.id, now);
        await brandEvent(
          tx,
          'brand.usageRulesProposed',
          { typename: 'BrandUsageRuleVersion', id: version.id },
          brand.collectiveId,
          viewer.id,
          { brandId: brand.id, version: version.version, status },
        );
        return version.id;
      });
      return context.prisma.brandUsageRuleVersion.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  approveUsageRules: t.prismaField({
    type: 'BrandUsageRuleVersion',
    description:
      'Records your approval, as a holder, of a pending version of the usage rules. When the last holder approves, it goes in force and the version in force until then is superseded.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ required: true, type: UsageRulesVersionInput }) },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const { brand, version } = await changeableVersion(tx, context, input.versionId, 'input.versionId');
        if (version.status !== 'PENDING') throw new RuleViolationError('input.versionId', 'USAGE_RULES_NOT_PENDING');
        if (!(await isHolder(tx, brand.id, viewer.id))) throw new RuleViolationError('input.versionId', 'NOT_A_BRAND_HOLDER');
        if (await tx.brandUsageRuleApproval.count({ where: { versionId: version.id, memberId: viewer.id } }))
          throw new RuleViolationError('input.versionId', 'USAGE_RULES_ALREADY_APPROVED');
        await tx.brandUsageRuleApproval.create({ data: { versionId: version.id, memberId: viewer.id, approvedAt: now } });
        const status = await settlePendingUsageRules(tx, brand.id, now);
        await brandEvent(
          tx,
          'brand.usageRulesApproved',
          { typename: 'BrandUsageRuleVersion', id: version.id },
          brand.collectiveId,
          viewer.id,
          { brandId: brand.id, version: version.version, status, effectiveAt: status === 'IN_FORCE' ? now.toISOString() : null },
        );
        return version.id;
      });
      return context.prisma.brandUsageRuleVersion.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  withdrawUsageRules: t.prismaField({
    type: 'BrandUsageRuleVersion',
    description: 'Withdraws a pending version of the usage rules (its proposer or a holder). Kept as history.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ required: true, type: UsageRulesVersionInput }) },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const id = await context.prisma.$transaction(async (tx) => {
        const { brand, version } = await changeableVersion(tx, context, input.versionId, 'input.versionId');
        if (version.status !== 'PENDING') throw new RuleViolationError('input.versionId', 'USAGE_RULES_NOT_PENDING');
        if (version.proposedById !== viewer.id && !(await isHolder(tx, brand.id, viewer.id)))
          throw new RuleViolationError('input.versionId', 'NOT_A_BRAND_HOLDER');
        await tx.brandUsageRuleVersion.update({ where: { id: version.id }, data: { status: 'WITHDRAWN' } });
        await brandEvent(
          tx,
          'brand.usageRulesWithdrawn',
          { typename: 'BrandUsageRuleVersion', id: version.id },
          brand.collectiveId,
          viewer.id,
          { brandId: brand.id, version: version.version, status: 'WITHDRAWN' },
        );
        return version.id;
      });
      return context.prisma.brandUsageRuleVersion.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  grantBrandUse: t.prismaField({
    type: 'BrandAuthorisedUser',
    description: 'Authorises an active member of the cooperative to use a brand (any active member of its collective decides).',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('GrantBrandUseInput', {
          description: 'A brand and the member to authorise.',
          fields: (f) => ({
            brandId: f.globalID({ required: true, description: 'The brand.' }),
            memberId: f.globalID({ required: true, description: 'The member, active in the cooperative.' }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const brand = await changeableBrand(tx, context, input.brandId, 'input.brandId');
        const member = await tx.member.findUnique({ where: { id: idOf(input.memberId, 'Member', 'input.memberId') } });
        if (!member) throw new NotFoundError('input.memberId', 'Member');
        if (member.situation !== 'ACTIVE') throw new RuleViolationError('input.memberId', 'MEMBER_NOT_ACTIVE');
        if (await tx.brandAuthorisedUser.count({ where: { brandId: brand.id, memberId: member.id, revokedAt: null } }))
          throw new RuleViolationError('input.memberId', 'BRAND_USE_ALREADY_GRANTED');
        const authorisation = await tx.brandAuthorisedUser.create({
          data: { brandId: brand.id, memberId: member.id, grantedAt: now },
        });
        await brandEvent(
          tx,
          'brand.useGranted',
          { typename: 'BrandAuthorisedUser', id: authorisation.id },
          brand.collectiveId,
          viewer.id,
          { brandId: brand.id, memberId: member.id, grantedAt: now.toISOString() },
        );
        return authorisation.id;
      });
      return context.prisma.brandAuthorisedUser.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  revokeBrandUse: t.prismaField({
    type: 'BrandAuthorisedUser',
    description: 'Revokes an authorisation to use a brand. The authorisation is kept, with its revocation date.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RevokeBrandUseInput', {
          description: 'The authorisation to revoke.',
          fields: (f) => ({ authorisationId: f.globalID({ required: true, description: 'The authorisation.' }) }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const authorisationId = idOf(input.authorisationId, 'BrandAuthorisedUser', 'input.authorisationId');
        const found = await tx.brandAuthorisedUser.findUnique({
          where: { id: authorisationId },
          select: { brand: { select: { id: true, collectiveId: true } } },
        });
        if (!found) throw new NotFoundError('input.authorisationId', 'BrandAuthorisedUser');
        requireChangeable(context, found.brand.collectiveId, 'input.authorisationId', 'brand');
        const brand = await lockBrand(tx, found.brand.id, 'input.authorisationId');
        const authorisation = await tx.brandAuthorisedUser.findUniqueOrThrow({ where: { id: authorisationId } });
        if (authorisation.revokedAt) throw new RuleViolationError('input.authorisationId', 'BRAND_USE_ALREADY_REVOKED');
        await tx.brandAuthorisedUser.update({ where: { id: authorisationId }, data: { revokedAt: now } });
        await brandEvent(
          tx,
          'brand.useRevoked',
          { typename: 'BrandAuthorisedUser', id: authorisationId },
          brand.collectiveId,
          viewer.id,
          { brandId: brand.id, memberId: authorisation.memberId, revokedAt: now.toISOString() },
        );
        return authorisationId;
      });
      return context.prisma.brandAuthorisedUser.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));
