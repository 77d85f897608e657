import { NotFoundError, RuleViolationError } from '../errors.js';
import type { Member, Prisma } from '../generated/prisma/client.js';
import type { BusinessHorizon, CollectiveKind, CollectiveStatus, Openness, Sector } from '../generated/prisma/enums.js';
import { parisDay } from './calendar.js';

export type Tx = Prisma.TransactionClient;

/** The fields of a collective that the rules constrain together. */
export interface CollectiveShape {
  kind: CollectiveKind;
  horizon: BusinessHorizon | null;
  openness: Openness;
  sector: Sector | null;
  objective: string | null;
  targetDate: Date | null;
}

/** Checks a collective's kind-specific rules (DOMAIN.md, "Collectives"); throws the first one broken. */
export function checkCollectiveShape(shape: CollectiveShape, now: Date, options: { targetDateChanged: boolean }): void {
  if (shape.kind === 'COMMONS' && shape.openness !== 'OPEN') throw new RuleViolationError('openness', 'COMMONS_MUST_BE_OPEN');
  if (shape.kind === 'SECTOR' && !shape.sector) throw new RuleViolationError('sector', 'SECTOR_REQUIRED');
  if (shape.kind !== 'BUSINESS' && shape.horizon) throw new RuleViolationError('horizon', 'HORIZON_ONLY_FOR_BUSINESS');
  if (shape.kind === 'BUSINESS' && !shape.horizon) throw new RuleViolationError('horizon', 'HORIZON_REQUIRED');
  if (shape.horizon === 'ONE_OFF') {
    if (!shape.objective?.trim()) throw new RuleViolationError('objective', 'OBJECTIVE_REQUIRED');
    if (!shape.targetDate) throw new RuleViolationError('targetDate', 'TARGET_DATE_REQUIRED');
    if (options.targetDateChanged && shape.targetDate < parisDay(now))
      throw new RuleViolationError('targetDate', 'TARGET_DATE_IN_PAST');
  }
  if (shape.horizon === 'LONG_TERM' && shape.targetDate)
    throw new RuleViolationError('targetDate', 'NO_TARGET_DATE_FOR_LONG_TERM');
}

/** Checks that `member` may animate a collective of this kind. */
export function checkAnimator(kind: CollectiveKind, member: Member, field: string): void {
  if (member.situation !== 'ACTIVE') throw new RuleViolationError(field, 'MEMBER_NOT_ACTIVE');
  if (kind === 'COMMONS' && !(member.kind === 'ENTREPRENEUR' && member.isAssociate)) {
    throw new RuleViolationError(field, 'COMMONS_ANIMATOR_MUST_BE_ASSOCIATE');
  }
}

/** Checks that `member` may co-animate a collective of this kind. */
export function checkCoAnimator(kind: CollectiveKind, member: Member, field: string): void {
  if (member.situation !== 'ACTIVE') throw new RuleViolationError(field, 'MEMBER_NOT_ACTIVE');
  if (kind === 'COMMONS' && member.kind !== 'SUPPORT_STAFF')
    throw new RuleViolationError(field, 'COMMONS_CO_ANIMATOR_MUST_BE_SUPPORT_STAFF');
}

const STATUS_CHANGES: Record<CollectiveStatus, CollectiveStatus[]> = {
  PROPOSED: ['ACTIVE'],
  ACTIVE: ['DORMANT'],
  DORMANT: ['ACTIVE'],
  // Closing has its own mutation, because it ends every membership.
  CLOSED: [],
};

export function checkStatusChange(from: CollectiveStatus, to: CollectiveStatus): void {
  if (from !== to && !STATUS_CHANGES[from].includes(to)) throw new RuleViolationError('status', 'INVALID_STATUS_CHANGE');
}

/**
 * A URL slug from a name: `Vie coopérative` → `vie-cooperative`. Latin accents are dropped, as French addresses
 * usually do; letters and digits of every other script are kept (`合作社` → `合作社`, percent-encoded in the URL by
 * the browser), so a name in any script has an address rather than being refused as having no letter.
 */
export function slugify(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/**
 * The slug of a collective's name, refusing a name that has none (`!!!`: no letter or digit, so no address on the
 * site) with `NAME_WITHOUT_LETTERS` on `field`. Every path that sets a name checks it (create and update), so no
 * collective is ever named what could not have created it.
 */
export function slugOfName(name: string, field: string): string {
  const slug = slugify(name);
  if (!slug) throw new RuleViolationError(field, 'NAME_WITHOUT_LETTERS');
  return slug;
}

/**
 * Locks a collective's row for the rest of the transaction, so that concurrent membership changes
 * of one collective run one after the other and the "one animator" rules cannot race.
 */
export async function lockCollective(tx: Tx, id: string, field = 'collectiveId') {
  await tx.$queryRaw`SELECT id FROM "Collective" WHERE id = ${id}::uuid FOR UPDATE`;
  const collective = await tx.collective.findUnique({ where: { id } });
  if (!collective) throw new NotFoundError(field, 'Collective');
  return collective;
}

/** The active membership with the given role, if any. */
export function activeWithRole(tx: Tx, collectiveId: string, role: 'ANIMATOR' | 'CO_ANIMATOR') {
  return tx.membership.findFirst({ where: { collectiveId, role, status: 'ACTIVE' } });
}
