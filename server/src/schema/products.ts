import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { holdCollective, requireActiveMembers } from '../domain/brands.js';
import { parisDay } from '../domain/calendar.js';
import type { Tx } from '../domain/collectives.js';
import {
  checkOwners,
  checkSplitShares,
  covers,
  decidesOwnership,
  lockProduct,
  orderShares,
  planSplitPeriod,
  requireOwnershipDecision,
  revenueByMember,
  splitSale,
} from '../domain/products.js';
import { readableCollectivesWhere, requireChangeable, VIEWER_CAN_CHANGE } from '../domain/resources.js';
import { changesNothing, sameList } from '../domain/unchanged.js';
import { NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { Member, Prisma } from '../generated/prisma/client.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { viewerOf } from './collectives.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { MemberRef } from './members.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded } from './validation.js';

// Products built and sold together by long-term business collectives: co-owners, revenue splits over
// time and sales split to the cent. Decisions the rules leave open, taken here:
// - Only long-term business collectives have products (LONG_TERM_BUSINESS_ONLY), and any active member
//   of the collective creates them, changes their details and records their sales; only the co-owners replace
//   the co-owners and add revenue splits (FORBIDDEN otherwise), as a brand's holders alone change its holders,
//   unless no co-owner is an active member of the collective any more (then any active member does).
// - Split rules are never edited or deleted. A new rule may not overlap another, except that one
//   starting after the start of the open-ended rule closes it the day before; that is refused when
//   sales on or after that day were already split by it (SPLIT_PERIOD_HAS_SALES). Days no rule covers
//   take no sale.
// - A co-owner who has a share in a split still in effect today or later cannot be removed: add a
//   split without them first. Past splits keep former owners' shares, as history.
// - A sale is dated on a day not after today (Paris), and is split by the rule covering that day, its
//   shares ordered largest first so the odd cents (largest remainder) always go the same way.

/** A calendar day as `YYYY-MM-DD`, for event payloads and batch keys. */
const day = (date: Date | null) => date?.toISOString().slice(0, 10) ?? null;

const readableProductWhere = (context: Context) => ({ product: readableCollectivesWhere(context) });

builder.prismaNode('Product', {
  description: 'An offer built and sold together by a long-term business collective.',
  id: { field: 'id' },
  // A missing or hidden node is null, not an error.
  nullable: true,
  findUnique: (id, context) => ({ id, ...readableCollectivesWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Name of the product.' }),
    description: t.exposeString('description', { description: 'What it is, for whom.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    viewerCanChange: t.boolean({
      description: VIEWER_CAN_CHANGE,
      select: { collectiveId: true },
      resolve: (product, _args, context) => context.access.changesResourcesOf(product.collectiveId),
    }),
    viewerCanChangeOwners: t.boolean({
      description:
        'Whether the viewer may replace its co-owners and add revenue splits: one of its co-owners, or any active member of its collective once no co-owner still is one (`setProductOwners` and `addRevenueSplitRule` answer FORBIDDEN otherwise).',
      select: { id: true, collectiveId: true, owners: { select: { memberId: true } } },
      resolve: async (product, _args, context) => {
        const viewer = context.access.viewer;
        if (!viewer || !context.access.changesResourcesOf(product.collectiveId)) return false;
        const owners = product.owners.map((owner) => owner.memberId);
        return decidesOwnership(context.prisma, product, viewer.id, owners);
      },
    }),
    collective: t.relation('collective', { description: 'The collective that builds and sells it.' }),
    brand: t.relation('brand', { nullable: true, description: 'The common brand it is sold under, if any.' }),
    owners: t.field({
      type: [MemberRef],
      description: 'The co-owners, by name.',
      select: { owners: { select: { member: true } } },
      resolve: (product) =>
        product.owners
          .map((owner) => owner.member)
          .sort((a, b) => a.lastName.localeCompare(b.lastName, 'fr') || a.firstName.localeCompare(b.firstName, 'fr')),
    }),
    splitRules: t.relation('splitRules', {
      description: 'The revenue splits, in date order; their periods never overlap. With `on`, only the one covering that day.',
      args: { on: t.arg({ type: 'Date', description: 'Only the split covering this day (none if no split does).' }) },
      query: (args) => ({
        where: args.on ? { validFrom: { lte: args.on }, OR: [{ validUntil: null }, { validUntil: { gte: args.on } }] } : {},
        orderBy: { validFrom: 'asc' },
      }),
    }),
    sales: relatedKeysetConnection(t, 'sales', {
      description: 'Sales recorded, latest first, optionally between two days (inclusive).',
      args: {
        from: t.arg({ type: 'Date', description: 'Only sales on or after this day.' }),
        to: t.arg({ type: 'Date', description: 'Only sales on or before this day.' }),
      },
      where: (args) => ({ soldOn: soldOnRange(args) }),
      orderBy: () => [{ soldOn: 'desc' }, { createdAt: 'desc' }, { id: 'asc' }],
    }),
    revenueByOwner: t.field({
      type: [OwnerRevenueRef],
      description:
        'Revenue per member: the sum of their shares of the sales between two days (inclusive; unbounded when omitted), largest first. Former co-owners appear for the sales split while they held a share.',
      args: {
        from: t.arg({ type: 'Date', description: 'First day counted.' }),
        to: t.arg({ type: 'Date', description: 'Last day counted.' }),
      },
      resolve: async (product, args, context) => (await revenueOf(context, product.id, args)).byMember,
    }),
    revenueCents: t.field({
      type: 'Cents',
      description:
        'Total of the sales between two days (inclusive; unbounded when omitted), in cents excluding VAT (may exceed `Int`: see `Cents`).',
      args: {
        from: t.arg({ type: 'Date', description: 'First day counted.' }),
        to: t.arg({ type: 'Date', description: 'Last day counted.' }),
      },
      resolve: async (product, args, context) => (await revenueOf(context, product.id, args)).totalCents,
    }),
  }),
});

function soldOnRange(args: { from?: Date | null; to?: Date | null }): Prisma.DateTimeFilter {
  return { ...(args.from ? { gte: args.from } : {}), ...(args.to ? { lte: args.to } : {}) };
}

const OwnerRevenueRef = builder.objectRef<{ member: Member; amountCents: number; saleCount: number }>('OwnerRevenue').implement({
  description: 'What one member earned from a product over a period.',
  fields: (t) => ({
    member: t.field({ type: MemberRef, description: 'The member.', resolve: (row) => row.member }),
    amountCents: t.expose('amountCents', {
      type: 'Cents',
      description: 'Sum of their sale shares, in cents excluding VAT (may exceed `Int`: see `Cents`).',
    }),
    saleCount: t.exposeInt('saleCount', { description: 'Number of sales they had a share of.' }),
  }),
});

interface Revenue {
  byMember: Array<{ member: Member; amountCents: number; saleCount: number }>;
  totalCents: number;
}

const revenueBatches = new WeakMap<Context, Map<string, { productIds: Set<string>; result: Promise<Map<string, Revenue>> }>>();

/**
 * A product's revenue over a period. Every product of a list asks in the same tick, so the whole list
 * costs two queries (the sums, then the members) per distinct period, not two per product.
 */
function revenueOf(context: Context, productId: string, args: { from?: Date | null; to?: Date | null }): Promise<Revenue> {
  const from = args.from ?? null;
  const to = args.to ?? null;
  const key = `${day(from)}|${day(to)}`;
  let batches = revenueBatches.get(context);
  if (!batches) {
    batches = new Map();
    revenueBatches.set(context, batches);
  }
  let batch = batches.get(key);
  if (!batch) {
    const pending = batches;
    const productIds = new Set<string>();
    const result = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      pending.delete(key);
      const byProduct = await revenueByMember(context.prisma, [...productIds], from, to);
      const memberIds = [...new Set([...byProduct.values()].flat().map((row) => row.memberId))];
      const members = new Map(
        (await context.prisma.member.findMany({ where: { id: { in: memberIds } } })).map((member) => [member.id, member]),
      );
      return new Map(
        [...productIds].map((id) => {
          const rows = byProduct.get(id) ?? [];
          const byMember = rows.flatMap((row) => {
            const member = members.get(row.memberId);
            return member ? [{ member, amountCents: row.amountCents, saleCount: row.saleCount }] : [];
          });
          return [id, { byMember, totalCents: rows.reduce((sum, row) => sum + row.amountCents, 0) }];
        }),
      );
    });
    batch = { productIds, result };
    batches.set(key, batch);
  }
  batch.productIds.add(productId);
  return batch.result.then((revenue) => revenue.get(productId) ?? { byMember: [], totalCents: 0 });
}

