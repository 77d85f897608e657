import { encodeGlobalID } from '@pothos/plugin-relay';
import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { readableCollectivesWhere } from '../domain/resources.js';
import * as tools from '../domain/sector-tools.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { PriceUnit, ReferralStatus, ServiceExchangeStatus } from '../generated/prisma/enums.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { documentedEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded, text } from './validation.js';

// The tools of a sector collective: price references, supplier recommendations, service exchanges
// and referrals. The rules live in domain/sector-tools.ts.

export const PriceUnitEnum = documentedEnum('PriceUnit', 'What an observed price is charged for.', {
  HOUR: 'Per hour (à l’heure).',
  DAY: 'Per day (à la journée, le jour).',
  WORD: 'Per word (au mot), as in writing and translation.',
  FLAT: 'A flat fee for the whole service (au forfait).',
});

export const ServiceExchangeStatusEnum = documentedEnum('ServiceExchangeStatus', 'Where a free service exchange stands.', {
  OFFERED: 'Offered by its provider; waits for a member to accept it.',
  ACCEPTED: 'Accepted by its beneficiary; to be done.',
  DONE: 'Done, as marked by the provider or the beneficiary.',
  CANCELLED: 'Withdrawn by the provider, or cancelled by either party after acceptance.',
});

export const ReferralStatusEnum = documentedEnum('ReferralStatus', 'Where a referral (prescription) stands.', {
  PROPOSED: 'Proposed by the referrer; the recipient has not answered yet.',
  ACCEPTED: 'The recipient takes the client on.',
  QUOTED: 'The recipient sent the client a quote; its amount is known.',
  SIGNED: 'The client signed; the amount is the signed one.',
  LOST: 'Declined by the recipient, or the client did not sign the quote.',
});

const ReferralDirectionEnum = documentedEnum('ReferralDirection', 'Which side of a referral the viewer is on.', {
  SENT: 'Referrals the viewer made.',
  RECEIVED: 'Referrals made to the viewer.',
});

// ───────────────────────────── Node types ─────────────────────────────

export const PriceReferenceRef = builder.prismaNode('PriceReference', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description:
    'Prices observed among the members of a sector collective for one service: minimum, median and maximum over a ' +
    'sample of at least 3 observations and a past period. Observed and non-binding, never a price grid: a grid that ' +
    'members had to apply would be a cartel under competition law (price fixing, French Commercial Code art. L420-1, ' +
    'TFEU art. 101). Every member sets their own prices freely; always show `notice` with the figures.',
  id: { field: 'id' },
  findUnique: (id, context) => ({ id, ...readableCollectivesWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    service: t.exposeString('service', { description: 'The service the prices are for, e.g. `Relecture-correction`.' }),
    unit: t.expose('unit', { type: PriceUnitEnum, description: 'What the prices are charged for: hour, day, word or flat fee.' }),
    minCents: t.exposeInt('minCents', { description: 'Lowest observed price, in cents excluding VAT.' }),
    medianCents: t.exposeInt('medianCents', { description: 'Median observed price, in cents excluding VAT.' }),
    maxCents: t.exposeInt('maxCents', { description: 'Highest observed price, in cents excluding VAT.' }),
    sampleSize: t.exposeInt('sampleSize', {
      description: `How many prices were observed (at least ${tools.MIN_PRICE_SAMPLE}, so no one's own prices show).`,
    }),
    periodStart: t.expose('periodStart', { type: 'Date', description: 'First day of the observation period.' }),
    periodEnd: t.expose('periodEnd', { type: 'Date', description: 'Last day of the observation period (today at the latest).' }),
    notice: t.string({
      description: 'The fixed French notice to show with the figures: observed, indicative, non-binding prices.',
      resolve: () => tools.PRICE_NOTICE,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    createdBy: t.relation('createdBy', { description: 'Who recorded it.' }),
    collective: t.relation('collective', { description: 'The sector collective it belongs to.' }),
  }),
});

export const SupplierRecommendationRef = builder.prismaNode('SupplierRecommendation', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description:
    'A supplier a member recommends to their sector collective, with a rating. One per member, supplier and category ' +
    'in a collective, so each member counts once in an average.',
  id: { field: 'id' },
  findUnique: (id, context) => ({ id, ...readableCollectivesWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    supplierName: t.exposeString('supplierName', { description: 'The supplier, e.g. `Imprimerie Dupont`.' }),
    category: t.exposeString('category', { description: 'What the supplier provides, e.g. `Impression`.' }),
    rating: t.exposeInt('rating', { description: 'From 1 (avoid) to 5 (excellent).' }),
    comment: t.exposeString('comment', { description: 'Why, in the member’s words (may be empty).' }),
    recommendedAt: t.expose('recommendedAt', { type: 'DateTime', description: 'When it was made or last revised.' }),
    recommendedBy: t.relation('recommendedBy', { description: 'Who recommends the supplier.' }),
    collective: t.relation('collective', { description: 'The sector collective it was made in.' }),
  }),
});

