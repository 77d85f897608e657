import { encodeGlobalID } from '@pothos/plugin-relay';
import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { lockCollective, type Tx } from '../domain/collectives.js';
import { readableCollectivesWhere, requireChangeable, VIEWER_CAN_CHANGE } from '../domain/resources.js';
import {
  checkArea,
  checkCost,
  checkMinimumStaff,
  checkOpeningDays,
  checkParticipants,
  checkPayer,
  checkShift,
  checkStandDates,
  isActiveMember,
  isUnderstaffed,
  lockMember,
  lockStand,
  openingDayOf,
  overlaps,
  resplit,
  type SplitResult,
  uncoveredSlots,
} from '../domain/stands.js';
import { changesNothing, sameList } from '../domain/unchanged.js';
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { EventPayloads, EventTypeOf } from '../events/types.js';
import type { Prisma, TradeShowStand } from '../generated/prisma/client.js';
import type { CostSplitMode } from '../generated/prisma/enums.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded } from './validation.js';

// Trade-show stands: a business collective's members share a stand, split its costs into shares that
// sum to the total to the cent, and staff it in shifts. Choices this module makes:
// - Stands belong to business collectives, one-off or long-term (a long-term collective shows its
//   brand or product at trade shows too); not to commons or sector collectives.
// - The registration deadline comes no later than the cancellation deadline (one withdraws from what
//   one registered for), and both fall on a Paris day before the first opening day.
// - No one is on two overlapping shifts of ANY stand: a person cannot hold two stands at once. The
//   refusal says only that the member is busy then, never where.
// - The area is a Float of square metres with at most two decimals (stored as a decimal).
// - Participants who left the collective stay on the stand (its split is history), but only active
//   members join it; removing a participant also takes them off the stand's shifts.

const STAND = 'TradeShowStand';
const SHIFT_ORDER: Prisma.StandShiftOrderByWithRelationInput[] = [{ startsAt: 'asc' }, { id: 'asc' }];
const COST_LINE_ORDER: Prisma.StandCostLineOrderByWithRelationInput[] = [{ category: 'asc' }, { label: 'asc' }, { id: 'asc' }];
const BY_MEMBER_NAME = [{ member: { lastName: 'asc' } }, { member: { firstName: 'asc' } }, { id: 'asc' }] as const;
const STAND_ORDER: KeysetOrder = [{ setUpStartsAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }, { id: 'asc' }];

// ───────────────────────────── Enums ─────────────────────────────

export const CostSplitModeEnum = builder.enumType('CostSplitMode', {
  description: "How a stand's costs are split between its participants.",
  values: {
    EQUAL: { value: 'EQUAL', description: 'Equal parts.' },
    PRO_RATA_DAYS: { value: 'PRO_RATA_DAYS', description: 'In proportion to the days each participant is present.' },
    CUSTOM: { value: 'CUSTOM', description: 'By custom shares in basis points, summing to exactly 10 000.' },
  } as const,
});

export const CostCategoryEnum = builder.enumType('CostCategory', {
  description: 'What a cost of a stand pays for.',
  values: {
    STAND_RENTAL: { value: 'STAND_RENTAL', description: 'Renting the stand space from the organiser.' },
    FURNITURE: { value: 'FURNITURE', description: 'Furniture and fittings.' },
    ELECTRICITY: { value: 'ELECTRICITY', description: 'Electricity and other utilities.' },
    COMMUNICATION: { value: 'COMMUNICATION', description: 'Signs, leaflets, goodies and other communication.' },
    TRAVEL: { value: 'TRAVEL', description: 'Travel and accommodation.' },
    OTHER: { value: 'OTHER', description: 'Anything else.' },
  } as const,
});

// ───────────────────────────── Types ─────────────────────────────

const StandSlotRef = builder.objectRef<{ startsAt: Date; endsAt: Date }>('StandSlot').implement({
  description: 'A span of time during the opening hours of a stand.',
  fields: (t) => ({
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'Start (included).' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', description: 'End (excluded).' }),
  }),
});

/** Adds the count of assignments to a planned selection of shifts, whatever else it selects. */
function withStaffCount(query: Record<string, unknown>): Record<string, unknown> {
  const count = (map: Record<string, unknown> | undefined) => ({
    _count: { select: { ...((map?._count as { select?: object } | undefined)?.select ?? {}), assignments: true } },
  });
  const select = query.select as Record<string, unknown> | undefined;
  if (select) return { ...query, select: { ...select, minimumStaff: true, ...count(select) } };
  const include = query.include as Record<string, unknown> | undefined;
  return { ...query, include: { ...include, ...count(include) } };
}

type ShiftWithCount = { minimumStaff: number; _count: { assignments: number } };

const StandShiftRef = builder.prismaNode('StandShift', {
  description: 'A slot of presence on the stand, within the opening hours of one day, with the staff it needs.',
  id: { field: 'id' },
  // A hidden one reads as missing: null, not an error.
  nullable: true,
  authScopes: { member: true },
  findUnique: (id, context) => ({ id, stand: readableCollectivesWhere(context) }),
  fields: (t) => ({
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'Start.' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', description: 'End.' }),
    minimumStaff: t.exposeInt('minimumStaff', { description: 'How many people the shift needs; at least 1.' }),
    staffCount: t.relationCount('assignments', { description: 'How many people are on the shift.' }),
    isUnderstaffed: t.boolean({
      description: 'Whether fewer people are on the shift than its minimum staff.',
      select: { minimumStaff: true, _count: { select: { assignments: true } } },
      resolve: (shift) => isUnderstaffed(shift, shift._count.assignments),
    }),
    assignments: t.relation('assignments', {
      description: 'Who is on the shift, by name.',
      query: { orderBy: [...BY_MEMBER_NAME] },
    }),
    stand: t.relation('stand', { description: 'The stand.' }),
  }),
});

