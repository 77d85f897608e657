import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Tx } from './collectives.js';
import { splitCents, WHOLE_SHARE } from './money.js';

// The rules of a product built together (DOMAIN.md, "Product"): co-owners, and a revenue split that
// sums to 100 % on every day it covers, its periods never overlapping. Calendar days are `date` values
// (midnight UTC); a period's last day is inclusive and an open-ended period has none.

const DAY_MS = 86_400_000;

/** The calendar day `days` after `day`. */
export function addDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * DAY_MS);
}

/** At least one co-owner, each once. */
export function checkOwners(memberIds: readonly string[], field = 'input.ownerIds'): void {
  if (memberIds.length === 0) throw new RuleViolationError(field, 'PRODUCT_OWNERS_REQUIRED');
  memberIds.forEach((memberId, index) => {
    if (memberIds.indexOf(memberId) !== index) throw new RuleViolationError(`${field}.${index}`, 'PRODUCT_OWNER_DUPLICATE');
  });
}

export interface SplitShare {
  memberId: string;
  shareBasisPoints: number;
}

/** A split's shares: at least one, each for a distinct co-owner, each 1–10 000 basis points, summing to exactly 10 000. */
export function checkSplitShares(shares: readonly SplitShare[], ownerIds: ReadonlySet<string>, field = 'input.shares'): void {
  if (shares.length === 0) throw new RuleViolationError(field, 'SPLIT_SHARES_REQUIRED');
  const seen = new Set<string>();
  shares.forEach((share, index) => {
    if (seen.has(share.memberId)) throw new RuleViolationError(`${field}.${index}.memberId`, 'SPLIT_SHARE_DUPLICATE');
    seen.add(share.memberId);
    if (!ownerIds.has(share.memberId)) throw new RuleViolationError(`${field}.${index}.memberId`, 'SPLIT_SHARE_NOT_AN_OWNER');
    if (!Number.isInteger(share.shareBasisPoints) || share.shareBasisPoints < 1 || share.shareBasisPoints > WHOLE_SHARE)
      throw new RuleViolationError(`${field}.${index}.shareBasisPoints`, 'SPLIT_SHARE_OUT_OF_RANGE');
  });
  if (shares.reduce((sum, share) => sum + share.shareBasisPoints, 0) !== WHOLE_SHARE)
    throw new RuleViolationError(field, 'SPLIT_SHARES_NOT_100');
}

export interface Period {
  validFrom: Date;
  /** Last day, inclusive; null when open-ended. */
  validUntil: Date | null;
}

/** Whether two periods share at least one day. */
export function overlaps(a: Period, b: Period): boolean {
  return (a.validUntil === null || b.validFrom <= a.validUntil) && (b.validUntil === null || a.validFrom <= b.validUntil);
}

/** Whether `day` falls in `period`. */
export function covers(period: Period, day: Date): boolean {
  return period.validFrom <= day && (period.validUntil === null || day <= period.validUntil);
}

/**
 * Where a new split period fits among a product's rules. It may overlap none of them, with one
 * exception: when it starts after the start of the open-ended rule (there is at most one, the latest),
 * that rule is closed the day before the new one starts. Returns the rule to close, if any.
 */
export function planSplitPeriod<R extends Period & { id: string }>(
  rules: readonly R[],
  period: Period,
): { close: { rule: R; validUntil: Date } | null } {
  if (period.validUntil && period.validUntil < period.validFrom)
    throw new RuleViolationError('input.validUntil', 'SPLIT_PERIOD_INVALID');
  let close: { rule: R; validUntil: Date } | null = null;
  for (const rule of rules) {
    if (!overlaps(rule, period)) continue;
    if (rule.validUntil === null && period.validFrom > rule.validFrom) {
      close = { rule, validUntil: addDays(period.validFrom, -1) };
      continue;
    }
    throw new RuleViolationError('input.validFrom', 'SPLIT_PERIOD_OVERLAP');
  }
  return { close };
}

/** A sale's amount split by a rule's shares, to the cent (largest remainder), in the order of `shares`. */
export function splitSale(amountCents: number, shares: readonly SplitShare[]): Array<{ memberId: string; amountCents: number }> {
  const parts = splitCents(
    amountCents,
    shares.map((share) => share.shareBasisPoints),
  );
  return shares.map((share, index) => ({ memberId: share.memberId, amountCents: parts[index] ?? 0 }));
}