export const ServiceExchangeRef = builder.prismaNode('ServiceExchange', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description:
    'A free service one member (the provider) gives another (the beneficiary) in a sector collective. ' +
    'Offered → accepted (by the beneficiary) → done (by either party); an offer may be withdrawn by its provider, ' +
    'an accepted service cancelled by either party.',
  id: { field: 'id' },
  findUnique: (id, context) => ({ id, ...readableCollectivesWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    description: t.exposeString('description', { description: 'What the service is.' }),
    hours: t.float({
      description: 'How long it takes, in hours: a multiple of 0.25, more than 0 and at most 100.',
      resolve: (exchange) => exchange.hours.toNumber(),
    }),
    status: t.expose('status', { type: ServiceExchangeStatusEnum, description: 'Offered, accepted, done or cancelled.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was offered.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    provider: t.relation('provider', { description: 'The member who gives the service.' }),
    beneficiary: t.relation('beneficiary', {
      nullable: true,
      description: 'The member who receives it: set on acceptance, or named by the offer; null while open to all.',
    }),
    collective: t.relation('collective', { description: 'The sector collective it takes place in.' }),
  }),
});

export const ReferralRef = builder.prismaNode('Referral', {
  // node(id) answers null for an ID that names nothing (or nothing the viewer may see).
  nullable: true,
  description:
    'A client referred by one member to another (prescription): proposed → accepted → quoted → signed or lost; ' +
    'a proposal may also be declined (lost). Only the recipient moves it on. Made in a sector collective (seen by its ' +
    'active members) or outside any (seen by its two members); the support staff see all.',
  id: { field: 'id' },
  findUnique: (id, context) => ({ id, ...tools.visibleReferralsWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    clientName: t.exposeString('clientName', { description: 'The client referred.' }),
    description: t.exposeString('description', { description: 'What the client needs (may be empty).' }),
    status: t.expose('status', { type: ReferralStatusEnum, description: 'Proposed, accepted, quoted, signed or lost.' }),
    amountCents: t.exposeInt('amountCents', {
      nullable: true,
      description: 'The quoted, then signed, amount in cents excluding VAT; null before a quote.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was proposed.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    fromMember: t.relation('fromMember', { description: 'The member who refers the client.' }),
    toMember: t.relation('toMember', { description: 'The member the client is referred to.' }),
    collective: t.relation('collective', {
      nullable: true,
      description: 'The sector collective it was made in; null for a referral made outside any.',
    }),
  }),
});

const SupplierRatingRef = builder.objectRef<tools.SupplierRating>('SupplierRating').implement({
  description: 'The average rating of one supplier in one category, over the recommendations of a collective.',
  fields: (t) => ({
    supplierName: t.exposeString('supplierName', { description: 'The supplier, as first spelled.' }),
    category: t.exposeString('category', { description: 'The category, as first spelled.' }),
    averageRating: t.exposeFloat('averageRating', { description: 'Mean of the ratings, from 1 to 5 (not rounded).' }),
    count: t.exposeInt('count', { description: 'How many members rated it.' }),
  }),
});

// ───────────────────────────── Lists ─────────────────────────────

const PRICE_ORDER: KeysetOrder = [{ service: 'asc' }, { unit: 'asc' }, { periodEnd: 'desc' }, { id: 'asc' }];
const RECOMMENDATION_ORDER: KeysetOrder = [{ recommendedAt: 'desc' }, { id: 'asc' }];
const SERVICE_ORDER: KeysetOrder = [{ createdAt: 'desc' }, { id: 'asc' }];
const REFERRAL_ORDER: KeysetOrder = [{ updatedAt: 'desc' }, { id: 'asc' }];

/** A collective filter from a global ID; one naming something else matches nothing (no error in a list). */
function collectiveFilter(globalId: { typename: string; id: string } | null | undefined): { collectiveId?: string } {
  if (!globalId) return {};
  const valid = globalId.typename === 'Collective' && /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(globalId.id);
  return { collectiveId: valid ? globalId.id : NO_ONE };
}

/** Words that must all appear in `field`, in any case. */
function wordsIn<K extends string>(field: K, search: string | null | undefined) {
  const words = search?.trim().split(/\s+/).filter(Boolean) ?? [];
  return words.map((word) => ({ [field]: { contains: word, mode: 'insensitive' as const } }) as Record<K, Prisma.StringFilter>);
}

type CollectiveArg = { collectiveId?: { typename: string; id: string } | null };

function priceReferencesWhere(
  args: CollectiveArg & { service?: string | null; unit?: PriceUnit | null },
  context: Context,
): Prisma.PriceReferenceWhereInput {
  return {
    AND: [
      readableCollectivesWhere(context),
      collectiveFilter(args.collectiveId),
      ...(args.unit ? [{ unit: args.unit }] : []),
      ...wordsIn('service', args.service),
    ],
  };
}

function recommendationsWhere(
  args: CollectiveArg & { category?: string | null },
  context: Context,
): Prisma.SupplierRecommendationWhereInput {
  const category = args.category?.trim();
  return {
    AND: [
      readableCollectivesWhere(context),
      collectiveFilter(args.collectiveId),
      ...(category ? [{ category: { equals: category, mode: 'insensitive' as const } }] : []),
    ],
  };
}

function servicesWhere(
  args: CollectiveArg & { status?: ServiceExchangeStatus | null },
  context: Context,
): Prisma.ServiceExchangeWhereInput {
  return {
    AND: [
      readableCollectivesWhere(context),
      collectiveFilter(args.collectiveId),
      ...(args.status ? [{ status: args.status }] : []),
    ],
  };
}

function referralsWhere(
  args: CollectiveArg & { status?: ReferralStatus | null; direction?: 'SENT' | 'RECEIVED' | null },
  context: Context,
): Prisma.ReferralWhereInput {
  const viewerId = context.access.viewer?.id ?? NO_ONE;
  return {
    AND: [
      tools.visibleReferralsWhere(context),
      collectiveFilter(args.collectiveId),
      ...(args.status ? [{ status: args.status }] : []),
      ...(args.direction === 'SENT' ? [{ fromMemberId: viewerId }] : []),
      ...(args.direction === 'RECEIVED' ? [{ toMemberId: viewerId }] : []),
    ],
  };
}

builder.queryFields((t) => ({
  priceReferences: keysetConnection(t, {
    type: 'PriceReference',
    description:
      'Observed, non-binding prices of the sector collectives you belong to (all of them for the support staff), by service.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only this collective’s.' }),
      service: t.arg.string({ description: 'Words found in the service, any case.' }),
      unit: t.arg({ type: PriceUnitEnum, description: 'Only prices charged in this unit.' }),
    },
    where: (args, context) => priceReferencesWhere(args, context),
    orderBy: () => PRICE_ORDER,
  }),
  supplierRecommendations: keysetConnection(t, {
    type: 'SupplierRecommendation',
    description: 'Supplier recommendations of the sector collectives you belong to (all for the support staff), newest first.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only this collective’s.' }),
      category: t.arg.string({ description: 'Only this category, any case.' }),
    },
    where: (args, context) => recommendationsWhere(args, context),
    orderBy: () => RECOMMENDATION_ORDER,
  }),
  supplierRatings: t.field({
    type: [SupplierRatingRef],
    description: 'Average rating per supplier and category in a collective, best first. Empty for a collective you may not read.',
    args: {
      collectiveId: t.arg.globalID({ required: true, description: 'The sector collective.' }),
      category: t.arg.string({ description: 'Only this category, any case.' }),
    },
    resolve: async (_root, args, context) =>
      tools.aggregateRatings(
        await context.prisma.supplierRecommendation.findMany({
          where: recommendationsWhere(args, context),
          select: { supplierName: true, category: true, rating: true },
          orderBy: [{ recommendedAt: 'asc' }, { id: 'asc' }],
        }),
      ),
  }),
  serviceExchanges: keysetConnection(t, {
    type: 'ServiceExchange',
    description: 'Service exchanges of the sector collectives you belong to (all for the support staff), newest first.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only this collective’s.' }),
      status: t.arg({ type: ServiceExchangeStatusEnum, description: 'Only this status.' }),
    },
    where: (args, context) => servicesWhere(args, context),
    orderBy: () => SERVICE_ORDER,
  }),
  referrals: keysetConnection(t, {
    type: 'Referral',
    description:
      'Referrals you made or received, and those of the sector collectives you belong to (all for the support staff), ' +
      'most recently changed first.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only those made in this collective.' }),
      status: t.arg({ type: ReferralStatusEnum, description: 'Only this status.' }),
      direction: t.arg({ type: ReferralDirectionEnum, description: 'Only those you made, or only those made to you.' }),
    },
    where: (args, context) => referralsWhere(args, context),
    orderBy: () => REFERRAL_ORDER,
  }),
}));