builder.prismaNode('TradeShowStand', {
  description: "A stand shared by a business collective's members at a trade show.",
  id: { field: 'id' },
  // A hidden one reads as missing: null, not an error.
  nullable: true,
  authScopes: { member: true },
  findUnique: (id, context) => ({ id, ...readableCollectivesWhere(context) }),
  fields: (t) => ({
    viewerCanChange: t.boolean({
      description: VIEWER_CAN_CHANGE,
      select: { collectiveId: true },
      resolve: (stand, _args, context) => context.access.changesResourcesOf(stand.collectiveId),
    }),
    eventName: t.exposeString('eventName', { description: 'The trade show.' }),
    organiser: t.exposeString('organiser', { description: 'Who organises the show and rents the stand.' }),
    venue: t.exposeString('venue', { description: 'Where the show takes place.' }),
    standNumber: t.exposeString('standNumber', { nullable: true, description: 'The stand number the organiser gave.' }),
    areaSquareMeters: t.float({
      nullable: true,
      description: 'Area of the stand in square metres (up to two decimals).',
      select: { areaSquareMeters: true },
      resolve: (stand) => stand.areaSquareMeters?.toNumber() ?? null,
    }),
    setUpStartsAt: t.expose('setUpStartsAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When set-up starts; no later than the first opening.',
    }),
    tearDownEndsAt: t.expose('tearDownEndsAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When tear-down ends; no earlier than the last closing.',
    }),
    registrationDeadline: t.expose('registrationDeadline', {
      type: 'DateTime',
      nullable: true,
      description: 'Last moment to register with the organiser; before the first opening day and the cancellation deadline.',
    }),
    cancellationDeadline: t.expose('cancellationDeadline', {
      type: 'DateTime',
      nullable: true,
      description: 'Last moment to withdraw without paying; before the first opening day.',
    }),
    splitMode: t.expose('splitMode', { type: CostSplitModeEnum, description: 'How the costs are split.' }),
    minimumStaff: t.exposeInt('minimumStaff', { description: 'Minimum staff of a new shift, unless the shift says otherwise.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the stand was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change to the stand itself.' }),
    collective: t.relation('collective', { description: 'The business collective sharing the stand.' }),
    opportunityId: t.id({
      nullable: true,
      description: 'Global ID of the trade-show opportunity the stand answers, if any.',
      select: { opportunityId: true },
      resolve: (stand) => (stand.opportunityId ? encodeGlobalID('Opportunity', stand.opportunityId) : null),
    }),
    opportunity: t.relation('opportunity', {
      nullable: true,
      description: 'The trade-show opportunity the stand answers, if any.',
    }),
    payer: t.relation('payer', {
      nullable: true,
      description: 'Who signs with and pays the organiser: an active member of the collective, and a participant.',
    }),
    openingDays: t.relation('openingDays', {
      description: 'The days the show is open, in order.',
      query: { orderBy: [{ day: 'asc' }] },
    }),
    costLines: t.relation('costLines', {
      description: 'The costs of the stand, by category then label.',
      query: { orderBy: COST_LINE_ORDER },
    }),
    totalCostCents: t.int({
      description: 'Sum of the cost lines, in cents excluding VAT.',
      select: { costLines: { select: { amountCents: true }, orderBy: COST_LINE_ORDER } },
      resolve: (stand) => stand.costLines.reduce((total, line) => total + line.amountCents, 0),
    }),
    participants: t.relation('participants', {
      description: 'The members sharing the stand, by name.',
      query: { orderBy: [...BY_MEMBER_NAME] },
    }),
    costShares: t.relation('costShares', {
      description: "Each participant's part of the costs, computed by the server; they sum to `totalCostCents`.",
      query: { orderBy: [...BY_MEMBER_NAME] },
    }),
    shifts: t.relation('shifts', {
      description: 'The presence shifts, in time order.',
      query: { orderBy: SHIFT_ORDER },
    }),
    understaffedShifts: t.field({
      type: [StandShiftRef],
      description: 'The shifts with fewer people than their minimum staff, in time order.',
      select: (_args, _context, nestedSelection) => ({
        shifts: withStaffCount(nestedSelection({ orderBy: SHIFT_ORDER })),
      }),
      resolve: (stand) =>
        (stand.shifts as unknown as Array<ShiftWithCount>).filter((shift) =>
          isUnderstaffed(shift, shift._count.assignments),
        ) as unknown as typeof stand.shifts,
    }),
    uncoveredSlots: t.field({
      type: [StandSlotRef],
      description:
        'The parts of the opening hours, day by day, that no shift with at least one person covers: where the stand still needs someone.',
      select: {
        openingDays: { select: { opensAt: true, closesAt: true }, orderBy: [{ day: 'asc' }] },
        shifts: {
          select: { startsAt: true, endsAt: true, _count: { select: { assignments: true } } },
          orderBy: SHIFT_ORDER,
        },
      },
      resolve: (stand) =>
        uncoveredSlots(
          stand.openingDays,
          stand.shifts.filter((shift) => shift._count.assignments > 0),
        ),
    }),
  }),
});

builder.prismaObject('StandOpeningDay', {
  description: 'A day the show is open, with its opening hours.',
  authScopes: { member: true },
  fields: (t) => ({
    day: t.expose('day', { type: 'Date', description: 'The calendar day (Paris).' }),
    opensAt: t.expose('opensAt', { type: 'DateTime', description: 'When the show opens that day.' }),
    closesAt: t.expose('closesAt', { type: 'DateTime', description: 'When the show closes that day.' }),
  }),
});

builder.prismaNode('StandCostLine', {
  description: 'One cost of a stand, paid to the organiser or a supplier.',
  id: { field: 'id' },
  // A hidden one reads as missing: null, not an error.
  nullable: true,
  authScopes: { member: true },
  findUnique: (id, context) => ({ id, stand: readableCollectivesWhere(context) }),
  fields: (t) => ({
    label: t.exposeString('label', { description: 'What it is, e.g. “Location 9 m²”.' }),
    category: t.expose('category', { type: CostCategoryEnum, description: 'What kind of cost.' }),
    amountCents: t.exposeInt('amountCents', { description: 'Amount in cents excluding VAT; positive.' }),
    stand: t.relation('stand', { description: 'The stand.' }),
  }),
});