builder.prismaNode('RevenueSplitRule', {
  description: 'How a product’s revenue is split during a period. The shares sum to 10 000 basis points.',
  id: { field: 'id' },
  // A missing or hidden node is null, not an error.
  nullable: true,
  findUnique: (id, context) => ({ id, ...readableProductWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    validFrom: t.expose('validFrom', { type: 'Date', description: 'First day it applies.' }),
    validUntil: t.expose('validUntil', {
      type: 'Date',
      nullable: true,
      description: 'Last day it applies, inclusive; null while open-ended.',
    }),
    product: t.relation('product', { description: 'The product.' }),
    shares: t.relation('shares', {
      description: 'Each co-owner’s share, largest first.',
      query: { orderBy: [{ shareBasisPoints: 'desc' }, { memberId: 'asc' }] },
    }),
  }),
});

builder.prismaObject('RevenueSplitShare', {
  description: 'One co-owner’s share in a revenue split.',
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The co-owner.' }),
    shareBasisPoints: t.exposeInt('shareBasisPoints', { description: 'Their share, in basis points (10 000 = 100 %).' }),
  }),
});

builder.prismaNode('ProductSale', {
  description: 'A sale of a product, split among members by the revenue split of its day.',
  id: { field: 'id' },
  // A missing or hidden node is null, not an error.
  nullable: true,
  findUnique: (id, context) => ({ id, ...readableProductWhere(context) }),
  authScopes: { member: true },
  fields: (t) => ({
    soldOn: t.expose('soldOn', { type: 'Date', description: 'Day of the sale.' }),
    amountCents: t.exposeInt('amountCents', { description: 'Amount in cents, excluding VAT.' }),
    client: t.exposeString('client', { description: 'Who bought it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    recordedBy: t.relation('recordedBy', { description: 'Who recorded it.' }),
    product: t.relation('product', { description: 'The product sold.' }),
    shares: t.relation('shares', {
      description: 'Each member’s part, largest first; they sum to the amount, to the cent.',
      query: { orderBy: [{ amountCents: 'desc' }, { memberId: 'asc' }] },
    }),
  }),
});

builder.prismaObject('ProductSaleShare', {
  description: 'One member’s part of a sale.',
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The member.' }),
    amountCents: t.exposeInt('amountCents', { description: 'Their part, in cents excluding VAT.' }),
  }),
});