builder.prismaObjectField('Collective', 'priceReferences', (t) =>
  relatedKeysetConnection(t, 'priceReferences', {
    description: 'Observed, non-binding prices (sector collectives; for its active members and the support staff).',
    where: (_args, context) => readableCollectivesWhere(context),
    orderBy: () => PRICE_ORDER,
  }),
);

builder.prismaObjectField('Collective', 'supplierRecommendations', (t) =>
  relatedKeysetConnection(t, 'supplierRecs', {
    description: 'Supplier recommendations, newest first (sector collectives; for its active members and the support staff).',
    where: (_args, context) => readableCollectivesWhere(context),
    orderBy: () => RECOMMENDATION_ORDER,
  }),
);

builder.prismaObjectField('Collective', 'serviceExchanges', (t) =>
  relatedKeysetConnection(t, 'serviceExchanges', {
    description: 'Service exchanges, newest first (sector collectives; for its active members and the support staff).',
    where: (_args, context) => readableCollectivesWhere(context),
    orderBy: () => SERVICE_ORDER,
  }),
);

builder.prismaObjectField('Collective', 'referrals', (t) =>
  relatedKeysetConnection(t, 'referrals', {
    description:
      'Referrals made in this collective, most recently changed first (for its active members, the two members of each, ' +
      'and the support staff).',
    where: (_args, context) => tools.visibleReferralsWhere(context),
    orderBy: () => REFERRAL_ORDER,
  }),
);