builder.prismaObject('StandParticipant', {
  description: 'A member sharing a stand.',
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The member.' }),
    daysPresent: t.exposeInt('daysPresent', {
      description: 'Days the member is present; weighs the pro rata split (between 1 and the number of opening days).',
    }),
    customShareBasisPoints: t.exposeInt('customShareBasisPoints', {
      nullable: true,
      description: 'Share of the costs in basis points (10 000 = 100 %), for a custom split.',
    }),
  }),
});

builder.prismaObject('StandCostShare', {
  description:
    "A participant's part of a stand's costs, computed by the server whenever costs, participants or the split change.",
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The participant.' }),
    amountCents: t.exposeInt('amountCents', { description: 'Amount in cents excluding VAT.' }),
    computedAt: t.expose('computedAt', { type: 'DateTime', description: 'When it was computed.' }),
  }),
});

builder.prismaObject('StandShiftAssignment', {
  description: 'A member on a shift.',
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { description: 'The member.' }),
  }),
});

// ───────────────────────────── Queries ─────────────────────────────

const upcomingArg = {
  type: 'Boolean',
  description:
    'True: stands still to come or under way (an opening day not yet closed, or no opening days yet). False: stands whose every opening day has closed.',
} as const;

/** Stands still to come (or not yet dated), or stands that are over. */
function upcomingWhere(upcoming: boolean | null | undefined, now: Date): Prisma.TradeShowStandWhereInput {
  if (upcoming == null) return {};
  return upcoming
    ? { OR: [{ openingDays: { some: { closesAt: { gt: now } } } }, { openingDays: { none: {} } }] }
    : { AND: [{ openingDays: { some: {} } }, { openingDays: { every: { closesAt: { lte: now } } } }] };
}

/** A global ID's database ID, or a UUID matching nothing when it names something else. */
function filterIdOf(globalId: { typename: string; id: string }, typename: string): string {
  try {
    return idOf(globalId, typename, 'collectiveId');
  } catch {
    return NO_ONE;
  }
}

function standsWhere(
  args: { collectiveId?: { typename: string; id: string } | null; upcoming?: boolean | null },
  context: Context,
): Prisma.TradeShowStandWhereInput {
  return {
    AND: [
      readableCollectivesWhere(context),
      args.collectiveId ? { collectiveId: filterIdOf(args.collectiveId, 'Collective') } : {},
      upcomingWhere(args.upcoming, new Date()),
    ],
  };
}

builder.queryFields((t) => ({
  stands: keysetConnection(t, {
    type: STAND,
    description:
      'The stands of the collectives you are an active member of (every stand, for the support staff), by set-up date.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only the stands of this collective.' }),
      upcoming: t.arg(upcomingArg),
    },
    where: (args, context) => standsWhere(args, context),
    orderBy: () => STAND_ORDER,
  }),
}));

builder.prismaObjectField('Collective', 'stands', (t) =>
  relatedKeysetConnection(t, 'stands', {
    description: "The collective's trade-show stands, by set-up date: for its active members and the support staff.",
    args: { upcoming: t.arg(upcomingArg) },
    where: (args, context) => ({ ...readableCollectivesWhere(context), ...upcomingWhere(args.upcoming, new Date()) }),
    orderBy: () => STAND_ORDER,
  }),
);

// ───────────────────────────── Inputs ─────────────────────────────

