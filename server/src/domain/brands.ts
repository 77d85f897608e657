import { NotFoundError, RuleViolationError } from '../errors.js';
import type { BrandLegalKind } from '../generated/prisma/enums.js';
import { NUMBER_BOUNDS } from '../limits/numbers.js';
import type { Tx } from './collectives.js';
import { WHOLE_SHARE } from './money.js';

// The rules of a common brand (DOMAIN.md, "Common brand"). Checks throw the first rule broken, naming
// the mutation's input field; the transactional helpers run inside the caller's transaction.

/** A brand's protection lasts ten years from its filing date (Code de la propriété intellectuelle, L712-1). */
export const PROTECTION_YEARS = 10;

/** Nice classification: 34 classes of goods and 11 of services. */
export const NICE_CLASS_MIN = NUMBER_BOUNDS.niceClass.min;
export const NICE_CLASS_MAX = NUMBER_BOUNDS.niceClass.max;

/**
 * The day a filed brand must be renewed: its filing date plus ten years, the same day of the month
 * (a 29 February filing falls due on the 28th). Null for a brand not filed. Derived, never stored.
 */
export function renewalDate(filedOn: Date | null): Date | null {
  if (!filedOn) return null;
  const year = filedOn.getUTCFullYear() + PROTECTION_YEARS;
  const month = filedOn.getUTCMonth();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(filedOn.getUTCDate(), lastDay)));
}

/**
 * An INPI national number as the register prints it, without its spaces or dots: 7 digits today
 * (`5 038 642`), up to 9 when written with the filing year (`06 3 449 071`), 6 for old filings, and a
 * final letter for a mark partly assigned (`532401A`).
 */
const INPI_NUMBER = /^\d{6,9}[A-Z]?$/;

/** The INPI number in its stored form (separators removed, upper case), or null when blank. */
export function normaliseInpiNumber(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const compact = raw.replace(/[\s.]/g, '').toUpperCase();
  return compact === '' ? null : compact;
}

export interface Filing {
  legalKind: BrandLegalKind;
  inpiNumber: string | null;
  filedOn: Date | null;
  niceClasses: number[];
}

/**
 * Checks a brand's filing details together and returns them normalised (INPI number compacted, Nice
 * classes sorted). A brand not filed has neither INPI number nor filing date; a filed one (trademark,
 * collective or certification mark) has both, a filing date not after `today`, and at least one class.
 */
export function checkFiling(filing: Filing, today: Date): Filing {
  const inpiNumber = normaliseInpiNumber(filing.inpiNumber);
  const niceClasses = checkNiceClasses(filing.niceClasses);
  if (filing.legalKind === 'NOT_FILED') {
    if (inpiNumber) throw new RuleViolationError('input.inpiNumber', 'NOT_FILED_WITHOUT_FILING_DETAILS');
    if (filing.filedOn) throw new RuleViolationError('input.filedOn', 'NOT_FILED_WITHOUT_FILING_DETAILS');
    return { legalKind: filing.legalKind, inpiNumber: null, filedOn: null, niceClasses };
  }
  if (!inpiNumber) throw new RuleViolationError('input.inpiNumber', 'INPI_NUMBER_REQUIRED');
  if (!INPI_NUMBER.test(inpiNumber)) throw new RuleViolationError('input.inpiNumber', 'INPI_NUMBER_INVALID');
  if (!filing.filedOn) throw new RuleViolationError('input.filedOn', 'FILED_ON_REQUIRED');
  if (filing.filedOn > today) throw new RuleViolationError('input.filedOn', 'FILED_ON_IN_FUTURE');
  if (niceClasses.length === 0) throw new RuleViolationError('input.niceClasses', 'NICE_CLASSES_REQUIRED');
  return { legalKind: filing.legalKind, inpiNumber, filedOn: filing.filedOn, niceClasses };
}

/** Nice classes are integers 1–45, each once; returned sorted. */
export function checkNiceClasses(classes: readonly number[]): number[] {
  classes.forEach((value, index) => {
    if (!Number.isInteger(value) || value < NICE_CLASS_MIN || value > NICE_CLASS_MAX)
      throw new RuleViolationError(`input.niceClasses.${index}`, 'NICE_CLASS_OUT_OF_RANGE');
    if (classes.indexOf(value) !== index) throw new RuleViolationError(`input.niceClasses.${index}`, 'NICE_CLASS_DUPLICATE');
  });
  return [...classes].sort((a, b) => a - b);
}