// ───────────────────────────── Mutations ─────────────────────────────

const service = text(2, 120);
const shortName = z.string().trim().min(1, 'Required.').max(120, 'At most 120 characters.');
const category = z.string().trim().min(1, 'Required.').max(80, 'At most 80 characters.');
const longText = (max: number) => z.string().trim().max(max, `At most ${max} characters.`);
const description = z.string().trim().min(1, 'Say what the service is.').max(2000, 'At most 2000 characters.');

const IdInput = (name: string, what: string) =>
  builder.inputType(name, {
    description: `Names a ${what}.`,
    fields: (t) => ({ id: t.globalID({ required: true, description: `The ${what}.` }) }),
  });

const price = bounded('positiveAmountCents');
const PRICE = `in cents excluding VAT (${describeBound(BOUNDS.positiveAmountCents)})`;
const sample = bounded('priceSample');
const SAMPLE = describeBound(BOUNDS.priceSample);
const rating = bounded('rating');

const CreatePriceReferenceInput = builder.inputType('CreatePriceReferenceInput', {
  description: `Prices observed in a sector collective: min ≤ median ≤ max, over at least ${tools.MIN_PRICE_SAMPLE} observations and a past period.`,
  fields: (t) => ({
    collectiveId: t.globalID({ required: true, description: 'The sector collective.' }),
    service: t.string({ required: true, description: 'The service the prices are for.', validate: service }),
    unit: t.field({ type: PriceUnitEnum, required: true, description: 'Hour, day, word or flat fee.' }),
    minCents: t.int({ required: true, description: `Lowest observed price, ${PRICE}.`, validate: price }),
    medianCents: t.int({ required: true, description: `Median observed price, ${PRICE}.`, validate: price }),
    maxCents: t.int({ required: true, description: `Highest observed price, ${PRICE}.`, validate: price }),
    sampleSize: t.int({ required: true, description: `How many prices were observed (${SAMPLE}).`, validate: sample }),
    periodStart: t.field({ type: 'Date', required: true, description: 'First day of the observation period.' }),
    periodEnd: t.field({ type: 'Date', required: true, description: 'Last day of the observation period, today at the latest.' }),
  }),
});