const text = (max: number) => z.string().trim().min(1, 'Required.').max(max, `At most ${max} characters.`);
const area = bounded('standArea').refine(
  (value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6,
  'Au plus deux décimales.',
);
const staff = bounded('shiftStaff');
const AREA = `Area in square metres (${describeBound(BOUNDS.standArea)}), up to two decimals.`;
const STAFF = `people, ${describeBound(BOUNDS.shiftStaff)}`;
const COST = `Amount in cents excluding VAT (${describeBound(BOUNDS.positiveAmountCents)}).`;

const OpeningDayInput = builder.inputType('StandOpeningDayInput', {
  description: 'A day the show is open, with its hours. Both instants fall on that day, Paris time.',
  fields: (t) => ({
    day: t.field({ type: 'Date', required: true, description: 'The calendar day.' }),
    opensAt: t.field({ type: 'DateTime', required: true, description: 'When the show opens that day.' }),
    closesAt: t.field({ type: 'DateTime', required: true, description: 'When it closes that day; after it opens.' }),
  }),
});

const CreateStandInput = builder.inputType('CreateStandInput', {
  description: 'A new stand of a business collective. Costs, participants and shifts are added afterwards.',
  fields: (t) => ({
    collectiveId: t.globalID({ required: true, description: 'The business collective sharing the stand.' }),
    eventName: t.string({ required: true, description: 'The trade show.', validate: text(200) }),
    organiser: t.string({ required: true, description: 'Who organises the show.', validate: text(200) }),
    venue: t.string({ required: true, description: 'Where it takes place.', validate: text(200) }),
    standNumber: t.string({ description: 'The stand number.', validate: text(40) }),
    areaSquareMeters: t.float({ description: AREA, validate: area }),
    setUpStartsAt: t.field({ type: 'DateTime', description: 'When set-up starts.' }),
    tearDownEndsAt: t.field({ type: 'DateTime', description: 'When tear-down ends.' }),
    registrationDeadline: t.field({ type: 'DateTime', description: 'Last moment to register.' }),
    cancellationDeadline: t.field({ type: 'DateTime', description: 'Last moment to withdraw without paying.' }),
    payerId: t.globalID({ description: 'Who signs with and pays the organiser: an active member of the collective.' }),
    splitMode: t.field({ type: CostSplitModeEnum, description: 'How costs are split; equal parts by default.' }),
    minimumStaff: t.int({ description: `Default minimum staff of a shift (${STAFF}); 1 by default.`, validate: staff }),
    opportunityId: t.globalID({ description: 'The trade-show opportunity the stand answers.' }),
    openingDays: t.field({ type: [OpeningDayInput], description: 'The opening days, if already known.' }),
  }),
});

const UpdateStandInput = builder.inputType('UpdateStandInput', {
  description: 'Changes to a stand. Omitted fields stay as they are; null clears an optional one.',
  fields: (t) => ({
    standId: t.globalID({ required: true, description: 'The stand.' }),
    eventName: t.string({ description: 'The trade show.', validate: text(200) }),
    organiser: t.string({ description: 'Who organises the show.', validate: text(200) }),
    venue: t.string({ description: 'Where it takes place.', validate: text(200) }),
    standNumber: t.string({ description: 'The stand number.', validate: text(40) }),
    areaSquareMeters: t.float({ description: AREA, validate: area }),
    setUpStartsAt: t.field({ type: 'DateTime', description: 'When set-up starts.' }),
    tearDownEndsAt: t.field({ type: 'DateTime', description: 'When tear-down ends.' }),
    registrationDeadline: t.field({ type: 'DateTime', description: 'Last moment to register.' }),
    cancellationDeadline: t.field({ type: 'DateTime', description: 'Last moment to withdraw without paying.' }),
    payerId: t.globalID({ description: 'Who pays the organiser: an active member and, once there are some, a participant.' }),
    minimumStaff: t.int({
      description: `Default minimum staff of new shifts (${STAFF}); existing shifts keep theirs.`,
      validate: staff,
    }),
    opportunityId: t.globalID({ description: 'The trade-show opportunity the stand answers.' }),
  }),
});

const OpeningDaysInput = builder.inputType('StandOpeningDaysInput', {
  description: "Replaces a stand's opening days.",
  fields: (t) => ({
    standId: t.globalID({ required: true, description: 'The stand.' }),
    openingDays: t.field({
      type: [OpeningDayInput],
      required: true,
      description: 'Every opening day; existing shifts must still fit in the new hours.',
    }),
  }),
});

const AddCostLineInput = builder.inputType('AddStandCostLineInput', {
  description: 'A new cost of a stand.',
  fields: (t) => ({
    standId: t.globalID({ required: true, description: 'The stand.' }),
    label: t.string({ required: true, description: 'What it is.', validate: text(200) }),
    category: t.field({ type: CostCategoryEnum, description: 'What kind of cost; other by default.' }),
    amountCents: t.int({ required: true, description: COST, validate: bounded('positiveAmountCents') }),
  }),
});

const UpdateCostLineInput = builder.inputType('UpdateStandCostLineInput', {
  description: 'Changes to a cost of a stand; omitted fields stay as they are.',
  fields: (t) => ({
    costLineId: t.globalID({ required: true, description: 'The cost line.' }),
    label: t.string({ description: 'What it is.', validate: text(200) }),
    category: t.field({ type: CostCategoryEnum, description: 'What kind of cost.' }),
    amountCents: t.int({ description: COST, validate: bounded('positiveAmountCents') }),
  }),
});

const CostLineRefInput = builder.inputType('StandCostLineRefInput', {
  description: 'Names a cost line.',
  fields: (t) => ({ costLineId: t.globalID({ required: true, description: 'The cost line.' }) }),
});

const ParticipantInput = builder.inputType('StandParticipantInput', {
  description: 'A member sharing the stand.',
  fields: (t) => ({
    memberId: t.globalID({ required: true, description: 'The member: an active member of the collective.' }),
    daysPresent: t.int({
      defaultValue: 0,
      description: 'Days present, up to the number of opening days; at least 1 for a pro rata split.',
      validate: bounded('daysPresent'),
    }),
    customShareBasisPoints: t.int({
      description: 'Share in basis points, for a custom split (all participants sum to 10 000).',
      validate: bounded('basisPoints'),
    }),
  }),
});

const SetParticipantsInput = builder.inputType('SetStandParticipantsInput', {
  description: "Replaces a stand's participants; the costs are split again.",
  fields: (t) => ({
    standId: t.globalID({ required: true, description: 'The stand.' }),
    participants: t.field({ type: [ParticipantInput], required: true, description: 'Every participant.' }),
  }),
});

const SetSplitModeInput = builder.inputType('SetStandSplitModeInput', {
  description: "Changes how a stand's costs are split; the costs are split again.",
  fields: (t) => ({
    standId: t.globalID({ required: true, description: 'The stand.' }),
    splitMode: t.field({ type: CostSplitModeEnum, required: true, description: 'The new mode.' }),
  }),
});

const AddShiftInput = builder.inputType('AddStandShiftInput', {
  description: 'A new presence shift, within the opening hours of one opening day.',
  fields: (t) => ({
    standId: t.globalID({ required: true, description: 'The stand.' }),
    startsAt: t.field({ type: 'DateTime', required: true, description: 'Start.' }),
    endsAt: t.field({ type: 'DateTime', required: true, description: 'End; after the start.' }),
    minimumStaff: t.int({
      description: `How many people it needs (${describeBound(BOUNDS.shiftStaff)}); the stand's default if omitted.`,
      validate: staff,
    }),
  }),
});

const ShiftRefInput = builder.inputType('StandShiftRefInput', {
  description: 'Names a shift.',
  fields: (t) => ({ shiftId: t.globalID({ required: true, description: 'The shift.' }) }),
});

const ShiftMemberInput = builder.inputType('StandShiftMemberInput', {
  description: 'Names a shift and a member.',
  fields: (t) => ({
    shiftId: t.globalID({ required: true, description: 'The shift.' }),
    memberId: t.globalID({ required: true, description: 'The member: a participant of the stand.' }),
  }),
});

// ───────────────────────────── Mutations ─────────────────────────────

type GlobalId = { typename: string; id: string };
type StandQuery = { include?: Prisma.TradeShowStandInclude; select?: Prisma.TradeShowStandSelect };
type LockedStand = NonNullable<Awaited<ReturnType<typeof lockStand>>>;

/** The signed-in member; the Mutation type's scope guarantees there is one. */
function viewerOf(context: Context) {
  const viewer = context.access.viewer;
  if (!viewer) throw new ForbiddenError('Connectez-vous d’abord.');
  return viewer;
}

/**
 * Rule checks name fields of the whole stand; a mutation answers with its own input's fields. A field
 * whose root is in `given` is put under `input.`; any other names `input.<fallback>`, the input field
 * whose change broke the rule.
 */
async function inInput<T>(given: readonly string[], fallback: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      (error instanceof RuleViolationError || error instanceof NotFoundError) &&
      error.field &&
      !error.field.startsWith('input.')
    ) {
      const root = error.field.split('.')[0] ?? '';
      const field = `input.${given.includes(root) ? error.field : fallback}`;
      throw error instanceof RuleViolationError
        ? new RuleViolationError(field, error.rule, error.message)
        : new NotFoundError(field, error.kind, error.message);
    }
    throw error;
  }
}