// ───────────────────────────── Queries ─────────────────────────────

type GlobalId = { typename: string; id: string };

/** A global ID given as a filter: one of another type matches nothing. */
function filterId(globalId: GlobalId | null | undefined, typename: string): string | undefined {
  if (!globalId) return undefined;
  return globalId.typename === typename ? globalId.id : NO_ONE;
}

function productsWhere(context: Context, args: { collectiveId?: GlobalId | null; brandId?: GlobalId | null }) {
  const collectiveId = filterId(args.collectiveId, 'Collective');
  const brandId = filterId(args.brandId, 'Brand');
  return {
    AND: [readableCollectivesWhere(context), collectiveId ? { collectiveId } : {}, brandId ? { brandId } : {}],
  } satisfies Prisma.ProductWhereInput;
}

const PRODUCT_ORDER: KeysetOrder = [{ name: 'asc' }, { id: 'asc' }];

builder.queryFields((t) => ({
  products: keysetConnection(t, {
    type: 'Product',
    description: 'The products of the collectives you are in (every collective’s for the support staff), by name.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only this collective’s products.' }),
      brandId: t.arg.globalID({ description: 'Only products sold under this brand.' }),
    },
    where: (args, context) => productsWhere(context, args),
    orderBy: () => PRODUCT_ORDER,
  }),
}));

builder.prismaObjectField('Collective', 'products', (t) =>
  relatedKeysetConnection(t, 'products', {
    description: 'The collective’s products, by name; listed only to its members and the support staff.',
    where: (_args, context) => readableCollectivesWhere(context),
    orderBy: () => PRODUCT_ORDER,
  }),
);

builder.prismaObjectField('Brand', 'products', (t) =>
  t.relation('products', {
    description: 'The products sold under this brand, by name.',
    query: { orderBy: [{ name: 'asc' }, { id: 'asc' }] },
  }),
);

// ───────────────────────────── Mutations ─────────────────────────────

const productName = z.string().trim().min(1, 'Name the product.').max(120, 'At most 120 characters.');
const productDescription = z.string().trim().max(4000, 'At most 4000 characters.');
const clientName = z.string().trim().max(200, 'At most 200 characters.');

