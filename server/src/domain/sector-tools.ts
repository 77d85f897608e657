import { NO_ONE } from '../auth/access.js';
import type { Context } from '../context.js';
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { EventTypeOf } from '../events/types.js';
import type {
  Member,
  PriceReference,
  Prisma,
  Referral,
  ServiceExchange,
  SupplierRecommendation,
} from '../generated/prisma/client.js';
import type { PriceUnit, ReferralStatus, ServiceExchangeStatus } from '../generated/prisma/enums.js';
import { NUMBER_BOUNDS } from '../limits/numbers.js';
import { parisDay } from './calendar.js';
import { lockCollective, type Tx } from './collectives.js';
import { readableCollectivesWhere, requireChangeable } from './resources.js';
import { changesNothing } from './unchanged.js';

// The four tools of a sector collective (DOMAIN.md, "Sector tools"). Rule checks name the input
// field at fault (`input.…`), since every one of them answers a mutation's input.

// ───────────────────────────── Shared ─────────────────────────────

function viewerOf(context: Context): Member {
  const viewer = context.access.viewer;
  if (!viewer) throw new ForbiddenError('Connectez-vous d’abord.');
  return viewer;
}

/**
 * The collective a new sector tool goes into: outsiders get not-found, the support staff (who read
 * but do not change) forbidden, and a collective of another kind a typed error.
 */
async function sectorCollectiveForChange(tx: Tx, context: Context, collectiveId: string, options: { lock?: boolean } = {}) {
  const field = 'input.collectiveId';
  const collective = options.lock
    ? await lockCollective(tx, collectiveId, field)
    : await tx.collective.findUnique({ where: { id: collectiveId } });
  if (!collective) throw new NotFoundError(field, 'Collective');
  requireChangeable(context, collective.id, field, 'collective');
  if (collective.kind !== 'SECTOR') throw new RuleViolationError(field, 'NOT_A_SECTOR_COLLECTIVE');
  return collective;
}

/** Whitespace runs become one space, so `Imprimerie  Dupont ` and `Imprimerie Dupont` are one supplier. */
export function tidy(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/g, ' ');
}

/** The same name in any case and spacing. */
export function sameName(a: string, b: string): boolean {
  return tidy(a).toLocaleLowerCase('fr') === tidy(b).toLocaleLowerCase('fr');
}

// Row locks, so two concurrent changes of one row run one after the other and each checks the other's result.
const lockRow = {
  priceReference: (tx: Tx, id: string) => tx.$queryRaw`SELECT id FROM "PriceReference" WHERE id = ${id}::uuid FOR UPDATE`,
  serviceExchange: (tx: Tx, id: string) => tx.$queryRaw`SELECT id FROM "ServiceExchange" WHERE id = ${id}::uuid FOR UPDATE`,
  referral: (tx: Tx, id: string) => tx.$queryRaw`SELECT id FROM "Referral" WHERE id = ${id}::uuid FOR UPDATE`,
};

const isoDay = (day: Date) => day.toISOString().slice(0, 10);

// ──────────────────────────── Price references ────────────────────────────

/**
 * Fewest observations a price reference may sum up. With one or two, the minimum and maximum are
 * someone's own prices and a member who knows theirs can tell the other's; from three on, the figures
 * describe a group. Kept low because sector collectives are small.
 */
export const MIN_PRICE_SAMPLE = NUMBER_BOUNDS.priceSample.min;

/** Shown with every price reference: observed prices inform, they never bind. */
export const PRICE_NOTICE = 'Prix observés, donnés à titre indicatif et non contraignant : chacun fixe librement ses tarifs.';