const UpdatePriceReferenceInput = builder.inputType('UpdatePriceReferenceInput', {
  description: 'Corrections to a price reference; omitted fields stay as they are. The same rules apply.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The price reference.' }),
    service: t.string({ description: 'New service.', validate: service }),
    unit: t.field({ type: PriceUnitEnum, description: 'New unit.' }),
    minCents: t.int({ description: `New lowest price, ${PRICE}.`, validate: price }),
    medianCents: t.int({ description: `New median price, ${PRICE}.`, validate: price }),
    maxCents: t.int({ description: `New highest price, ${PRICE}.`, validate: price }),
    sampleSize: t.int({ description: `New number of observations (${SAMPLE}).`, validate: sample }),
    periodStart: t.field({ type: 'Date', description: 'New first day.' }),
    periodEnd: t.field({ type: 'Date', description: 'New last day.' }),
  }),
});

const RecommendSupplierInput = builder.inputType('RecommendSupplierInput', {
  description: 'A supplier you recommend to a sector collective, once per supplier and category.',
  fields: (t) => ({
    collectiveId: t.globalID({ required: true, description: 'The sector collective.' }),
    supplierName: t.string({ required: true, description: 'The supplier.', validate: shortName }),
    category: t.string({ required: true, description: 'What it provides, e.g. `Impression`.', validate: category }),
    rating: t.int({ required: true, description: 'From 1 (avoid) to 5 (excellent).', validate: rating }),
    comment: t.string({ description: 'Why (optional).', validate: longText(2000) }),
  }),
});

const UpdateSupplierRecommendationInput = builder.inputType('UpdateSupplierRecommendationInput', {
  description: 'Your revised recommendation; omitted fields stay as they are.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The recommendation.' }),
    category: t.string({ description: 'New category.', validate: category }),
    rating: t.int({ description: 'New rating, from 1 to 5.', validate: rating }),
    comment: t.string({ description: 'New comment.', validate: longText(2000) }),
  }),
});

const OfferServiceInput = builder.inputType('OfferServiceInput', {
  description: 'A free service you offer in a sector collective.',
  fields: (t) => ({
    collectiveId: t.globalID({ required: true, description: 'The sector collective.' }),
    description: t.string({ required: true, description: 'What the service is.', validate: description }),
    hours: t.float({
      required: true,
      description: `How long it takes (${describeBound(BOUNDS.serviceHours)}), in quarter-hours (0.25).`,
      validate: bounded('serviceHours'),
    }),
    beneficiaryId: t.globalID({
      description: 'The one active member of the collective it is for; omit to offer it to every member.',
    }),
  }),
});

const CreateReferralInput = builder.inputType('CreateReferralInput', {
  description: 'A client you refer to another active member, in a sector collective or outside any.',
  fields: (t) => ({
    toMemberId: t.globalID({
      required: true,
      description: 'The member you refer the client to (not yourself; active in the collective, if one is given).',
    }),
    clientName: t.string({
      required: true,
      description: 'The client.',
      validate: z.string().trim().min(1, 'Required.').max(200),
    }),
    description: t.string({ description: 'What the client needs (optional).', validate: longText(4000) }),
    collectiveId: t.globalID({
      description: 'The sector collective it is made in; omit for a referral between two members only.',
    }),
  }),
});

const ChangeReferralStatusInput = builder.inputType('ChangeReferralStatusInput', {
  description:
    'The next status of a referral you received: PROPOSED → ACCEPTED or LOST (declined); ACCEPTED → QUOTED (with ' +
    'its amount); QUOTED → SIGNED (keeps the quoted amount or takes a new one) or LOST.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The referral.' }),
    status: t.field({ type: ReferralStatusEnum, required: true, description: 'The new status.' }),
    amountCents: t.int({
      description: `In cents excluding VAT (${describeBound(BOUNDS.positiveAmountCents)}): required for QUOTED, optional for SIGNED, refused otherwise.`,
      validate: bounded('positiveAmountCents'),
    }),
  }),
});

const ServiceExchangeInput = IdInput('ServiceExchangeRefInput', 'service exchange');

/** Runs a change in one transaction; the caller reloads the row with the client's selection afterwards. */
function transact<T>(context: Context, work: (tx: Prisma.TransactionClient, now: Date) => Promise<T>): Promise<T> {
  return context.prisma.$transaction((tx) => work(tx, new Date()));
}