export interface HolderShare {
  memberId: string;
  shareBasisPoints: number;
}

/** At least one holder, each once, each share 1–10 000 basis points, and the shares summing to exactly 10 000. */
export function checkHolders(holders: readonly HolderShare[], field = 'input.holders'): void {
  if (holders.length === 0) throw new RuleViolationError(field, 'BRAND_HOLDERS_REQUIRED');
  const seen = new Set<string>();
  holders.forEach((holder, index) => {
    if (seen.has(holder.memberId)) throw new RuleViolationError(`${field}.${index}.memberId`, 'BRAND_HOLDER_DUPLICATE');
    seen.add(holder.memberId);
    if (!Number.isInteger(holder.shareBasisPoints) || holder.shareBasisPoints < 1 || holder.shareBasisPoints > WHOLE_SHARE)
      throw new RuleViolationError(`${field}.${index}.shareBasisPoints`, 'BRAND_HOLDER_SHARE_OUT_OF_RANGE');
  });
  const total = holders.reduce((sum, holder) => sum + holder.shareBasisPoints, 0);
  if (total !== WHOLE_SHARE) throw new RuleViolationError(field, 'BRAND_HOLDER_SHARES_NOT_100');
}

/** Throws NOT_A_MEMBER at the first member listed who is not an active member of the collective. */
export async function requireActiveMembers(
  tx: Tx,
  collectiveId: string,
  memberIds: readonly string[],
  fieldOf: (index: number) => string,
): Promise<void> {
  const rows = await tx.membership.findMany({
    where: { collectiveId, memberId: { in: [...memberIds] }, status: 'ACTIVE', member: { situation: 'ACTIVE' } },
    select: { memberId: true },
  });
  const active = new Set(rows.map((row) => row.memberId));
  const missing = memberIds.findIndex((memberId) => !active.has(memberId));
  if (missing >= 0) throw new RuleViolationError(fieldOf(missing), 'NOT_A_MEMBER');
}

/**
 * Holds the collective's row (shared) for the rest of the transaction, so the memberships checked here
 * cannot end before the change commits (membership changes lock the row for update).
 */
export async function holdCollective(tx: Tx, collectiveId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Collective" WHERE id = ${collectiveId}::uuid FOR SHARE`;
}

/** Locks a brand's row for the rest of the transaction: its holders and usage rules change one request at a time. */
export async function lockBrand(tx: Tx, brandId: string, field: string) {
  await tx.$queryRaw`SELECT id FROM "Brand" WHERE id = ${brandId}::uuid FOR UPDATE`;
  const brand = await tx.brand.findUnique({ where: { id: brandId } });
  if (!brand) throw new NotFoundError(field, 'Brand');
  return brand;
}

/**
 * Puts a brand's pending usage-rule version in force if every current holder has approved it: the
 * version in force until then is superseded at the same instant. Approvals of former holders are kept
 * but no longer count; a holder added later must approve too. Returns the pending version's status
 * afterwards, or null when none is pending.
 */
export async function settlePendingUsageRules(tx: Tx, brandId: string, now: Date): Promise<'PENDING' | 'IN_FORCE' | null> {
  const pending = await tx.brandUsageRuleVersion.findFirst({
    where: { brandId, status: 'PENDING' },
    select: { id: true, approvals: { select: { memberId: true } } },
  });
  if (!pending) return null;
  const holders = await tx.brandHolder.findMany({ where: { brandId }, select: { memberId: true } });
  const approved = new Set(pending.approvals.map((approval) => approval.memberId));
  if (holders.length === 0 || !holders.every((holder) => approved.has(holder.memberId))) return 'PENDING';
  await tx.brandUsageRuleVersion.updateMany({ where: { brandId, status: 'IN_FORCE' }, data: { status: 'SUPERSEDED' } });
  await tx.brandUsageRuleVersion.update({ where: { id: pending.id }, data: { status: 'IN_FORCE', effectiveAt: now } });
  return 'IN_FORCE';
}