/** Loads and locks a product the viewer may change: outsiders get not-found, the support staff forbidden. */
async function changeableProduct(tx: Tx, context: Context, globalId: GlobalId, field: string) {
  const id = idOf(globalId, 'Product', field);
  const found = await tx.product.findUnique({ where: { id }, select: { collectiveId: true } });
  if (!found) throw new NotFoundError(field, 'Product');
  requireChangeable(context, found.collectiveId, field, 'product');
  return lockProduct(tx, id, field);
}

/** The brand a product is sold under: readable by the viewer, and of the product's collective. */
async function brandFor(tx: Tx, context: Context, globalId: GlobalId, collectiveId: string, field: string): Promise<string> {
  const id = idOf(globalId, 'Brand', field);
  const brand = await tx.brand.findFirst({ where: { id, ...readableCollectivesWhere(context) }, select: { collectiveId: true } });
  if (!brand) throw new NotFoundError(field, 'Brand');
  if (brand.collectiveId !== collectiveId) throw new RuleViolationError(field, 'BRAND_OF_ANOTHER_COLLECTIVE');
  return id;
}

function ownersOf(ids: readonly GlobalId[], field = 'input.ownerIds'): string[] {
  return ids.map((id, index) => idOf(id, 'Member', `${field}.${index}`));
}

async function requireOwnersActive(tx: Tx, collectiveId: string, ownerIds: string[]) {
  await holdCollective(tx, collectiveId);
  await requireActiveMembers(tx, collectiveId, ownerIds, (index) => `input.ownerIds.${index}`);
}

