import { NotFoundError, RuleViolationError } from '../errors.js';
import type { CostSplitMode } from '../generated/prisma/enums.js';
import { parisDay } from './calendar.js';
import type { Tx } from './collectives.js';
import { splitCents, WHOLE_SHARE } from './money.js';

// Trade-show stands (DOMAIN.md, "Trade-show stands"). The checks below are pure and name bare
// fields (`setUpStartsAt`, `participants.2.daysPresent`); mutations put them under `input.`.

/** A stand's costs are summed into a GraphQL `Int`, so they stay within a 32-bit integer. */
export const MAX_TOTAL_CENTS = 2_147_483_647;

/** An interval of time, closed at the start and open at the end. */
export interface Slot {
  startsAt: Date;
  endsAt: Date;
}

/** One day the show is open: a calendar day and its opening hours, as instants. */
export interface OpeningHours {
  day: Date;
  opensAt: Date;
  closesAt: Date;
}

/** The dates of a stand that its rules relate to each other. */
export interface StandDates {
  setUpStartsAt: Date | null;
  tearDownEndsAt: Date | null;
  registrationDeadline: Date | null;
  cancellationDeadline: Date | null;
  openingDays: readonly OpeningHours[];
}

/** A participant as the split reads it. */
export interface SplitParticipant {
  daysPresent: number;
  customShareBasisPoints: number | null;
}

/** Whether two intervals share any instant: one that ends when the other starts does not. */
export function overlaps(a: Slot, b: Slot): boolean {
  return a.startsAt < b.endsAt && b.startsAt < a.endsAt;
}

/**
 * Checks the opening days on their own: each listed once, opening before it closes, both instants on
 * that calendar day in Paris (a show open until midnight closes at 23:59).
 */
export function checkOpeningDays(days: readonly OpeningHours[]): void {
  const seen = new Set<number>();
  days.forEach((day, index) => {
    const at = (field: string) => `openingDays.${index}.${field}`;
    if (seen.has(day.day.getTime())) throw new RuleViolationError(at('day'), 'STAND_DUPLICATE_OPENING_DAY');
    seen.add(day.day.getTime());
    if (parisDay(day.opensAt).getTime() !== day.day.getTime()) throw new RuleViolationError(at('opensAt'), 'STAND_HOURS_OFF_DAY');
    if (parisDay(day.closesAt).getTime() !== day.day.getTime())
      throw new RuleViolationError(at('closesAt'), 'STAND_HOURS_OFF_DAY');
    if (!(day.opensAt < day.closesAt)) throw new RuleViolationError(at('closesAt'), 'STAND_OPENS_AFTER_CLOSES');
  });
}

/**
 * Checks how a stand's dates relate: set-up starts no later than the first opening and tear-down ends
 * no earlier than the last closing (and after set-up); the registration deadline comes no later than
 * the cancellation deadline, and both fall on a Paris day before the first opening day. When a rule
 * relates two values, the error names the one in `changed` (the other, the one already stored, is the
 * reference).
 */
export function checkStandDates(dates: StandDates, changed: ReadonlySet<string>): void {
  const blame = (first: string, second: string) => (changed.has(first) || !changed.has(second) ? first : second);
  const days = [...dates.openingDays].sort((a, b) => a.opensAt.getTime() - b.opensAt.getTime());
  const first = days[0];
  const lastClosing = days.reduce<Date | null>((last, day) => (!last || day.closesAt > last ? day.closesAt : last), null);
  const { setUpStartsAt, tearDownEndsAt, registrationDeadline, cancellationDeadline } = dates;
  if (setUpStartsAt && first && setUpStartsAt > first.opensAt)
    throw new RuleViolationError(blame('setUpStartsAt', 'openingDays'), 'STAND_SET_UP_AFTER_OPENING');
  if (tearDownEndsAt && lastClosing && tearDownEndsAt < lastClosing)
    throw new RuleViolationError(blame('tearDownEndsAt', 'openingDays'), 'STAND_TEAR_DOWN_BEFORE_CLOSING');
  if (setUpStartsAt && tearDownEndsAt && !(setUpStartsAt < tearDownEndsAt))
    throw new RuleViolationError(blame('tearDownEndsAt', 'setUpStartsAt'), 'STAND_TEAR_DOWN_BEFORE_SET_UP');
  if (registrationDeadline && cancellationDeadline && cancellationDeadline < registrationDeadline)
    throw new RuleViolationError(blame('cancellationDeadline', 'registrationDeadline'), 'STAND_CANCELLATION_BEFORE_REGISTRATION');
  for (const [field, deadline] of [
    ['registrationDeadline', registrationDeadline],
    ['cancellationDeadline', cancellationDeadline],
  ] as const) {
    if (deadline && first && !(parisDay(deadline) < first.day))
      throw new RuleViolationError(blame(field, 'openingDays'), 'STAND_DEADLINE_AFTER_OPENING');
  }
}