/** The input fields given (not omitted), to tell which of two related values changed. */
function givenFields(input: object): string[] {
  return Object.entries(input)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
}

function openingDaysOf(days: ReadonlyArray<{ day: Date; opensAt: Date; closesAt: Date }>) {
  return days.map(({ day, opensAt, closesAt }) => ({ day, opensAt, closesAt }));
}

async function checkOpportunity(tx: Tx, opportunityId: string) {
  const opportunity = await tx.opportunity.findUnique({ where: { id: opportunityId }, select: { kind: true } });
  if (!opportunity) throw new NotFoundError('opportunityId', 'Opportunity');
  if (opportunity.kind !== 'TRADE_SHOW') throw new RuleViolationError('opportunityId', 'STAND_OPPORTUNITY_NOT_TRADE_SHOW');
}

function standEvent<T extends EventTypeOf<'stand'>>(
  tx: Tx,
  type: T,
  stand: { id: string; collectiveId: string },
  actorId: string,
  payload: EventPayloads[T],
) {
  return recordEvent(tx, {
    type,
    subject: { typename: STAND, id: stand.id },
    collectiveId: stand.collectiveId,
    actorId,
    payload,
  });
}

/** What an event says of a cost line. */
const costLinePayload = (line: { id: string; label: string; category: string; amountCents: number }) => ({
  costLineId: encodeGlobalID('StandCostLine', line.id),
  label: line.label,
  category: line.category,
  amountCents: line.amountCents,
});

/** The new split, as a screen shows it. */
const splitPayload = (split: SplitResult) => ({
  splitMode: split.splitMode,
  totalCostCents: split.totalCostCents,
  shares: split.shares,
});

/**
 * Splits the stand's costs again (every change to its costs, participants or mode does) and records `type` with
 * what changed (`payload`) and the new split.
 */
async function resplitAndRecord<
  T extends
    | 'stand.costLineAdded'
    | 'stand.costLineUpdated'
    | 'stand.costLineRemoved'
    | 'stand.participantsSet'
    | 'stand.splitModeSet',
>(
  tx: Tx,
  type: T,
  stand: { id: string; collectiveId: string },
  actorId: string,
  now: Date,
  payload: Omit<EventPayloads[T], keyof ReturnType<typeof splitPayload>>,
) {
  const split = await resplit(tx, stand.id, now);
  // TypeScript cannot rebuild EventPayloads[T] from its two parts for a generic T; each call site checks `payload`.
  await standEvent(tx, type, stand, actorId, { ...payload, ...splitPayload(split) } as unknown as EventPayloads[T]);
}

interface StandChange {
  /** Finds the stand the change is about (null when what the input names does not exist). */
  locate: (tx: Tx) => Promise<string | null>;
  /** The input field naming the stand, or the thing in it, for a not-found. */
  field: string;
  /** What the input names, for a not-found message. */
  what: string;
  given: readonly string[];
  fallback: string;
}

/**
 * Runs a change to a stand in one transaction: finds and locks the stand, checks the viewer may
 * change it (outsiders: not found; support staff: forbidden) and that its collective is not closed,
 * then reloads the stand with the client's selection.
 */
async function changeStand(
  context: Context,
  query: StandQuery,
  change: StandChange,
  work: (tx: Tx, stand: LockedStand, actorId: string, now: Date) => Promise<void>,
) {
  const viewer = viewerOf(context);
  const now = new Date();
  const standId = await inInput(change.given, change.fallback, () =>
    context.prisma.$transaction(async (tx) => {
      const id = await change.locate(tx);
      const stand = id ? await lockStand(tx, id) : null;
      if (!stand) throw new NotFoundError(change.field, change.what);
      requireChangeable(context, stand.collectiveId, change.field, change.what);
      if (stand.collective.status === 'CLOSED') throw new RuleViolationError(change.field, 'COLLECTIVE_CLOSED');
      await work(tx, stand, viewer.id, now);
      return stand.id;
    }),
  );
  return context.prisma.tradeShowStand.findUniqueOrThrow({ ...query, where: { id: standId } });
}

const byStandId = (standId: GlobalId) => async () => idOf(standId, STAND, 'input.standId');

const standChange = (standId: GlobalId, input: object, fallback: string): StandChange => ({
  locate: byStandId(standId),
  field: 'input.standId',
  what: 'stand',
  given: givenFields(input),
  fallback,
});

function shiftChange(shiftId: GlobalId, input: object): StandChange {
  return {
    locate: async (tx) => {
      const shift = await tx.standShift.findUnique({
        where: { id: idOf(shiftId, 'StandShift', 'input.shiftId') },
        select: { standId: true },
      });
      return shift?.standId ?? null;
    },
    field: 'input.shiftId',
    what: 'shift',
    given: givenFields(input),
    fallback: 'shiftId',
  };
}