export interface PriceFigures {
  minCents: number;
  medianCents: number;
  maxCents: number;
  sampleSize: number;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * Checks the figures of a price reference. When two fields disagree, the one the input changed is
 * named (the later one when both or neither changed).
 */
export function checkPriceFigures(figures: PriceFigures, now: Date, changed?: ReadonlySet<keyof PriceFigures>): void {
  const blame = (earlier: keyof PriceFigures, later: keyof PriceFigures) =>
    `input.${changed && !changed.has(later) && changed.has(earlier) ? earlier : later}`;
  if (figures.minCents <= 0) throw new RuleViolationError('input.minCents', 'PRICE_NOT_POSITIVE');
  if (figures.medianCents < figures.minCents)
    throw new RuleViolationError(blame('minCents', 'medianCents'), 'PRICE_MEDIAN_BELOW_MIN');
  if (figures.maxCents < figures.medianCents)
    throw new RuleViolationError(blame('medianCents', 'maxCents'), 'PRICE_MAX_BELOW_MEDIAN');
  if (figures.sampleSize < MIN_PRICE_SAMPLE) throw new RuleViolationError('input.sampleSize', 'PRICE_SAMPLE_TOO_SMALL');
  if (figures.periodEnd < figures.periodStart)
    throw new RuleViolationError(blame('periodStart', 'periodEnd'), 'PRICE_PERIOD_ENDS_BEFORE_START');
  if (figures.periodEnd > parisDay(now)) throw new RuleViolationError('input.periodEnd', 'PRICE_PERIOD_IN_FUTURE');
}

export interface PriceReferenceInput extends PriceFigures {
  collectiveId: string;
  service: string;
  unit: PriceUnit;
}

function priceEvent(tx: Tx, type: EventTypeOf<'priceReference'>, reference: PriceReference, actorId: string) {
  return recordEvent(tx, {
    type,
    subject: { typename: 'PriceReference', id: reference.id },
    collectiveId: reference.collectiveId,
    actorId,
    payload: {
      service: reference.service,
      unit: reference.unit,
      minCents: reference.minCents,
      medianCents: reference.medianCents,
      maxCents: reference.maxCents,
      sampleSize: reference.sampleSize,
      periodStart: isoDay(reference.periodStart),
      periodEnd: isoDay(reference.periodEnd),
    },
  });
}

/** A changeable price reference, or not-found / forbidden as the viewer's access says. */
async function priceReferenceForChange(tx: Tx, context: Context, id: string) {
  await lockRow.priceReference(tx, id);
  const reference = await tx.priceReference.findFirst({ where: { id, ...readableCollectivesWhere(context) } });
  if (!reference) throw new NotFoundError('input.id', 'PriceReference');
  requireChangeable(context, reference.collectiveId, 'input.id', 'price reference');
  return reference;
}

/** Changes to a price reference; a null or missing field stays as it is. */
export type PriceReferenceChanges = { [K in Exclude<keyof PriceReferenceInput, 'collectiveId'>]?: PriceReferenceInput[K] | null };

/** Records prices observed in a sector collective. */
export async function createPriceReference(tx: Tx, context: Context, input: PriceReferenceInput, now: Date) {
  const viewer = viewerOf(context);
  const collective = await sectorCollectiveForChange(tx, context, input.collectiveId);
  checkPriceFigures(input, now);
  const reference = await tx.priceReference.create({
    data: {
      collectiveId: collective.id,
      service: tidy(input.service),
      unit: input.unit,
      minCents: input.minCents,
      medianCents: input.medianCents,
      maxCents: input.maxCents,
      sampleSize: input.sampleSize,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
      createdById: viewer.id,
    },
  });
  await priceEvent(tx, 'priceReference.created', reference, viewer.id);
  return reference;
}

/** Corrects a price reference; omitted fields stay. Any active member of the collective may (the references are the collective's). */
export async function updatePriceReference(tx: Tx, context: Context, id: string, changes: PriceReferenceChanges, now: Date) {
  const viewer = viewerOf(context);
  const current = await priceReferenceForChange(tx, context, id);
  const present = Object.entries(changes).filter(([, value]) => value != null);
  const given = Object.fromEntries(present) as Partial<Omit<PriceReferenceInput, 'collectiveId'>>;
  const next = { ...current, ...given };
  checkPriceFigures(next, now, new Set(present.map(([key]) => key)) as Set<keyof PriceFigures>);
  const data = {
    service: tidy(next.service),
    unit: next.unit,
    minCents: next.minCents,
    medianCents: next.medianCents,
    maxCents: next.maxCents,
    sampleSize: next.sampleSize,
    periodStart: next.periodStart,
    periodEnd: next.periodEnd,
  };
  if (changesNothing(current, data)) return current;
  const reference = await tx.priceReference.update({ where: { id: current.id }, data });
  await priceEvent(tx, 'priceReference.updated', reference, viewer.id);
  return reference;
}

/** Deletes a price reference for good: it is an observation, not a record anyone relies on later. */
export async function removePriceReference(tx: Tx, context: Context, id: string) {
  const viewer = viewerOf(context);
  const reference = await priceReferenceForChange(tx, context, id);
  await tx.priceReference.delete({ where: { id: reference.id } });
  await priceEvent(tx, 'priceReference.removed', reference, viewer.id);
  return reference;
}

// ───────────────────────── Supplier recommendations ─────────────────────────

export function checkRating(rating: number): void {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new RuleViolationError('input.rating', 'RATING_OUT_OF_RANGE');
}

/** The average rating of one supplier in one category. */
export interface SupplierRating {
  supplierName: string;
  category: string;
  averageRating: number;
  count: number;
}

/**
 * Averages ratings per supplier and category (names compared in any case and spacing; the first
 * spelling given wins). Best average first, then most ratings, then by name.
 */
export function aggregateRatings(
  rows: ReadonlyArray<Pick<SupplierRecommendation, 'supplierName' | 'category' | 'rating'>>,
): SupplierRating[] {
  const groups = new Map<string, { supplierName: string; category: string; sum: number; count: number }>();
  for (const row of rows) {
    const key = JSON.stringify([tidy(row.supplierName).toLocaleLowerCase('fr'), tidy(row.category).toLocaleLowerCase('fr')]);
    const group = groups.get(key) ?? { supplierName: row.supplierName, category: row.category, sum: 0, count: 0 };
    group.sum += row.rating;
    group.count += 1;
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(({ supplierName, category, sum, count }) => ({ supplierName, category, averageRating: sum / count, count }))
    .sort(
      (a, b) =>
        b.averageRating - a.averageRating ||
        b.count - a.count ||
        a.supplierName.localeCompare(b.supplierName, 'fr') ||
        a.category.localeCompare(b.category, 'fr'),
    );
}

function recommendationEvent(tx: Tx, type: EventTypeOf<'supplierRecommendation'>, recommendation: SupplierRecommendation) {
  return recordEvent(tx, {
    type,
    subject: { typename: 'SupplierRecommendation', id: recommendation.id },
    collectiveId: recommendation.collectiveId,
    actorId: recommendation.recommendedById,
    payload: {
      supplierName: recommendation.supplierName,
      category: recommendation.category,
      rating: recommendation.rating,
      recommendedAt: recommendation.recommendedAt.toISOString(),
    },
  });
}

/**
 * One recommendation per member, supplier and category in a collective, so each member counts once
 * in an average. Run with the collective locked, so two requests cannot both pass.
 */
async function requireNotYetRecommended(
  tx: Tx,
  collectiveId: string,
  memberId: string,
  supplierName: string,
  category: string,
  field: string,
  exceptId = NO_ONE,
) {
  const mine = await tx.supplierRecommendation.findMany({
    where: { collectiveId, recommendedById: memberId, id: { not: exceptId } },
    select: { supplierName: true, category: true },
  });
  if (mine.some((row) => sameName(row.supplierName, supplierName) && sameName(row.category, category)))
    throw new RuleViolationError(field, 'ALREADY_RECOMMENDED');
}

export interface RecommendSupplierInput {
  collectiveId: string;
  supplierName: string;
  category: string;
  rating: number;
  comment?: string | null;
}

/** The viewer recommends a supplier to their sector collective. */
export async function recommendSupplier(tx: Tx, context: Context, input: RecommendSupplierInput, now: Date) {
  const viewer = viewerOf(context);
  const collective = await sectorCollectiveForChange(tx, context, input.collectiveId, { lock: true });
  checkRating(input.rating);
  const supplierName = tidy(input.supplierName);
  const category = tidy(input.category);
  await requireNotYetRecommended(tx, collective.id, viewer.id, supplierName, category, 'input.supplierName');
  const recommendation = await tx.supplierRecommendation.create({
    data: {
      collectiveId: collective.id,
      supplierName,
      category,
      rating: input.rating,
      comment: input.comment?.trim() ?? '',
      recommendedById: viewer.id,
      recommendedAt: now,
    },
  });
  await recommendationEvent(tx, 'supplierRecommendation.created', recommendation);
  return recommendation;
}

/**
 * Its author revises a recommendation (rating, comment, category); its date becomes today's. Resent as it is, nothing is
 * written and no event recorded.
 */
export async function updateSupplierRecommendation(
  tx: Tx,
  context: Context,
  id: string,
  changes: { category?: string | null; rating?: number | null; comment?: string | null },
  now: Date,
) {
  const viewer = viewerOf(context);
  const found = await tx.supplierRecommendation.findFirst({ where: { id, ...readableCollectivesWhere(context) } });
  if (!found) throw new NotFoundError('input.id', 'SupplierRecommendation');
  requireChangeable(context, found.collectiveId, 'input.id', 'supplier recommendation');
  if (found.recommendedById !== viewer.id) throw new ForbiddenError('Seul son auteur modifie une recommandation.');
  await lockCollective(tx, found.collectiveId);
  const current = await tx.supplierRecommendation.findUniqueOrThrow({ where: { id: found.id } });
  if (changes.rating != null) checkRating(changes.rating);
  const category = changes.category != null ? tidy(changes.category) : current.category;
  if (!sameName(category, current.category))
    await requireNotYetRecommended(
      tx,
      current.collectiveId,
      viewer.id,
      current.supplierName,
      category,
      'input.category',
      current.id,
    );
  const revised = {
    category,
    rating: changes.rating ?? current.rating,
    comment: changes.comment != null ? changes.comment.trim() : current.comment,
  };
  // Resent as it is, it is not revised: its date stays (it says when it was made or last revised).
  if (changesNothing(current, revised)) return current;
  const recommendation = await tx.supplierRecommendation.update({
    where: { id: current.id },
    data: { ...revised, recommendedAt: now },
  });
  await recommendationEvent(tx, 'supplierRecommendation.updated', recommendation);
  return recommendation;
}

// ───────────────────────────── Service exchanges ─────────────────────────────

export const MAX_SERVICE_HOURS = NUMBER_BOUNDS.serviceHours.max;

/** More than 0, at most 100, in quarter-hours (exact in binary floating point, so `hours * 4` is too). */
export function checkHours(hours: number): void {
  if (!(hours > 0 && hours <= MAX_SERVICE_HOURS)) throw new RuleViolationError('input.hours', 'SERVICE_HOURS_OUT_OF_RANGE');
  if (!Number.isInteger(hours * 4)) throw new RuleViolationError('input.hours', 'SERVICE_HOURS_NOT_QUARTER');
}

export type ServiceAction = 'ACCEPT' | 'COMPLETE' | 'CANCEL';

/**
 * The status a service exchange moves to when `actorId` does `action`, or the error:
 * OFFERED → ACCEPTED by anyone but the provider (only the named beneficiary, if the offer names one);
 * ACCEPTED → DONE by either party; OFFERED → CANCELLED by the provider; ACCEPTED → CANCELLED by either party.
 * The status is checked before the actor.
 */
export function nextServiceStatus(
  exchange: Pick<ServiceExchange, 'status' | 'providerId' | 'beneficiaryId'>,
  action: ServiceAction,
  actorId: string,
): ServiceExchangeStatus {
  const isProvider = exchange.providerId === actorId;
  const isBeneficiary = exchange.beneficiaryId === actorId;
  const refuse = () => new RuleViolationError('input.id', 'INVALID_STATUS_CHANGE');
  switch (action) {
    case 'ACCEPT':
      if (exchange.status !== 'OFFERED') throw refuse();
      if (isProvider) throw new RuleViolationError('input.id', 'OWN_SERVICE');
      if (exchange.beneficiaryId && !isBeneficiary) throw new ForbiddenError('Ce service est proposé à un autre membre.');
      return 'ACCEPTED';
    case 'COMPLETE':
      if (exchange.status !== 'ACCEPTED') throw refuse();
      if (!isProvider && !isBeneficiary)
        throw new ForbiddenError('Seul son prestataire ou son bénéficiaire marque un service comme rendu.');
      return 'DONE';
    case 'CANCEL':
      if (exchange.status === 'OFFERED') {
        if (!isProvider) throw new ForbiddenError('Seul son prestataire retire une offre.');
      } else if (exchange.status === 'ACCEPTED') {
        if (!isProvider && !isBeneficiary)
          throw new ForbiddenError('Seul son prestataire ou son bénéficiaire annule un service.');
      } else {
        throw refuse();
      }
      return 'CANCELLED';
  }
}

function serviceEvent(tx: Tx, type: EventTypeOf<'serviceExchange'>, exchange: ServiceExchange, actorId: string) {
  return recordEvent(tx, {
    type,
    subject: { typename: 'ServiceExchange', id: exchange.id },
    collectiveId: exchange.collectiveId,
    actorId,
    payload: {
      status: exchange.status,
      providerId: exchange.providerId,
      beneficiaryId: exchange.beneficiaryId,
      hours: exchange.hours.toNumber(),
      description: exchange.description,
    },
  });
}

export interface OfferServiceInput {
  collectiveId: string;
  description: string;
  hours: number;
  beneficiaryId?: string | null;
}

/** The viewer offers a free service to the collective, or to one of its members. */
export async function offerService(tx: Tx, context: Context, input: OfferServiceInput) {
  const viewer = viewerOf(context);
  const collective = await sectorCollectiveForChange(tx, context, input.collectiveId);
  checkHours(input.hours);
  if (input.beneficiaryId) {
    if (input.beneficiaryId === viewer.id) throw new RuleViolationError('input.beneficiaryId', 'OWN_SERVICE');
    const membership = await tx.membership.findFirst({
      where: { collectiveId: collective.id, memberId: input.beneficiaryId, status: 'ACTIVE' },
    });
    if (!membership) throw new RuleViolationError('input.beneficiaryId', 'NOT_A_MEMBER');
  }
  const exchange = await tx.serviceExchange.create({
    data: {
      collectiveId: collective.id,
      providerId: viewer.id,
      beneficiaryId: input.beneficiaryId ?? null,
      description: input.description.trim(),
      hours: input.hours,
      status: 'OFFERED',
    },
  });
  await serviceEvent(tx, 'serviceExchange.offered', exchange, viewer.id);
  return exchange;
}

const SERVICE_EVENTS: Record<ServiceAction, EventTypeOf<'serviceExchange'>> = {
  ACCEPT: 'serviceExchange.accepted',
  COMPLETE: 'serviceExchange.completed',
  CANCEL: 'serviceExchange.cancelled',
};

/** Accepts, completes or cancels a service exchange, as `nextServiceStatus` allows. */
export async function changeService(tx: Tx, context: Context, id: string, action: ServiceAction) {
  const viewer = viewerOf(context);
  await lockRow.serviceExchange(tx, id);
  const current = await tx.serviceExchange.findFirst({ where: { id, ...readableCollectivesWhere(context) } });
  if (!current) throw new NotFoundError('input.id', 'ServiceExchange');
  requireChangeable(context, current.collectiveId, 'input.id', 'service exchange');
  const status = nextServiceStatus(current, action, viewer.id);
  const exchange = await tx.serviceExchange.update({
    where: { id: current.id },
    data: { status, ...(action === 'ACCEPT' ? { beneficiaryId: viewer.id } : {}) },
  });
  await serviceEvent(tx, SERVICE_EVENTS[action], exchange, viewer.id);
  return exchange;
}

// ───────────────────────────── Referrals ─────────────────────────────

/**
 * Who sees a referral: the support staff, its two members, and the active members of the collective
 * it was made in (a referral made outside any collective is for its two members and the support staff).
 */
export function visibleReferralsWhere(context: Context): { OR?: Prisma.ReferralWhereInput[] } {
  if (context.access.isSupportStaff) return {};
  const viewerId = context.access.viewer?.id ?? NO_ONE;
  const insiderOf = [...context.access.insiderOf];
  return {
    OR: [
      { fromMemberId: viewerId },
      { toMemberId: viewerId },
      ...(insiderOf.length > 0 ? [{ collectiveId: { in: insiderOf } }] : []),
    ],
  };
}

/** The only status changes of a referral; everything else is refused. All are the recipient's. */
export const REFERRAL_TRANSITIONS: Readonly<Record<ReferralStatus, readonly ReferralStatus[]>> = {
  PROPOSED: ['ACCEPTED', 'LOST'],
  ACCEPTED: ['QUOTED'],
  QUOTED: ['SIGNED', 'LOST'],
  SIGNED: [],
  LOST: [],
};

/**
 * The referral after moving to `to`: a quote needs a positive amount; a signature keeps the quoted
 * amount or takes a new positive one; other steps take no amount (a lost quote keeps its amount).
 */
export function nextReferral(
  current: Pick<Referral, 'status' | 'amountCents'>,
  to: ReferralStatus,
  amountCents?: number | null,
): { status: ReferralStatus; amountCents: number | null } {
  if (!REFERRAL_TRANSITIONS[current.status].includes(to)) throw new RuleViolationError('input.status', 'INVALID_STATUS_CHANGE');
  if (to === 'QUOTED' || to === 'SIGNED') {
    const amount = amountCents ?? (to === 'SIGNED' ? current.amountCents : null);
    if (amount == null) throw new RuleViolationError('input.amountCents', 'REFERRAL_AMOUNT_REQUIRED');
    if (amount <= 0) throw new RuleViolationError('input.amountCents', 'REFERRAL_AMOUNT_NOT_POSITIVE');
    return { status: to, amountCents: amount };
  }
  if (amountCents != null) throw new RuleViolationError('input.amountCents', 'REFERRAL_AMOUNT_NOT_EXPECTED');
  return { status: to, amountCents: current.amountCents };
}

function referralEvent(
  tx: Tx,
  type: EventTypeOf<'referral'>,
  referral: Referral,
  actorId: string,
  previousStatus: ReferralStatus | null,
) {
  return recordEvent(tx, {
    type,
    subject: { typename: 'Referral', id: referral.id },
    collectiveId: referral.collectiveId,
    actorId,
    payload: {
      status: referral.status,
      previousStatus,
      amountCents: referral.amountCents,
      clientName: referral.clientName,
      fromMemberId: referral.fromMemberId,
      toMemberId: referral.toMemberId,
    },
  });
}

export interface CreateReferralInput {
  toMemberId: string;
  clientName: string;
  description?: string | null;
  collectiveId?: string | null;
}

/**
 * The viewer refers a client to another active member: inside a sector collective (both active in it),
 * or outside any collective.
 */
export async function createReferral(tx: Tx, context: Context, input: CreateReferralInput) {
  const viewer = viewerOf(context);
  const collective = input.collectiveId ? await sectorCollectiveForChange(tx, context, input.collectiveId) : null;
  if (input.toMemberId === viewer.id) throw new RuleViolationError('input.toMemberId', 'REFERRAL_TO_SELF');
  const recipient = await tx.member.findUnique({ where: { id: input.toMemberId } });
  if (!recipient) throw new NotFoundError('input.toMemberId', 'Member');
  if (recipient.situation !== 'ACTIVE') throw new RuleViolationError('input.toMemberId', 'MEMBER_NOT_ACTIVE');
  if (collective) {
    const membership = await tx.membership.findFirst({
      where: { collectiveId: collective.id, memberId: recipient.id, status: 'ACTIVE' },
    });
    if (!membership) throw new RuleViolationError('input.toMemberId', 'NOT_A_MEMBER');
  }
  const referral = await tx.referral.create({
    data: {
      collectiveId: collective?.id ?? null,
      fromMemberId: viewer.id,
      toMemberId: recipient.id,
      clientName: tidy(input.clientName),
      description: input.description?.trim() ?? '',
      status: 'PROPOSED',
    },
  });
  await referralEvent(tx, 'referral.proposed', referral, viewer.id, null);
  return referral;
}

/** The recipient moves a referral on (see `REFERRAL_TRANSITIONS`). */
export async function changeReferralStatus(
  tx: Tx,
  context: Context,
  id: string,
  to: ReferralStatus,
  amountCents?: number | null,
) {
  const viewer = viewerOf(context);
  await lockRow.referral(tx, id);
  const current = await tx.referral.findFirst({ where: { id, ...visibleReferralsWhere(context) } });
  if (!current) throw new NotFoundError('input.id', 'Referral');
  if (current.toMemberId !== viewer.id)
    throw new ForbiddenError('Seul le membre à qui le client a été recommandé fait avancer la prescription.');
  const next = nextReferral(current, to, amountCents);
  const referral = await tx.referral.update({ where: { id: current.id }, data: next });
  await referralEvent(tx, 'referral.statusChanged', referral, viewer.id, current.status);
  return referral;
}