/** A stand's area, when known, is positive. */
export function checkArea(areaSquareMeters: number | null | undefined, field = 'areaSquareMeters'): void {
  if (areaSquareMeters != null && !(areaSquareMeters > 0)) throw new RuleViolationError(field, 'STAND_AREA_NOT_POSITIVE');
}

/** A cost is a positive number of cents. */
export function checkCost(amountCents: number, field = 'amountCents'): void {
  if (!(Number.isSafeInteger(amountCents) && amountCents > 0)) throw new RuleViolationError(field, 'STAND_COST_NOT_POSITIVE');
}

/** A shift (and a stand's default for its shifts) needs at least one person. */
export function checkMinimumStaff(minimumStaff: number, field = 'minimumStaff'): void {
  if (!(minimumStaff >= 1)) throw new RuleViolationError(field, 'STAND_MINIMUM_STAFF_BELOW_ONE');
}

/** The opening day whose hours contain the whole slot, if one does. */
export function openingDayOf<D extends Pick<OpeningHours, 'opensAt' | 'closesAt'>>(
  slot: Slot,
  days: readonly D[],
): D | undefined {
  return days.find((day) => day.opensAt <= slot.startsAt && slot.endsAt <= day.closesAt);
}

/** Checks a shift on its own and against the opening hours: it lies within those of one opening day. */
export function checkShift(shift: Slot & { minimumStaff: number }, days: readonly OpeningHours[]): void {
  if (!(shift.startsAt < shift.endsAt)) throw new RuleViolationError('endsAt', 'SHIFT_ENDS_BEFORE_START');
  checkMinimumStaff(shift.minimumStaff);
  if (!openingDayOf(shift, days)) throw new RuleViolationError('startsAt', 'SHIFT_OUTSIDE_OPENING_HOURS');
}

/**
 * Checks the participants against the split mode. Days present are between 0 and the number of
 * opening days (at least 1 for a pro rata split); a custom split gives everyone a share, and the
 * shares sum to exactly 10 000 basis points. Errors name `participants.<index>.<field>`, or
 * `participants` for the sum.
 */
export function checkParticipants(mode: CostSplitMode, participants: readonly SplitParticipant[], openingDayCount: number): void {
  participants.forEach((participant, index) => {
    const fewest = mode === 'PRO_RATA_DAYS' ? 1 : 0;
    if (participant.daysPresent < fewest || participant.daysPresent > openingDayCount)
      throw new RuleViolationError(`participants.${index}.daysPresent`, 'STAND_DAYS_PRESENT_OUT_OF_RANGE');
    if (mode === 'CUSTOM' && participant.customShareBasisPoints == null)
      throw new RuleViolationError(`participants.${index}.customShareBasisPoints`, 'STAND_CUSTOM_SHARE_REQUIRED');
  });
  if (mode === 'CUSTOM' && participants.length > 0) {
    const sum = participants.reduce((total, participant) => total + (participant.customShareBasisPoints ?? 0), 0);
    if (sum !== WHOLE_SHARE) throw new RuleViolationError('participants', 'STAND_CUSTOM_SHARES_NOT_100');
  }
}

/**
 * Each participant's part of `totalCents`, in their order: equal parts, in proportion to days present,
 * or by custom basis points. Largest remainder, so the parts always sum to the total to the cent.
 * Assumes `checkParticipants` passed. No participants, no parts.
 */
export function splitStandCosts(mode: CostSplitMode, totalCents: number, participants: readonly SplitParticipant[]): number[] {
  if (participants.length === 0) return [];
  const weights = participants.map((participant) => {
    if (mode === 'PRO_RATA_DAYS') return participant.daysPresent;
    if (mode === 'CUSTOM') return participant.customShareBasisPoints ?? 0;
    return 1;
  });
  return splitCents(totalCents, weights);
}

/**
 * The parts of the opening hours that no covered slot (a shift with at least one person) covers,
 * day by day, in time order.
 */