function costLineChange(costLineId: GlobalId, input: object): StandChange {
  return {
    locate: async (tx) => {
      const line = await tx.standCostLine.findUnique({
        where: { id: idOf(costLineId, 'StandCostLine', 'input.costLineId') },
        select: { standId: true },
      });
      return line?.standId ?? null;
    },
    field: 'input.costLineId',
    what: 'cost line',
    given: givenFields(input),
    fallback: 'costLineId',
  };
}

const datesPayload = (stand: TradeShowStand) => ({
  setUpStartsAt: stand.setUpStartsAt?.toISOString() ?? null,
  tearDownEndsAt: stand.tearDownEndsAt?.toISOString() ?? null,
  registrationDeadline: stand.registrationDeadline?.toISOString() ?? null,
  cancellationDeadline: stand.cancellationDeadline?.toISOString() ?? null,
});

builder.mutationFields((t) => ({
  createStand: t.prismaField({
    type: STAND,
    description: 'Creates a stand for a business collective (its active members only).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateStandInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const viewer = viewerOf(context);
      const collectiveId = idOf(input.collectiveId, 'Collective', 'input.collectiveId');
      requireChangeable(context, collectiveId, 'input.collectiveId', 'collective');
      const given = givenFields(input);
      const id = await inInput(given, 'collectiveId', () =>
        context.prisma.$transaction(async (tx) => {
          const collective = await lockCollective(tx, collectiveId, 'input.collectiveId');
          if (collective.status === 'CLOSED') throw new RuleViolationError('input.collectiveId', 'COLLECTIVE_CLOSED');
          if (collective.kind !== 'BUSINESS')
            throw new RuleViolationError('input.collectiveId', 'STAND_NEEDS_BUSINESS_COLLECTIVE');
          checkArea(input.areaSquareMeters);
          checkMinimumStaff(input.minimumStaff ?? 1);
          const openingDays = openingDaysOf(input.openingDays ?? []);
          checkOpeningDays(openingDays);
          const dates = {
            setUpStartsAt: input.setUpStartsAt ?? null,
            tearDownEndsAt: input.tearDownEndsAt ?? null,
            registrationDeadline: input.registrationDeadline ?? null,
            cancellationDeadline: input.cancellationDeadline ?? null,
          };
          checkStandDates({ ...dates, openingDays }, new Set(given));
          const payerId = input.payerId ? idOf(input.payerId, 'Member', 'input.payerId') : null;
          if (payerId && !(await isActiveMember(tx, collective.id, payerId)))
            throw new RuleViolationError('payerId', 'NOT_A_MEMBER');
          const opportunityId = input.opportunityId ? idOf(input.opportunityId, 'Opportunity', 'input.opportunityId') : null;
          if (opportunityId) await checkOpportunity(tx, opportunityId);
          const stand = await tx.tradeShowStand.create({
            data: {
              collectiveId: collective.id,
              eventName: input.eventName,
              organiser: input.organiser,
              venue: input.venue,
              standNumber: input.standNumber ?? null,
              areaSquareMeters: input.areaSquareMeters ?? null,
              ...dates,
              payerId,
              opportunityId,
              splitMode: input.splitMode ?? 'EQUAL',
              minimumStaff: input.minimumStaff ?? 1,
              openingDays: { create: openingDays },
            },
          });
          await standEvent(tx, 'stand.created', stand, viewer.id, {
            eventName: stand.eventName,
            venue: stand.venue,
            splitMode: stand.splitMode,
            openingDays: openingDays.map((day) => day.day.toISOString().slice(0, 10)),
            ...datesPayload(stand),
          });
          return stand.id;
        }),
      );
      return context.prisma.tradeShowStand.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  updateStand: t.prismaField({
    type: STAND,
    description:
      "Changes a stand's details (its collective's active members). Opening days, costs, participants and shifts have their own mutations.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateStandInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, standChange(input.standId, input, 'standId'), async (tx, stand, actorId) => {
        // Null clears an optional field; a required one (name, organiser, venue, staff) stays as it is.
        const pick = <K extends keyof typeof input & keyof TradeShowStand>(key: K) =>
          input[key] === undefined ? stand[key] : input[key];
        const data = {
          eventName: input.eventName ?? stand.eventName,
          organiser: input.organiser ?? stand.organiser,
          venue: input.venue ?? stand.venue,
          standNumber: pick('standNumber') as string | null,
          setUpStartsAt: pick('setUpStartsAt') as Date | null,
          tearDownEndsAt: pick('tearDownEndsAt') as Date | null,
          registrationDeadline: pick('registrationDeadline') as Date | null,
          cancellationDeadline: pick('cancellationDeadline') as Date | null,
          minimumStaff: input.minimumStaff ?? stand.minimumStaff,
        };
        if (input.areaSquareMeters !== undefined) checkArea(input.areaSquareMeters);
        checkMinimumStaff(data.minimumStaff);
        const openingDays = await tx.standOpeningDay.findMany({ where: { standId: stand.id } });
        checkStandDates({ ...data, openingDays }, new Set(givenFields(input)));
        let payerId = stand.payerId;
        if (input.payerId !== undefined) {
          payerId = input.payerId ? idOf(input.payerId, 'Member', 'input.payerId') : null;
          if (payerId) await checkPayer(tx, stand, payerId);
        }
        let opportunityId = stand.opportunityId;
        if (input.opportunityId !== undefined) {
          opportunityId = input.opportunityId ? idOf(input.opportunityId, 'Opportunity', 'input.opportunityId') : null;
          if (opportunityId) await checkOpportunity(tx, opportunityId);
        }
        const changes = {
          ...data,
          areaSquareMeters: input.areaSquareMeters === undefined ? stand.areaSquareMeters : input.areaSquareMeters,
          payerId,
          opportunityId,
        };
        if (changesNothing(stand, changes)) return;
        const updated = await tx.tradeShowStand.update({ where: { id: stand.id }, data: changes });
        await standEvent(tx, 'stand.updated', stand, actorId, {
          eventName: updated.eventName,
          organiser: updated.organiser,
          venue: updated.venue,
          standNumber: updated.standNumber,
          areaSquareMeters: updated.areaSquareMeters?.toNumber() ?? null,
          payerId: updated.payerId,
          minimumStaff: updated.minimumStaff,
          opportunityId: updated.opportunityId,
          ...datesPayload(updated),
        });
      }),
  }),

  setStandOpeningDays: t.prismaField({
    type: STAND,
    description: "Replaces a stand's opening days; set-up, tear-down, deadlines, shifts and days present must still fit.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: OpeningDaysInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, standChange(input.standId, input, 'openingDays'), async (tx, stand, actorId, now) => {
        const openingDays = openingDaysOf(input.openingDays);
        checkOpeningDays(openingDays);
        checkStandDates({ ...stand, openingDays }, new Set(['openingDays']));
        const shifts = await tx.standShift.findMany({ where: { standId: stand.id }, select: { startsAt: true, endsAt: true } });
        if (shifts.some((shift) => !openingDayOf(shift, openingDays)))
          throw new RuleViolationError('openingDays', 'SHIFT_OUTSIDE_OPENING_HOURS');
        // Its days and hours as they are (any order): nothing written, no event.
        const current = await tx.standOpeningDay.findMany({
          where: { standId: stand.id },
          select: { day: true, opensAt: true, closesAt: true },
        });
        if (sameList(current, openingDays, (day) => day.day.getTime())) return;
        await tx.standOpeningDay.deleteMany({ where: { standId: stand.id } });
        await tx.standOpeningDay.createMany({ data: openingDays.map((day) => ({ ...day, standId: stand.id })) });
        // Days present are bounded by the number of opening days; the shares themselves do not move.
        await resplit(tx, stand.id, now, false);
        await standEvent(tx, 'stand.openingDaysSet', stand, actorId, {
          openingDays: openingDays.map((day) => ({
            day: day.day.toISOString().slice(0, 10),
            opensAt: day.opensAt.toISOString(),
            closesAt: day.closesAt.toISOString(),
          })),
        });
      }),
  }),

  addStandCostLine: t.prismaField({
    type: STAND,
    description: 'Adds a cost to a stand and splits the costs again.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: AddCostLineInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, standChange(input.standId, input, 'amountCents'), async (tx, stand, actorId, now) => {
        checkCost(input.amountCents);
        const line = await tx.standCostLine.create({
          data: { standId: stand.id, label: input.label, category: input.category ?? 'OTHER', amountCents: input.amountCents },
        });
        await resplitAndRecord(tx, 'stand.costLineAdded', stand, actorId, now, costLinePayload(line));
      }),
  }),

  updateStandCostLine: t.prismaField({
    type: STAND,
    description: 'Changes a cost of a stand and splits the costs again.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateCostLineInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, costLineChange(input.costLineId, input), async (tx, stand, actorId, now) => {
        if (input.amountCents != null) checkCost(input.amountCents);
        const data = {
          ...(input.label != null && { label: input.label }),
          ...(input.category != null && { category: input.category }),
          ...(input.amountCents != null && { amountCents: input.amountCents }),
        };
        const current = await tx.standCostLine.findUniqueOrThrow({ where: { id: input.costLineId.id } });
        // Its values as they are: nothing written, the costs not split again, no event.
        if (changesNothing(current, data)) return;
        const line = await tx.standCostLine.update({ where: { id: current.id }, data });
        await resplitAndRecord(tx, 'stand.costLineUpdated', stand, actorId, now, costLinePayload(line));
      }),
  }),

  removeStandCostLine: t.prismaField({
    type: STAND,
    description: 'Removes a cost from a stand and splits the costs again.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CostLineRefInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, costLineChange(input.costLineId, input), async (tx, stand, actorId, now) => {
        await tx.standCostLine.delete({ where: { id: input.costLineId.id } });
        await resplitAndRecord(tx, 'stand.costLineRemoved', stand, actorId, now, {
          costLineId: encodeGlobalID('StandCostLine', input.costLineId.id),
        });
      }),
  }),

  setStandParticipants: t.prismaField({
    type: STAND,
    description:
      "Replaces a stand's participants and splits the costs again. New participants are active members of the collective; those removed leave the stand's shifts.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: SetParticipantsInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, standChange(input.standId, input, 'participants'), async (tx, stand, actorId, now) => {
        const participants = input.participants.map((participant, index) => ({
          memberId: idOf(participant.memberId, 'Member', `input.participants.${index}.memberId`),
          daysPresent: participant.daysPresent ?? 0,
          customShareBasisPoints: participant.customShareBasisPoints ?? null,
        }));
        const current = await tx.standParticipant.findMany({
          where: { standId: stand.id },
          select: { memberId: true, daysPresent: true, customShareBasisPoints: true },
        });
        const staying = new Set(current.map((participant) => participant.memberId));
        const active = new Set(
          (
            await tx.membership.findMany({
              where: {
                collectiveId: stand.collectiveId,
                status: 'ACTIVE',
                memberId: { in: participants.map((p) => p.memberId) },
              },
              select: { memberId: true },
            })
          ).map((membership) => membership.memberId),
        );
        const seen = new Set<string>();
        participants.forEach((participant, index) => {
          if (seen.has(participant.memberId))
            throw new RuleViolationError(`participants.${index}.memberId`, 'STAND_DUPLICATE_PARTICIPANT');
          seen.add(participant.memberId);
          if (!staying.has(participant.memberId) && !active.has(participant.memberId))
            throw new RuleViolationError(`participants.${index}.memberId`, 'NOT_A_MEMBER');
        });
        const openingDayCount = await tx.standOpeningDay.count({ where: { standId: stand.id } });
        checkParticipants(stand.splitMode, participants, openingDayCount);
        if (stand.payerId && participants.length > 0 && !seen.has(stand.payerId))
          throw new RuleViolationError('participants', 'STAND_PAYER_NOT_PARTICIPANT');
        // Its participants as they are (any order): nothing written, the costs not split again, no event.
        if (sameList(current, participants, (participant) => participant.memberId)) return;
        const removed = [...staying].filter((memberId) => !seen.has(memberId));
        const unassigned = await tx.standShiftAssignment.deleteMany({
          where: { memberId: { in: removed }, shift: { standId: stand.id } },
        });
        await tx.standParticipant.deleteMany({ where: { standId: stand.id } });
        await tx.standParticipant.createMany({
          data: participants.map((participant) => ({ ...participant, standId: stand.id })),
        });
        await resplitAndRecord(tx, 'stand.participantsSet', stand, actorId, now, {
          participants: participants.map(({ memberId, daysPresent, customShareBasisPoints }) => ({
            memberId,
            daysPresent,
            customShareBasisPoints,
          })),
          removedMemberIds: removed,
          assignmentsRemoved: unassigned.count,
        });
      }),
  }),

  setStandSplitMode: t.prismaField({
    type: STAND,
    description: "Changes how a stand's costs are split, and splits them again. The participants must fit the new mode.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: SetSplitModeInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, standChange(input.standId, input, 'splitMode'), async (tx, stand, actorId, now) => {
        // The mode it has: its participants already fit it, nothing to write or split again, no event.
        if (input.splitMode === stand.splitMode) return;
        await tx.tradeShowStand.update({ where: { id: stand.id }, data: { splitMode: input.splitMode as CostSplitMode } });
        await resplitAndRecord(tx, 'stand.splitModeSet', stand, actorId, now, {});
      }),
  }),

  addStandShift: t.prismaField({
    type: STAND,
    description: 'Adds a presence shift within the opening hours of one opening day.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: AddShiftInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, standChange(input.standId, input, 'startsAt'), async (tx, stand, actorId) => {
        const shift = { startsAt: input.startsAt, endsAt: input.endsAt, minimumStaff: input.minimumStaff ?? stand.minimumStaff };
        checkShift(shift, await tx.standOpeningDay.findMany({ where: { standId: stand.id } }));
        const created = await tx.standShift.create({ data: { ...shift, standId: stand.id } });
        await standEvent(tx, 'stand.shiftAdded', stand, actorId, {
          shiftId: encodeGlobalID('StandShift', created.id),
          startsAt: created.startsAt.toISOString(),
          endsAt: created.endsAt.toISOString(),
          minimumStaff: created.minimumStaff,
          staffCount: 0,
        });
      }),
  }),

  removeStandShift: t.prismaField({
    type: STAND,
    description: 'Removes a shift and its assignments.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ShiftRefInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, shiftChange(input.shiftId, input), async (tx, stand, actorId) => {
        await tx.standShift.delete({ where: { id: input.shiftId.id } });
        await standEvent(tx, 'stand.shiftRemoved', stand, actorId, { shiftId: encodeGlobalID('StandShift', input.shiftId.id) });
      }),
  }),

  assignShift: t.prismaField({
    type: STAND,
    description:
      'Puts a participant on a shift. Refused if they are already on an overlapping shift of any stand: no one holds two stands at once.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ShiftMemberInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, shiftChange(input.shiftId, input), async (tx, stand, actorId) => {
        const memberId = idOf(input.memberId, 'Member', 'input.memberId');
        const shift = await tx.standShift.findUniqueOrThrow({
          where: { id: input.shiftId.id },
          include: { _count: { select: { assignments: true } } },
        });
        const participant = await tx.standParticipant.findUnique({
          where: { standId_memberId: { standId: stand.id, memberId } },
        });
        if (!participant) throw new RuleViolationError('memberId', 'STAND_NOT_A_PARTICIPANT');
        if (!(await isActiveMember(tx, stand.collectiveId, memberId))) throw new RuleViolationError('memberId', 'NOT_A_MEMBER');
        await lockMember(tx, memberId, 'memberId');
        const assigned = await tx.standShiftAssignment.findMany({
          where: { memberId, shift: { startsAt: { lt: shift.endsAt }, endsAt: { gt: shift.startsAt } } },
          select: { shiftId: true, shift: { select: { startsAt: true, endsAt: true } } },
        });
        if (assigned.some((assignment) => assignment.shiftId === shift.id))
          throw new RuleViolationError('memberId', 'SHIFT_ALREADY_ASSIGNED');
        if (assigned.some((assignment) => overlaps(assignment.shift, shift)))
          throw new RuleViolationError('memberId', 'SHIFT_OVERLAP');
        await tx.standShiftAssignment.create({ data: { shiftId: shift.id, memberId } });
        const staffCount = shift._count.assignments + 1;
        await standEvent(tx, 'stand.shiftAssigned', stand, actorId, {
          shiftId: encodeGlobalID('StandShift', shift.id),
          memberId,
          staffCount,
          minimumStaff: shift.minimumStaff,
          isUnderstaffed: isUnderstaffed(shift, staffCount),
        });
      }),
  }),

  unassignShift: t.prismaField({
    type: STAND,
    description: 'Takes a member off a shift.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ShiftMemberInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeStand(context, query, shiftChange(input.shiftId, input), async (tx, stand, actorId) => {
        const memberId = idOf(input.memberId, 'Member', 'input.memberId');
        const removed = await tx.standShiftAssignment.deleteMany({ where: { shiftId: input.shiftId.id, memberId } });
        if (removed.count === 0) throw new RuleViolationError('memberId', 'SHIFT_NOT_ASSIGNED');
        const shift = await tx.standShift.findUniqueOrThrow({
          where: { id: input.shiftId.id },
          include: { _count: { select: { assignments: true } } },
        });
        await standEvent(tx, 'stand.shiftUnassigned', stand, actorId, {
          shiftId: encodeGlobalID('StandShift', shift.id),
          memberId,
          staffCount: shift._count.assignments,
          minimumStaff: shift.minimumStaff,
          isUnderstaffed: isUnderstaffed(shift, shift._count.assignments),
        });
      }),
  }),
}));