builder.mutationFields((t) => ({
  createProduct: t.prismaField({
    type: 'Product',
    description: 'Creates a product of a long-term business collective, with its co-owners.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('CreateProductInput', {
          description: 'A new product.',
          fields: (f) => ({
            collectiveId: f.globalID({ required: true, description: 'The long-term business collective.' }),
            name: f.string({ required: true, description: 'Name of the product.', validate: productName }),
            description: f.string({ description: 'What it is, for whom.', validate: productDescription }),
            brandId: f.globalID({ description: 'The collective’s brand it is sold under, if any.' }),
            ownerIds: f.globalIDList({
              required: true,
              description: 'The co-owners: at least one, each an active member of the collective.',
            }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const id = await context.prisma.$transaction(async (tx) => {
        const collectiveId = idOf(input.collectiveId, 'Collective', 'input.collectiveId');
        requireChangeable(context, collectiveId, 'input.collectiveId', 'collective');
        const collective = await tx.collective.findUnique({ where: { id: collectiveId } });
        if (!collective) throw new NotFoundError('input.collectiveId', 'Collective');
        if (collective.kind !== 'BUSINESS' || collective.horizon !== 'LONG_TERM')
          throw new RuleViolationError('input.collectiveId', 'LONG_TERM_BUSINESS_ONLY');
        const brandId = input.brandId ? await brandFor(tx, context, input.brandId, collectiveId, 'input.brandId') : null;
        const ownerIds = ownersOf(input.ownerIds);
        checkOwners(ownerIds);
        await requireOwnersActive(tx, collectiveId, ownerIds);
        const product = await tx.product.create({
          data: {
            collectiveId,
            brandId,
            name: input.name,
            description: input.description ?? '',
            owners: { create: ownerIds.map((memberId) => ({ memberId })) },
          },
        });
        await recordEvent(tx, {
          type: 'product.created',
          subject: { typename: 'Product', id: product.id },
          collectiveId,
          actorId: viewer.id,
          payload: { name: product.name, brandId, ownerIds },
        });
        return product.id;
      });
      return context.prisma.product.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  updateProduct: t.prismaField({
    type: 'Product',
    description: 'Changes a product’s name, description or brand. Omitted fields stay; a null brand removes it.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('UpdateProductInput', {
          description: 'Changes to a product; omitted fields stay as they are.',
          fields: (f) => ({
            id: f.globalID({ required: true, description: 'The product.' }),
            name: f.string({ description: 'New name.', validate: productName }),
            description: f.string({ description: 'New description.', validate: productDescription }),
            brandId: f.globalID({ description: 'The collective’s brand it is sold under; null for none.' }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const id = await context.prisma.$transaction(async (tx) => {
        const product = await changeableProduct(tx, context, input.id, 'input.id');
        let brandId = product.brandId;
        if (input.brandId === null) brandId = null;
        else if (input.brandId) brandId = await brandFor(tx, context, input.brandId, product.collectiveId, 'input.brandId');
        const data = { name: input.name ?? product.name, description: input.description ?? product.description, brandId };
        if (changesNothing(product, data)) return product.id;
        const updated = await tx.product.update({ where: { id: product.id }, data });
        await recordEvent(tx, {
          type: 'product.updated',
          subject: { typename: 'Product', id: product.id },
          collectiveId: product.collectiveId,
          actorId: viewer.id,
          payload: { name: updated.name, description: updated.description, brandId: updated.brandId },
        });
        return product.id;
      });
      return context.prisma.product.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  setProductOwners: t.prismaField({
    type: 'Product',
    description:
      'Replaces a product’s co-owners (its co-owners only, see `Product.viewerCanChangeOwners`: FORBIDDEN otherwise). One who still has a share in a split in effect today or later cannot be removed: add a split without them first.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SetProductOwnersInput', {
          description: 'A product and its new co-owners.',
          fields: (f) => ({
            productId: f.globalID({ required: true, description: 'The product.' }),
            ownerIds: f.globalIDList({
              required: true,
              description: 'Every co-owner: at least one, each an active member of the collective.',
            }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const today = parisDay(new Date());
      const id = await context.prisma.$transaction(async (tx) => {
        const product = await changeableProduct(tx, context, input.productId, 'input.productId');
        await requireOwnershipDecision(tx, product, viewer.id);
        const ownerIds = ownersOf(input.ownerIds);
        checkOwners(ownerIds);
        await requireOwnersActive(tx, product.collectiveId, ownerIds);
        const stillShared = await tx.revenueSplitShare.findFirst({
          where: {
            memberId: { notIn: ownerIds },
            rule: { productId: product.id, OR: [{ validUntil: null }, { validUntil: { gte: today } }] },
          },
          select: { memberId: true },
        });
        if (stillShared) throw new RuleViolationError('input.ownerIds', 'OWNER_HAS_REVENUE_SHARE');
        // Its co-owners as they are (any order): nothing written, no event.
        const current = await tx.productOwner.findMany({ where: { productId: product.id }, select: { memberId: true } });
        const given = ownerIds.map((memberId) => ({ memberId }));
        if (sameList(current, given, (owner) => owner.memberId)) return product.id;
        await tx.productOwner.deleteMany({ where: { productId: product.id, memberId: { notIn: ownerIds } } });
        await tx.productOwner.createMany({
          data: ownerIds.map((memberId) => ({ productId: product.id, memberId })),
          skipDuplicates: true,
        });
        await tx.product.update({ where: { id: product.id }, data: { updatedAt: new Date() } });
        await recordEvent(tx, {
          type: 'product.ownersSet',
          subject: { typename: 'Product', id: product.id },
          collectiveId: product.collectiveId,
          actorId: viewer.id,
          payload: { ownerIds },
        });
        return product.id;
      });
      return context.prisma.product.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  addRevenueSplitRule: t.prismaField({
    type: 'RevenueSplitRule',
    description:
      'Adds a revenue split for a period (its co-owners only, see `Product.viewerCanChangeOwners`: FORBIDDEN otherwise). Periods never overlap, except that a split starting after the start of the open-ended one closes it the day before (refused if sales from that day on were already split by it).',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('AddRevenueSplitRuleInput', {
          description: 'A revenue split and its period.',
          fields: (f) => ({
            productId: f.globalID({ required: true, description: 'The product.' }),
            validFrom: f.field({ type: 'Date', required: true, description: 'First day it applies.' }),
            validUntil: f.field({ type: 'Date', description: 'Last day it applies, inclusive; omit for open-ended.' }),
            shares: f.field({
              type: [
                builder.inputType('RevenueShareInput', {
                  description: 'A co-owner’s share of the revenue.',
                  fields: (g) => ({
                    memberId: g.globalID({ required: true, description: 'A co-owner of the product.' }),
                    shareBasisPoints: g.int({
                      required: true,
                      description: 'Their share in basis points (1 to 10 000).',
                      validate: bounded('positiveBasisPoints'),
                    }),
                  }),
                }),
              ],
              required: true,
              description: 'The shares, each for a distinct co-owner, summing to 10 000 basis points.',
            }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const id = await context.prisma.$transaction(async (tx) => {
        const product = await changeableProduct(tx, context, input.productId, 'input.productId');
        await requireOwnershipDecision(tx, product, viewer.id);
        const shares = input.shares.map((share, index) => ({
          memberId: idOf(share.memberId, 'Member', `input.shares.${index}.memberId`),
          shareBasisPoints: share.shareBasisPoints,
        }));
        const owners = await tx.productOwner.findMany({ where: { productId: product.id }, select: { memberId: true } });
        checkSplitShares(shares, new Set(owners.map((owner) => owner.memberId)));
        const period = { validFrom: input.validFrom, validUntil: input.validUntil ?? null };
        const rules = await tx.revenueSplitRule.findMany({ where: { productId: product.id }, orderBy: { validFrom: 'asc' } });
        const { close } = planSplitPeriod(rules, period);
        if (close) {
          const splitSales = await tx.productSale.count({ where: { productId: product.id, soldOn: { gte: period.validFrom } } });
          if (splitSales > 0) throw new RuleViolationError('input.validFrom', 'SPLIT_PERIOD_HAS_SALES');
          await tx.revenueSplitRule.update({ where: { id: close.rule.id }, data: { validUntil: close.validUntil } });
        }
        const rule = await tx.revenueSplitRule.create({
          data: { productId: product.id, ...period, shares: { create: shares } },
        });
        await recordEvent(tx, {
          type: 'product.revenueSplitRuleAdded',
          subject: { typename: 'RevenueSplitRule', id: rule.id },
          collectiveId: product.collectiveId,
          actorId: viewer.id,
          payload: {
            productId: product.id,
            validFrom: day(rule.validFrom),
            validUntil: day(rule.validUntil),
            shares,
            closed: close ? { ruleId: close.rule.id, validUntil: day(close.validUntil) } : null,
          },
        });
        return rule.id;
      });
      return context.prisma.revenueSplitRule.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  recordSale: t.prismaField({
    type: 'ProductSale',
    description:
      'Records a sale and splits its amount among members by the revenue split of its day, to the cent (largest remainder).',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RecordSaleInput', {
          description: 'A sale of a product.',
          fields: (f) => ({
            productId: f.globalID({ required: true, description: 'The product sold.' }),
            soldOn: f.field({
              type: 'Date',
              required: true,
              description: 'Day of the sale; not in the future, and covered by a split.',
            }),
            amountCents: f.int({
              required: true,
              description: `Amount in cents, excluding VAT (${describeBound(BOUNDS.positiveAmountCents)}).`,
              validate: bounded('positiveAmountCents'),
            }),
            client: f.string({ description: 'Who bought it.', validate: clientName }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const now = new Date();
      const id = await context.prisma.$transaction(async (tx) => {
        const product = await changeableProduct(tx, context, input.productId, 'input.productId');
        if (!Number.isSafeInteger(input.amountCents) || input.amountCents < 1)
          throw new RuleViolationError('input.amountCents', 'SALE_AMOUNT_NOT_POSITIVE');
        if (input.soldOn > parisDay(now)) throw new RuleViolationError('input.soldOn', 'SALE_DATE_IN_FUTURE');
        const rule = await tx.revenueSplitRule.findFirst({
          where: {
            productId: product.id,
            validFrom: { lte: input.soldOn },
            OR: [{ validUntil: null }, { validUntil: { gte: input.soldOn } }],
          },
          include: { shares: true },
        });
        if (!rule || !covers(rule, input.soldOn)) throw new RuleViolationError('input.soldOn', 'NO_REVENUE_SPLIT_ON_DATE');
        const parts = splitSale(input.amountCents, orderShares(rule.shares));
        const sale = await tx.productSale.create({
          data: {
            productId: product.id,
            soldOn: input.soldOn,
            amountCents: input.amountCents,
            client: input.client ?? '',
            recordedById: viewer.id,
            createdAt: now,
            shares: { create: parts },
          },
        });
        await recordEvent(tx, {
          type: 'product.saleRecorded',
          subject: { typename: 'ProductSale', id: sale.id },
          collectiveId: product.collectiveId,
          actorId: viewer.id,
          payload: {
            productId: product.id,
            soldOn: day(sale.soldOn),
            amountCents: sale.amountCents,
            client: sale.client,
            ruleId: rule.id,
            shares: parts,
          },
        });
        return sale.id;
      });
      return context.prisma.productSale.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));