export function uncoveredSlots(days: readonly Pick<OpeningHours, 'opensAt' | 'closesAt'>[], covered: readonly Slot[]): Slot[] {
  const gaps: Slot[] = [];
  const byStart = [...covered].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  for (const day of [...days].sort((a, b) => a.opensAt.getTime() - b.opensAt.getTime())) {
    let from = day.opensAt;
    for (const slot of byStart) {
      if (slot.endsAt <= from || slot.startsAt >= day.closesAt) continue;
      if (slot.startsAt > from) gaps.push({ startsAt: from, endsAt: slot.startsAt });
      if (slot.endsAt > from) from = slot.endsAt;
      if (from >= day.closesAt) break;
    }
    if (from < day.closesAt) gaps.push({ startsAt: from, endsAt: day.closesAt });
  }
  return gaps;
}

/** A shift is understaffed while fewer people are on it than its minimum. */
export function isUnderstaffed(shift: { minimumStaff: number }, staffCount: number): boolean {
  return staffCount < shift.minimumStaff;
}

// ───────────────────────── In a transaction ─────────────────────────

/**
 * Locks a stand's row for the rest of the transaction, so that changes to one stand (and the
 * recomputation of its shares) run one after the other. Null when there is no such stand.
 */
export async function lockStand(tx: Tx, id: string) {
  await tx.$queryRaw`SELECT id FROM "TradeShowStand" WHERE id = ${id}::uuid FOR UPDATE`;
  return tx.tradeShowStand.findUnique({ where: { id }, include: { collective: true } });
}

/**
 * Locks a member's row, so that two assignments of one person (on any stand) cannot both pass the
 * overlap check. Always taken after the stand's lock.
 */
export async function lockMember(tx: Tx, id: string, field: string) {
  await tx.$queryRaw`SELECT id FROM "Member" WHERE id = ${id}::uuid FOR UPDATE`;
  const member = await tx.member.findUnique({ where: { id } });
  if (!member) throw new NotFoundError(field, 'Member');
  return member;
}

/** Whether a member is an active member of a collective. */
export async function isActiveMember(tx: Tx, collectiveId: string, memberId: string): Promise<boolean> {
  return (await tx.membership.count({ where: { collectiveId, memberId, status: 'ACTIVE' } })) > 0;
}

/**
 * Who pays the organiser: an active member of the stand's collective and, once the stand has
 * participants, one of them.
 */
export async function checkPayer(tx: Tx, stand: { id: string; collectiveId: string }, payerId: string, field = 'payerId') {
  if (!(await isActiveMember(tx, stand.collectiveId, payerId))) throw new RuleViolationError(field, 'NOT_A_MEMBER');
  const participants = await tx.standParticipant.findMany({ where: { standId: stand.id }, select: { memberId: true } });
  if (participants.length > 0 && !participants.some((participant) => participant.memberId === payerId))
    throw new RuleViolationError(field, 'STAND_PAYER_NOT_PARTICIPANT');
}

/** The shares a stand's costs were split into, for an event's payload. */
export interface SplitResult {
  splitMode: CostSplitMode;
  totalCostCents: number;
  shares: Array<{ memberId: string; amountCents: number }>;
}

/**
 * Checks the split against the stand as stored now and, unless `write` is false, replaces its cost
 * shares with a fresh split (participants taken by name: ties of the largest remainder go to the first). Call it after any change to cost lines, participants, split mode or
 * opening days, inside the same transaction. Errors name `participants` or `costLines`.
 */
export async function resplit(tx: Tx, standId: string, now: Date, write = true): Promise<SplitResult> {
  const stand = await tx.tradeShowStand.findUniqueOrThrow({
    where: { id: standId },
    select: {
      splitMode: true,
      costLines: { select: { amountCents: true } },
      // By name, so that the cents left over by the split go to the same people every time.
      participants: {
        select: { memberId: true, daysPresent: true, customShareBasisPoints: true },
        orderBy: [{ member: { lastName: 'asc' } }, { member: { firstName: 'asc' } }, { memberId: 'asc' }],
      },
      _count: { select: { openingDays: true } },
    },
  });
  const totalCostCents = stand.costLines.reduce((total, line) => total + line.amountCents, 0);
  if (totalCostCents > MAX_TOTAL_CENTS) throw new RuleViolationError('costLines', 'STAND_TOTAL_TOO_LARGE');
  checkParticipants(stand.splitMode, stand.participants, stand._count.openingDays);
  const amounts = splitStandCosts(stand.splitMode, totalCostCents, stand.participants);
  const shares = stand.participants.map((participant, index) => ({
    memberId: participant.memberId,
    amountCents: amounts[index] ?? 0,
  }));
  if (write) {
    await tx.standCostShare.deleteMany({ where: { standId } });
    await tx.standCostShare.createMany({ data: shares.map((share) => ({ ...share, standId, computedAt: now })) });
  }
  return { splitMode: stand.splitMode, totalCostCents, shares };
}