/** Shares in a stable order (largest first, then by member), so the odd cents always go the same way. */
export function orderShares<S extends SplitShare>(shares: readonly S[]): S[] {
  return [...shares].sort(
    (a, b) => b.shareBasisPoints - a.shareBasisPoints || (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0),
  );
}

export interface MemberRevenue {
  memberId: string;
  amountCents: number;
  saleCount: number;
}

/**
 * What each member earned from each product's sales between two days (inclusive; unbounded when null):
 * the sum of their sale shares, in one query for all the products. Largest first, then by member.
 */
export async function revenueByMember(
  prisma: PrismaClient | Tx,
  productIds: readonly string[],
  from: Date | null,
  to: Date | null,
): Promise<Map<string, MemberRevenue[]>> {
  const rows = await prisma.$queryRaw<Array<{ productId: string; memberId: string; amountCents: bigint; saleCount: number }>>`
    SELECT sale."productId" AS "productId", share."memberId" AS "memberId",
           SUM(share."amountCents")::bigint AS "amountCents", COUNT(*)::int AS "saleCount"
    FROM "ProductSaleShare" share JOIN "ProductSale" sale ON sale.id = share."saleId"
    WHERE sale."productId" = ANY(${[...productIds]}::uuid[])
      AND (${from}::date IS NULL OR sale."soldOn" >= ${from}::date)
      AND (${to}::date IS NULL OR sale."soldOn" <= ${to}::date)
    GROUP BY sale."productId", share."memberId"
    ORDER BY 3 DESC, 2 ASC`;
  const byProduct = new Map<string, MemberRevenue[]>();
  for (const row of rows) {
    const list = byProduct.get(row.productId) ?? [];
    list.push({ memberId: row.memberId, amountCents: Number(row.amountCents), saleCount: row.saleCount });
    byProduct.set(row.productId, list);
  }
  return byProduct;
}

/** Locks a product's row for the rest of the transaction: its owners, splits and sales change one request at a time. */
export async function lockProduct(tx: Tx, productId: string, field: string) {
  await tx.$queryRaw`SELECT id FROM "Product" WHERE id = ${productId}::uuid FOR UPDATE`;
  const product = await tx.product.findUnique({ where: { id: productId } });
  if (!product) throw new NotFoundError(field, 'Product');
  return product;
}

/**
 * Whether `memberId` decides who owns a product and how its revenue is split: one of its co-owners, as a brand's
 * holders alone change its holders (DOMAIN.md, "Product" and "Common brand"; another member of the collective could
 * otherwise make themselves a co-owner and take the revenue). When no co-owner is an active member of the collective
 * any more, any active member of it decides, or no one ever could again. The caller has checked that `memberId` is an
 * active member of `collectiveId` (`requireChangeable`).
 */
export async function decidesOwnership(
  prisma: PrismaClient | Tx,
  product: { id: string; collectiveId: string },
  memberId: string,
  ownerIds?: readonly string[],
): Promise<boolean> {
  const owners =
    ownerIds ??
    (await prisma.productOwner.findMany({ where: { productId: product.id }, select: { memberId: true } })).map(
      (owner) => owner.memberId,
    );
  if (owners.includes(memberId)) return true;
  const activeOwners = await prisma.membership.count({
    where: { collectiveId: product.collectiveId, memberId: { in: [...owners] }, status: 'ACTIVE' },
  });
  return activeOwners === 0;
}

/**
 * Before replacing a product's co-owners or adding a revenue split (see `decidesOwnership`).
 * @throws ForbiddenError (`FORBIDDEN`) when `memberId` is not one of its co-owners while one of them is still active.
 */
export async function requireOwnershipDecision(
  tx: Tx,
  product: { id: string; collectiveId: string },
  memberId: string,
): Promise<void> {
  if (!(await decidesOwnership(tx, product, memberId)))
    throw new ForbiddenError('Seuls les copropriétaires du produit changent ses copropriétaires et sa répartition des revenus.');
}