builder.mutationFields((t) => ({
  createPriceReference: t.prismaField({
    type: 'PriceReference',
    description: 'Records prices observed in a sector collective (its active members). Observed and non-binding.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreatePriceReferenceInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id } = await transact(context, (tx, now) =>
        tools.createPriceReference(
          tx,
          context,
          { ...input, collectiveId: idOf(input.collectiveId, 'Collective', 'input.collectiveId') },
          now,
        ),
      );
      return context.prisma.priceReference.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updatePriceReference: t.prismaField({
    type: 'PriceReference',
    description: 'Corrects a price reference (active members of its collective).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdatePriceReferenceInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id: globalId, ...changes } = input;
      const { id } = await transact(context, (tx, now) =>
        tools.updatePriceReference(tx, context, idOf(globalId, 'PriceReference', 'input.id'), changes, now),
      );
      return context.prisma.priceReference.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  removePriceReference: t.field({
    type: 'ID',
    description: 'Deletes a price reference for good (active members of its collective); returns its global ID.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: IdInput('PriceReferenceRefInput', 'price reference'), required: true }) },
    resolve: async (_root, { input }, context) => {
      const { id } = await transact(context, (tx) =>
        tools.removePriceReference(tx, context, idOf(input.id, 'PriceReference', 'input.id')),
      );
      return encodeGlobalID('PriceReference', id);
    },
  }),
  recommendSupplier: t.prismaField({
    type: 'SupplierRecommendation',
    description: 'Recommends a supplier to a sector collective (its active members), once per supplier and category.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: RecommendSupplierInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id } = await transact(context, (tx, now) =>
        tools.recommendSupplier(
          tx,
          context,
          { ...input, collectiveId: idOf(input.collectiveId, 'Collective', 'input.collectiveId') },
          now,
        ),
      );
      return context.prisma.supplierRecommendation.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateSupplierRecommendation: t.prismaField({
    type: 'SupplierRecommendation',
    description: 'Revises your own recommendation (rating, comment, category).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateSupplierRecommendationInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id: globalId, ...changes } = input;
      const { id } = await transact(context, (tx, now) =>
        tools.updateSupplierRecommendation(tx, context, idOf(globalId, 'SupplierRecommendation', 'input.id'), changes, now),
      );
      return context.prisma.supplierRecommendation.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  offerService: t.prismaField({
    type: 'ServiceExchange',
    description: 'Offers a free service in a sector collective (its active members), to all or to one member.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: OfferServiceInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id } = await transact(context, (tx) =>
        tools.offerService(tx, context, {
          ...input,
          collectiveId: idOf(input.collectiveId, 'Collective', 'input.collectiveId'),
          beneficiaryId: input.beneficiaryId ? idOf(input.beneficiaryId, 'Member', 'input.beneficiaryId') : null,
        }),
      );
      return context.prisma.serviceExchange.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  acceptService: serviceAction(t, 'ACCEPT', 'Accepts an offered service: you become its beneficiary (not its provider).'),
  completeService: serviceAction(t, 'COMPLETE', 'Marks an accepted service done (its provider or beneficiary).'),
  cancelService: serviceAction(
    t,
    'CANCEL',
    'Cancels a service: an offer by its provider, an accepted service by its provider or beneficiary.',
  ),
  createReferral: t.prismaField({
    type: 'Referral',
    description: 'Refers a client to another active member, in a sector collective (both active in it) or outside any.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateReferralInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id } = await transact(context, (tx) =>
        tools.createReferral(tx, context, {
          ...input,
          toMemberId: idOf(input.toMemberId, 'Member', 'input.toMemberId'),
          collectiveId: input.collectiveId ? idOf(input.collectiveId, 'Collective', 'input.collectiveId') : null,
        }),
      );
      return context.prisma.referral.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  changeReferralStatus: t.prismaField({
    type: 'Referral',
    description: 'Moves a referral you received to its next status; every other change is refused.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ChangeReferralStatusInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id } = await transact(context, (tx) =>
        tools.changeReferralStatus(tx, context, idOf(input.id, 'Referral', 'input.id'), input.status, input.amountCents),
      );
      return context.prisma.referral.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));

type MutationFieldBuilder = Parameters<Parameters<typeof builder.mutationFields>[0]>[0];

function serviceAction(t: MutationFieldBuilder, action: tools.ServiceAction, text: string) {
  return t.prismaField({
    type: 'ServiceExchange',
    description: text,
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ServiceExchangeInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { id } = await transact(context, (tx) =>
        tools.changeService(tx, context, idOf(input.id, 'ServiceExchange', 'input.id'), action),
      );
      return context.prisma.serviceExchange.findUniqueOrThrow({ ...query, where: { id } });
    },
  });
}
