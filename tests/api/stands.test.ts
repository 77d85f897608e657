import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { expectForbidden, expectRule, FAILURE, mutate, success } from './operations.js';

// Trade-show stands through GraphQL, against a real database: every rule accepted and refused (with
// its typed error naming the field, and nothing changed), the split to the cent, the shift grid,
// and who may read and change what.

const statements: string[] = [];
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
});
afterAll(() => t.close());

// ───────────────────────────── Documents ─────────────────────────────

const STAND = /* GraphQL */ `
  fragment StandFields on TradeShowStand {
    id eventName organiser venue standNumber areaSquareMeters setUpStartsAt tearDownEndsAt registrationDeadline
    cancellationDeadline splitMode minimumStaff opportunityId createdAt updatedAt
    collective { id }
    opportunity { id kind }
    payer { id }
    openingDays { day opensAt closesAt }
    costLines { id label category amountCents }
    totalCostCents
    participants { member { id } daysPresent customShareBasisPoints }
    costShares { member { id } amountCents computedAt }
    shifts { id startsAt endsAt minimumStaff staffCount isUnderstaffed assignments { member { id } } }
    understaffedShifts { id }
    uncoveredSlots { startsAt endsAt }
  }
`;

const MUTATIONS = {
  createStand: 'CreateStandInput',
  updateStand: 'UpdateStandInput',
  setStandOpeningDays: 'StandOpeningDaysInput',
  addStandCostLine: 'AddStandCostLineInput',
  updateStandCostLine: 'UpdateStandCostLineInput',
  removeStandCostLine: 'StandCostLineRefInput',
  setStandParticipants: 'SetStandParticipantsInput',
  setStandSplitMode: 'SetStandSplitModeInput',
  addStandShift: 'AddStandShiftInput',
  removeStandShift: 'StandShiftRefInput',
  assignShift: 'StandShiftMemberInput',
  unassignShift: 'StandShiftMemberInput',
} as const;
type MutationName = keyof typeof MUTATIONS;

const document = (name: MutationName) => /* GraphQL */ `
  mutation($input: ${MUTATIONS[name]}!) {
    result: ${name}(input: $input) {
      __typename
      ... on Mutation${name[0]?.toUpperCase()}${name.slice(1)}Success { data { ...StandFields } }
      ...Failure
    }
  }
  ${STAND}
  ${FAILURE}
`;

/** Runs a stand mutation and returns its typed result. */
const run = (name: MutationName, input: Record<string, unknown>, token: string) => mutate(t, document(name), { input }, token);

/** Every row a stand rule may touch, to prove a refused change changed nothing. */
async function tables() {
  const p = t.db.prisma;
  const byId = { orderBy: { id: 'asc' } } as const;
  const [stands, openingDays, costLines, participants, costShares, shifts, assignments, events] = await Promise.all([
    p.tradeShowStand.findMany(byId),
    p.standOpeningDay.findMany(byId),
    p.standCostLine.findMany(byId),
    p.standParticipant.findMany(byId),
    p.standCostShare.findMany(byId),
    p.standShift.findMany(byId),
    p.standShiftAssignment.findMany(byId),
    p.eventLog.count(),
  ]);
  return { stands, openingDays, costLines, participants, costShares, shifts, assignments, events };
}

/** Runs a change expected to be refused, checks the database did not move, and returns the result. */
async function refused(name: MutationName, input: Record<string, unknown>, token: string) {
  const before = await tables();
  const result = await run(name, input, token);
  expect(await tables()).toEqual(before);
  return result;
}

/** Checks a change is refused with this rule and field, and changes nothing. */
async function expectRefused(name: MutationName, input: Record<string, unknown>, token: string, rule: string, field: string) {
  expectRule(await refused(name, input, token), rule, field);
}

/** Checks a number outside its bound (server/src/limits/numbers.ts) is refused as malformed input, changing nothing. */
async function expectOutOfBound(
  name: MutationName,
  input: Record<string, unknown>,
  token: string,
  field: string,
  reason: 'TOO_SMALL' | 'TOO_LARGE',
  limit: number,
) {
  const result = await refused(name, input, token);
  expect(result).toMatchObject({ __typename: 'InputValidationError', issues: [{ field, reason, limit }] });
}

// ───────────────────────────── Scenario ─────────────────────────────

/** A show day in June 2030 (Paris is UTC+2), 09:00–18:00 Paris by default. */
const showDay = (day: string, opens = '07:00', closes = '16:00') => ({
  day,
  opensAt: `${day}T${opens}:00.000Z`,
  closesAt: `${day}T${closes}:00.000Z`,
});
const THREE_DAYS = [showDay('2030-06-12'), showDay('2030-06-13'), showDay('2030-06-14')];
const iso = (day: string, time: string) => `${day}T${time}:00.000Z`;
const hour = (h: number) => `${String(h).padStart(2, '0')}:00`;

/** A one-off business collective of three active members, a support-staff member and an outsider. */
async function scene(collective: Record<string, unknown> = {}) {
  const p = t.db.prisma;
  const [anne, bruno, chloe, staff, outsider] = await Promise.all([
    makeMember(p, { firstName: 'Anne', lastName: 'Arnaud' }),
    makeMember(p, { firstName: 'Bruno', lastName: 'Bernard' }),
    makeMember(p, { firstName: 'Chloé', lastName: 'Chevalier' }),
    makeMember(p, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] }),
    makeMember(p),
  ]);
  const row = await makeCollective(p, {
    animatorId: anne.id,
    memberIds: [bruno.id, chloe.id],
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    openness: 'CLOSED',
    objective: 'Tenir un stand au salon.',
    targetDate: new Date('2030-06-14'),
    ...collective,
  });
  const signedIn = async (member: typeof anne) => ({
    ...member,
    gid: gid('Member', member.id),
    token: await t.tokenFor(member.id),
  });
  return {
    collective: row,
    collectiveId: gid('Collective', row.id),
    anne: await signedIn(anne),
    bruno: await signedIn(bruno),
    chloe: await signedIn(chloe),
    staff: await signedIn(staff),
    outsider: await signedIn(outsider),
  };
}
type Scene = Awaited<ReturnType<typeof scene>>;

const baseInput = (s: Scene) => ({
  collectiveId: s.collectiveId,
  eventName: 'Salon Maison & Objet',
  organiser: 'SAFI',
  venue: 'Paris Nord Villepinte',
  openingDays: THREE_DAYS,
});

/** Creates a stand through the API, as Anne unless told otherwise. */
async function createStand(s: Scene, input: Record<string, unknown> = {}, token = s.anne.token) {
  return success(await run('createStand', { ...baseInput(s), ...input }, token));
}

/** A stand with three participants (Anne, Bruno, Chloé) and one cost line of `amountCents`. */
async function sharedStand(s: Scene, amountCents = 100_000, participants?: Array<Record<string, unknown>>) {
  const stand = await createStand(s);
  success(
    await run(
      'setStandParticipants',
      { standId: stand.id, participants: participants ?? [s.anne, s.bruno, s.chloe].map((m) => ({ memberId: m.gid })) },
      s.anne.token,
    ),
  );
  return success(
    await run(
      'addStandCostLine',
      { standId: stand.id, label: 'Location 9 m²', category: 'STAND_RENTAL', amountCents },
      s.anne.token,
    ),
  );
}

/** Each participant's share, by member global ID. */
const sharesOf = (stand: Json): Record<string, number> =>
  Object.fromEntries(stand.costShares.map((share: Json) => [share.member.id, share.amountCents]));
const total = (shares: Record<string, number>) => Object.values(shares).reduce((a, b) => a + b, 0);

async function eventTypes(standGid: string) {
  const rows = await t.db.prisma.eventLog.findMany({ where: { subjectId: standGid }, orderBy: { position: 'asc' } });
  return rows.map((row) => row.type);
}

// ───────────────────────────── Create ─────────────────────────────

describe('Create', () => {
  it('should create a stand of a one-off business collective with every detail, its opening days in order', async () => {
    const s = await scene();
    const opportunity = await t.db.prisma.opportunity.create({
      data: { kind: 'TRADE_SHOW', title: 'Maison & Objet 2030', buyer: 'SAFI' },
    });
    const stand = await createStand(s, {
      openingDays: [THREE_DAYS[2], THREE_DAYS[0], THREE_DAYS[1]],
      standNumber: 'Hall 5A – C12',
      areaSquareMeters: 12.5,
      setUpStartsAt: iso('2030-06-11', '06:00'),
      tearDownEndsAt: iso('2030-06-15', '12:00'),
      registrationDeadline: iso('2030-03-01', '11:00'),
      cancellationDeadline: iso('2030-04-01', '10:00'),
      payerId: s.bruno.gid,
      splitMode: 'PRO_RATA_DAYS',
      minimumStaff: 2,
      opportunityId: gid('Opportunity', opportunity.id),
    });
    expect(stand).toMatchObject({
      eventName: 'Salon Maison & Objet',
      organiser: 'SAFI',
      venue: 'Paris Nord Villepinte',
      standNumber: 'Hall 5A – C12',
      areaSquareMeters: 12.5,
      setUpStartsAt: iso('2030-06-11', '06:00'),
      tearDownEndsAt: iso('2030-06-15', '12:00'),
      registrationDeadline: iso('2030-03-01', '11:00'),
      cancellationDeadline: iso('2030-04-01', '10:00'),
      splitMode: 'PRO_RATA_DAYS',
      minimumStaff: 2,
      collective: { id: s.collectiveId },
      opportunityId: gid('Opportunity', opportunity.id),
      opportunity: { id: gid('Opportunity', opportunity.id), kind: 'TRADE_SHOW' },
      payer: { id: s.bruno.gid },
      openingDays: THREE_DAYS,
      costLines: [],
      totalCostCents: 0,
      participants: [],
      costShares: [],
      shifts: [],
      understaffedShifts: [],
      uncoveredSlots: THREE_DAYS.map((day) => ({ startsAt: day.opensAt, endsAt: day.closesAt })),
    });
    const stored = await t.db.prisma.tradeShowStand.findFirstOrThrow({
      where: { collectiveId: s.collective.id },
      include: { openingDays: true },
    });
    expect(gid('TradeShowStand', stored.id)).toBe(stand.id);
    expect(stored.areaSquareMeters?.toString()).toBe('12.5');
    expect(stored.openingDays).toHaveLength(3);
    expect(await eventTypes(stand.id)).toEqual(['stand.created']);
  });

  it('should create a bare stand with defaults: no dates, equal split, one person per shift', async () => {
    const s = await scene();
    const stand = await createStand(s, { openingDays: undefined });
    expect(stand).toMatchObject({
      standNumber: null,
      areaSquareMeters: null,
      setUpStartsAt: null,
      payer: null,
      opportunity: null,
      opportunityId: null,
      splitMode: 'EQUAL',
      minimumStaff: 1,
      openingDays: [],
      uncoveredSlots: [],
    });
  });

  it('should create a stand of a long-term business collective (a brand shown at a trade show)', async () => {
    const s = await scene({ horizon: 'LONG_TERM', objective: null, targetDate: null });
    expect(await createStand(s)).toMatchObject({ collective: { id: s.collectiveId } });
  });

  it('should let any active member of the collective create a stand, not only its animator', async () => {
    const s = await scene();
    expect(await createStand(s, {}, s.chloe.token)).toMatchObject({ eventName: 'Salon Maison & Objet' });
  });

  it('should refuse a stand of a commons or sector collective', async () => {
    for (const kind of [
      { kind: 'COMMONS', horizon: null },
      { kind: 'SECTOR', sector: 'WRITING', horizon: null },
    ]) {
      const s = await scene({ ...kind, objective: null, targetDate: null, openness: 'OPEN' });
      await expectRefused('createStand', baseInput(s), s.anne.token, 'STAND_NEEDS_BUSINESS_COLLECTIVE', 'input.collectiveId');
    }
  });

  it('should refuse a stand of a closed collective', async () => {
    const s = await scene({ status: 'CLOSED' });
    await expectRefused('createStand', baseInput(s), s.anne.token, 'COLLECTIVE_CLOSED', 'input.collectiveId');
  });

  it('should accept boundary dates: set-up at opening, tear-down at closing, equal deadlines the day before, hours from 00:30 Paris', async () => {
    const s = await scene();
    const stand = await createStand(s, {
      openingDays: [{ day: '2030-06-12', opensAt: '2030-06-11T22:30:00.000Z', closesAt: '2030-06-12T21:59:00.000Z' }],
      setUpStartsAt: '2030-06-11T22:30:00.000Z',
      tearDownEndsAt: '2030-06-12T21:59:00.000Z',
      registrationDeadline: '2030-06-11T21:59:59.000Z',
      cancellationDeadline: '2030-06-11T21:59:59.000Z',
    });
    expect(stand.openingDays).toEqual([
      { day: '2030-06-12', opensAt: '2030-06-11T22:30:00.000Z', closesAt: '2030-06-12T21:59:00.000Z' },
    ]);
  });

  const DATE_RULES: Array<[string, Record<string, unknown>, string, string]> = [
    [
      'a day that closes before it opens',
      { openingDays: [showDay('2030-06-12', '16:00', '07:00')] },
      'STAND_OPENS_AFTER_CLOSES',
      'input.openingDays.0.closesAt',
    ],
    [
      'hours opening on the Paris day before',
      {
        openingDays: [
          THREE_DAYS[0],
          { day: '2030-06-13', opensAt: '2030-06-12T21:00:00.000Z', closesAt: '2030-06-13T16:00:00.000Z' },
        ],
      },
      'STAND_HOURS_OFF_DAY',
      'input.openingDays.1.opensAt',
    ],
    [
      'hours closing on the Paris day after',
      { openingDays: [{ day: '2030-06-12', opensAt: '2030-06-12T07:00:00.000Z', closesAt: '2030-06-12T22:30:00.000Z' }] },
      'STAND_HOURS_OFF_DAY',
      'input.openingDays.0.closesAt',
    ],
    [
      'a day listed twice',
      { openingDays: [THREE_DAYS[0], showDay('2030-06-12', '08:00')] },
      'STAND_DUPLICATE_OPENING_DAY',
      'input.openingDays.1.day',
    ],
    [
      'set-up after the first opening',
      { setUpStartsAt: iso('2030-06-12', '08:00') },
      'STAND_SET_UP_AFTER_OPENING',
      'input.setUpStartsAt',
    ],
    [
      'tear-down before the last closing',
      { tearDownEndsAt: iso('2030-06-14', '15:00') },
      'STAND_TEAR_DOWN_BEFORE_CLOSING',
      'input.tearDownEndsAt',
    ],
    [
      'tear-down before set-up',
      { openingDays: [], setUpStartsAt: iso('2030-06-12', '08:00'), tearDownEndsAt: iso('2030-06-11', '08:00') },
      'STAND_TEAR_DOWN_BEFORE_SET_UP',
      'input.tearDownEndsAt',
    ],
    [
      'a cancellation deadline before the registration deadline',
      { registrationDeadline: iso('2030-04-01', '10:00'), cancellationDeadline: iso('2030-03-01', '10:00') },
      'STAND_CANCELLATION_BEFORE_REGISTRATION',
      'input.cancellationDeadline',
    ],
    [
      'a registration deadline on the first opening day (Paris)',
      { registrationDeadline: '2030-06-11T22:00:00.000Z' },
      'STAND_DEADLINE_AFTER_OPENING',
      'input.registrationDeadline',
    ],
    [
      'a cancellation deadline after the show opened',
      { cancellationDeadline: iso('2030-06-13', '10:00') },
      'STAND_DEADLINE_AFTER_OPENING',
      'input.cancellationDeadline',
    ],
  ];
  for (const [what, input, rule, field] of DATE_RULES) {
    it(`should refuse ${what}`, async () => {
      const s = await scene();
      await expectRefused('createStand', { ...baseInput(s), ...input }, s.anne.token, rule, field);
    });
  }

  it('should refuse an area of zero or less, and accept a small one', async () => {
    const s = await scene();
    for (const area of [0, -4]) {
      await expectOutOfBound(
        'createStand',
        { ...baseInput(s), areaSquareMeters: area },
        s.anne.token,
        'input.areaSquareMeters',
        'TOO_SMALL',
        0.01,
      );
    }
    expect((await createStand(s, { areaSquareMeters: 0.01 })).areaSquareMeters).toBe(0.01);
  });

  it('should refuse an area with more than two decimals or too large, as malformed input', async () => {
    const s = await scene();
    for (const area of [9.125, 100_000]) {
      const result = await refused('createStand', { ...baseInput(s), areaSquareMeters: area }, s.anne.token);
      expect(result).toMatchObject({ __typename: 'InputValidationError', issues: [{ field: 'input.areaSquareMeters' }] });
    }
  });

  it('should refuse a default minimum staff below one or above 100', async () => {
    const s = await scene();
    await expectOutOfBound(
      'createStand',
      { ...baseInput(s), minimumStaff: 0 },
      s.anne.token,
      'input.minimumStaff',
      'TOO_SMALL',
      1,
    );
    await expectOutOfBound(
      'createStand',
      { ...baseInput(s), minimumStaff: 101 },
      s.anne.token,
      'input.minimumStaff',
      'TOO_LARGE',
      100,
    );
  });

  it('should refuse a payer who is not an active member of the collective', async () => {
    const s = await scene();
    await expectRefused(
      'createStand',
      { ...baseInput(s), payerId: s.outsider.gid },
      s.anne.token,
      'NOT_A_MEMBER',
      'input.payerId',
    );
    await expectRefused('createStand', { ...baseInput(s), payerId: s.staff.gid }, s.anne.token, 'NOT_A_MEMBER', 'input.payerId');
  });

  it('should refuse an opportunity that is not a trade show, or does not exist', async () => {
    const s = await scene();
    const tender = await t.db.prisma.opportunity.create({ data: { kind: 'PUBLIC_TENDER', title: 'Marché', buyer: 'Ville' } });
    await expectRefused(
      'createStand',
      { ...baseInput(s), opportunityId: gid('Opportunity', tender.id) },
      s.anne.token,
      'STAND_OPPORTUNITY_NOT_TRADE_SHOW',
      'input.opportunityId',
    );
    const missing = await refused(
      'createStand',
      { ...baseInput(s), opportunityId: gid('Opportunity', randomUUID()) },
      s.anne.token,
    );
    expect(missing).toMatchObject({ __typename: 'NotFoundError', field: 'input.opportunityId' });
  });

  it('should refuse an empty event name, as malformed input', async () => {
    const s = await scene();
    const result = await refused('createStand', { ...baseInput(s), eventName: '  ' }, s.anne.token);
    expect(result).toMatchObject({ __typename: 'InputValidationError', issues: [{ field: 'input.eventName' }] });
  });
});

// ───────────────────────────── Update ─────────────────────────────

describe('Update', () => {
  it('should change the details and clear optional ones with null', async () => {
    const s = await scene();
    const stand = await createStand(s, {
      standNumber: 'B12',
      areaSquareMeters: 9,
      registrationDeadline: iso('2030-03-01', '10:00'),
      payerId: s.anne.gid,
    });
    const updated = success(
      await run(
        'updateStand',
        {
          standId: stand.id,
          venue: 'Paris Expo',
          standNumber: null,
          areaSquareMeters: 18.75,
          registrationDeadline: null,
          payerId: s.bruno.gid,
          minimumStaff: 2,
        },
        s.bruno.token,
      ),
    );
    expect(updated).toMatchObject({
      eventName: 'Salon Maison & Objet',
      venue: 'Paris Expo',
      standNumber: null,
      areaSquareMeters: 18.75,
      registrationDeadline: null,
      payer: { id: s.bruno.gid },
      minimumStaff: 2,
    });
    expect(await eventTypes(stand.id)).toEqual(['stand.created', 'stand.updated']);
  });

  it('should name the date that changed when it conflicts with a stored one', async () => {
    const s = await scene();
    const stand = await createStand(s, {
      cancellationDeadline: iso('2030-03-01', '10:00'),
      setUpStartsAt: iso('2030-06-11', '08:00'),
    });
    await expectRefused(
      'updateStand',
      { standId: stand.id, registrationDeadline: iso('2030-04-01', '10:00') },
      s.anne.token,
      'STAND_CANCELLATION_BEFORE_REGISTRATION',
      'input.registrationDeadline',
    );
    await expectRefused(
      'updateStand',
      { standId: stand.id, tearDownEndsAt: iso('2030-06-14', '12:00') },
      s.anne.token,
      'STAND_TEAR_DOWN_BEFORE_CLOSING',
      'input.tearDownEndsAt',
    );
    await expectRefused(
      'updateStand',
      { standId: stand.id, setUpStartsAt: iso('2030-06-13', '08:00') },
      s.anne.token,
      'STAND_SET_UP_AFTER_OPENING',
      'input.setUpStartsAt',
    );
    await expectRefused(
      'updateStand',
      { standId: stand.id, cancellationDeadline: iso('2030-06-12', '05:00') },
      s.anne.token,
      'STAND_DEADLINE_AFTER_OPENING',
      'input.cancellationDeadline',
    );
  });

  it('should refuse an area of zero, a minimum staff of zero and a non-trade-show opportunity', async () => {
    const s = await scene();
    const stand = await createStand(s);
    const order = await t.db.prisma.opportunity.create({ data: { kind: 'ORDER', title: 'Commande', buyer: 'Client' } });
    await expectOutOfBound(
      'updateStand',
      { standId: stand.id, areaSquareMeters: 0 },
      s.anne.token,
      'input.areaSquareMeters',
      'TOO_SMALL',
      0.01,
    );
    await expectOutOfBound(
      'updateStand',
      { standId: stand.id, minimumStaff: 0 },
      s.anne.token,
      'input.minimumStaff',
      'TOO_SMALL',
      1,
    );
    await expectRefused(
      'updateStand',
      { standId: stand.id, opportunityId: gid('Opportunity', order.id) },
      s.anne.token,
      'STAND_OPPORTUNITY_NOT_TRADE_SHOW',
      'input.opportunityId',
    );
  });

  it('should need the payer to be a participant once the stand has participants', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000, [{ memberId: s.anne.gid }, { memberId: s.bruno.gid }]);
    await expectRefused(
      'updateStand',
      { standId: stand.id, payerId: s.chloe.gid },
      s.anne.token,
      'STAND_PAYER_NOT_PARTICIPANT',
      'input.payerId',
    );
    await expectRefused(
      'updateStand',
      { standId: stand.id, payerId: s.outsider.gid },
      s.anne.token,
      'NOT_A_MEMBER',
      'input.payerId',
    );
    expect(success(await run('updateStand', { standId: stand.id, payerId: s.bruno.gid }, s.anne.token)).payer).toEqual({
      id: s.bruno.gid,
    });
  });
});

// ───────────────────────────── Opening days ─────────────────────────────

describe('Opening days', () => {
  it('should replace the opening days, listed in order', async () => {
    const s = await scene();
    const stand = await createStand(s);
    const days = [showDay('2030-06-20', '08:00', '17:00'), showDay('2030-06-19')];
    const updated = success(await run('setStandOpeningDays', { standId: stand.id, openingDays: days }, s.anne.token));
    expect(updated.openingDays).toEqual([days[1], days[0]]);
    const row = await t.db.prisma.tradeShowStand.findFirstOrThrow({ where: { collectiveId: s.collective.id } });
    expect(await t.db.prisma.standOpeningDay.count({ where: { standId: row.id } })).toBe(2);
    expect(await eventTypes(stand.id)).toEqual(['stand.created', 'stand.openingDaysSet']);
  });

  it('should refuse new days with malformed hours, naming the day', async () => {
    const s = await scene();
    const stand = await createStand(s);
    await expectRefused(
      'setStandOpeningDays',
      { standId: stand.id, openingDays: [THREE_DAYS[0], showDay('2030-06-13', '16:00', '10:00')] },
      s.anne.token,
      'STAND_OPENS_AFTER_CLOSES',
      'input.openingDays.1.closesAt',
    );
  });

  it('should refuse new days that set-up, tear-down or deadlines no longer fit', async () => {
    const s = await scene();
    const stand = await createStand(s, {
      setUpStartsAt: iso('2030-06-12', '06:00'),
      tearDownEndsAt: iso('2030-06-14', '18:00'),
      registrationDeadline: iso('2030-06-10', '10:00'),
    });
    await expectRefused(
      'setStandOpeningDays',
      { standId: stand.id, openingDays: [showDay('2030-06-11')] },
      s.anne.token,
      'STAND_SET_UP_AFTER_OPENING',
      'input.openingDays',
    );
    await expectRefused(
      'setStandOpeningDays',
      { standId: stand.id, openingDays: [THREE_DAYS[0], showDay('2030-06-15')] },
      s.anne.token,
      'STAND_TEAR_DOWN_BEFORE_CLOSING',
      'input.openingDays',
    );
    const other = await createStand(s, { registrationDeadline: iso('2030-06-10', '10:00') });
    await expectRefused(
      'setStandOpeningDays',
      { standId: other.id, openingDays: [showDay('2030-06-10')] },
      s.anne.token,
      'STAND_DEADLINE_AFTER_OPENING',
      'input.openingDays',
    );
  });

  it('should refuse new days that leave a shift outside the opening hours', async () => {
    const s = await scene();
    const stand = await createStand(s);
    success(
      await run(
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-14', '14:00'), endsAt: iso('2030-06-14', '16:00') },
        s.anne.token,
      ),
    );
    await expectRefused(
      'setStandOpeningDays',
      { standId: stand.id, openingDays: THREE_DAYS.slice(0, 2) },
      s.anne.token,
      'SHIFT_OUTSIDE_OPENING_HOURS',
      'input.openingDays',
    );
    await expectRefused(
      'setStandOpeningDays',
      { standId: stand.id, openingDays: [...THREE_DAYS.slice(0, 2), showDay('2030-06-14', '07:00', '15:00')] },
      s.anne.token,
      'SHIFT_OUTSIDE_OPENING_HOURS',
      'input.openingDays',
    );
  });

  it('should refuse fewer days than a participant of a pro rata split is present', async () => {
    const s = await scene();
    const stand = await createStand(s, { splitMode: 'PRO_RATA_DAYS' });
    success(
      await run(
        'setStandParticipants',
        { standId: stand.id, participants: [{ memberId: s.anne.gid, daysPresent: 3 }] },
        s.anne.token,
      ),
    );
    await expectRefused(
      'setStandOpeningDays',
      { standId: stand.id, openingDays: THREE_DAYS.slice(0, 2) },
      s.anne.token,
      'STAND_DAYS_PRESENT_OUT_OF_RANGE',
      'input.openingDays',
    );
  });
});

// ───────────────────────────── Costs and split ─────────────────────────────

describe('Split', () => {
  it('should split a 1 000,00 € stand three ways into 33 334 + 33 333 + 33 333 cents', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000);
    expect(stand.totalCostCents).toBe(100_000);
    const shares = sharesOf(stand);
    // The cent left over goes to the first participant by name.
    expect(shares).toEqual({ [s.anne.gid]: 33_334, [s.bruno.gid]: 33_333, [s.chloe.gid]: 33_333 });
    expect(total(shares)).toBe(100_000);
    const stored = await t.db.prisma.standCostShare.findMany({ where: { stand: { collectiveId: s.collective.id } } });
    expect(stored.map((share) => share.amountCents).sort()).toEqual([33_333, 33_333, 33_334]);
    expect(stored.reduce((sum, share) => sum + share.amountCents, 0)).toBe(100_000);
  });

  it('should split in proportion to odd days present', async () => {
    const s = await scene();
    const stand = await createStand(s, { splitMode: 'PRO_RATA_DAYS' });
    success(
      await run(
        'setStandParticipants',
        {
          standId: stand.id,
          participants: [
            { memberId: s.anne.gid, daysPresent: 3 },
            { memberId: s.bruno.gid, daysPresent: 2 },
            { memberId: s.chloe.gid, daysPresent: 2 },
          ],
        },
        s.anne.token,
      ),
    );
    const split = success(
      await run('addStandCostLine', { standId: stand.id, label: 'Location', amountCents: 100_000 }, s.anne.token),
    );
    // 3/7, 2/7, 2/7 of 100 000: 42 857.14, 28 571.43, 28 571.43; the last cent goes to the larger remainder.
    expect(sharesOf(split)).toEqual({ [s.anne.gid]: 42_857, [s.bruno.gid]: 28_572, [s.chloe.gid]: 28_571 });
    expect(split.participants).toEqual([
      { member: { id: s.anne.gid }, daysPresent: 3, customShareBasisPoints: null },
      { member: { id: s.bruno.gid }, daysPresent: 2, customShareBasisPoints: null },
      { member: { id: s.chloe.gid }, daysPresent: 2, customShareBasisPoints: null },
    ]);
  });

  it('should split by custom shares', async () => {
    const s = await scene();
    const stand = await createStand(s, { splitMode: 'CUSTOM' });
    success(
      await run(
        'setStandParticipants',
        {
          standId: stand.id,
          participants: [
            { memberId: s.anne.gid, customShareBasisPoints: 5_000 },
            { memberId: s.bruno.gid, customShareBasisPoints: 3_000 },
            { memberId: s.chloe.gid, customShareBasisPoints: 2_000 },
          ],
        },
        s.anne.token,
      ),
    );
    const split = success(
      await run(
        'addStandCostLine',
        { standId: stand.id, label: 'Mobilier', category: 'FURNITURE', amountCents: 99_999 },
        s.anne.token,
      ),
    );
    expect(sharesOf(split)).toEqual({ [s.anne.gid]: 49_999, [s.bruno.gid]: 30_000, [s.chloe.gid]: 20_000 });
  });

  it('should split again when a cost line is added, changed or removed', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000);
    const firstComputed = stand.costShares[0].computedAt;
    const added = success(
      await run(
        'addStandCostLine',
        { standId: stand.id, label: 'Électricité', category: 'ELECTRICITY', amountCents: 51 },
        s.bruno.token,
      ),
    );
    expect(added.totalCostCents).toBe(100_051);
    expect(Object.values(sharesOf(added)).sort()).toEqual([33_350, 33_350, 33_351]);
    expect(added.costShares[0].computedAt >= firstComputed).toBe(true);
    expect(added.costLines.map((line: Json) => [line.category, line.label, line.amountCents])).toEqual([
      ['STAND_RENTAL', 'Location 9 m²', 100_000],
      ['ELECTRICITY', 'Électricité', 51],
    ]);

    const electricity = added.costLines.find((line: Json) => line.label === 'Électricité');
    const changed = success(
      await run('updateStandCostLine', { costLineId: electricity.id, amountCents: 2, label: 'Prise' }, s.anne.token),
    );
    expect(changed.totalCostCents).toBe(100_002);
    expect(Object.values(sharesOf(changed)).sort()).toEqual([33_334, 33_334, 33_334]);

    const removed = success(await run('removeStandCostLine', { costLineId: electricity.id }, s.anne.token));
    expect(removed.totalCostCents).toBe(100_000);
    expect(total(sharesOf(removed))).toBe(100_000);
    expect(await eventTypes(stand.id)).toEqual([
      'stand.created',
      'stand.participantsSet',
      'stand.costLineAdded',
      'stand.costLineAdded',
      'stand.costLineUpdated',
      'stand.costLineRemoved',
    ]);
    const last = await t.db.prisma.eventLog.findFirstOrThrow({ where: { subjectId: stand.id }, orderBy: { position: 'desc' } });
    expect(last.payload).toMatchObject({ splitMode: 'EQUAL', totalCostCents: 100_000, shares: expect.any(Array) });
  });

  it('should refuse a cost of zero or less, added or changed', async () => {
    const s = await scene();
    const stand = await sharedStand(s);
    for (const amountCents of [0, -100]) {
      await expectOutOfBound(
        'addStandCostLine',
        { standId: stand.id, label: 'Rien', amountCents },
        s.anne.token,
        'input.amountCents',
        'TOO_SMALL',
        1,
      );
      await expectOutOfBound(
        'updateStandCostLine',
        { costLineId: stand.costLines[0].id, amountCents },
        s.anne.token,
        'input.amountCents',
        'TOO_SMALL',
        1,
      );
    }
    // 20 M€ at most (the amounts' bound), far below what a 32-bit Int allows.
    await expectOutOfBound(
      'addStandCostLine',
      { standId: stand.id, label: 'Tout', amountCents: 2_000_000_001 },
      s.anne.token,
      'input.amountCents',
      'TOO_LARGE',
      2_000_000_000,
    );
  });

  it('should refuse costs adding up beyond what a 32-bit integer holds', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 2_000_000_000);
    await expectRefused(
      'addStandCostLine',
      { standId: stand.id, label: 'Trop', amountCents: 200_000_000 },
      s.anne.token,
      'STAND_TOTAL_TOO_LARGE',
      'input.amountCents',
    );
  });

  it('should split again when the split mode changes, if the participants fit it', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000, [
      { memberId: s.anne.gid, daysPresent: 1, customShareBasisPoints: 7_000 },
      { memberId: s.bruno.gid, daysPresent: 3, customShareBasisPoints: 3_000 },
    ]);
    expect(sharesOf(stand)).toEqual({ [s.anne.gid]: 50_000, [s.bruno.gid]: 50_000 });
    const proRata = success(await run('setStandSplitMode', { standId: stand.id, splitMode: 'PRO_RATA_DAYS' }, s.anne.token));
    expect(sharesOf(proRata)).toEqual({ [s.anne.gid]: 25_000, [s.bruno.gid]: 75_000 });
    const custom = success(await run('setStandSplitMode', { standId: stand.id, splitMode: 'CUSTOM' }, s.anne.token));
    expect(sharesOf(custom)).toEqual({ [s.anne.gid]: 70_000, [s.bruno.gid]: 30_000 });
    expect(custom.splitMode).toBe('CUSTOM');
  });

  it('should refuse a split mode the participants do not fit', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000, [
      { memberId: s.anne.gid },
      { memberId: s.bruno.gid, customShareBasisPoints: 10_000 },
    ]);
    await expectRefused(
      'setStandSplitMode',
      { standId: stand.id, splitMode: 'PRO_RATA_DAYS' },
      s.anne.token,
      'STAND_DAYS_PRESENT_OUT_OF_RANGE',
      'input.splitMode',
    );
    await expectRefused(
      'setStandSplitMode',
      { standId: stand.id, splitMode: 'CUSTOM' },
      s.anne.token,
      'STAND_CUSTOM_SHARE_REQUIRED',
      'input.splitMode',
    );
  });
});

describe('Participants', () => {
  it('should refuse a member listed twice', async () => {
    const s = await scene();
    const stand = await createStand(s);
    await expectRefused(
      'setStandParticipants',
      { standId: stand.id, participants: [{ memberId: s.anne.gid }, { memberId: s.anne.gid }] },
      s.anne.token,
      'STAND_DUPLICATE_PARTICIPANT',
      'input.participants.1.memberId',
    );
  });

  it('should refuse someone who is not an active member of the collective', async () => {
    const s = await scene();
    const stand = await createStand(s);
    await expectRefused(
      'setStandParticipants',
      { standId: stand.id, participants: [{ memberId: s.anne.gid }, { memberId: s.outsider.gid }] },
      s.anne.token,
      'NOT_A_MEMBER',
      'input.participants.1.memberId',
    );
    const unknown = await refused(
      'setStandParticipants',
      { standId: stand.id, participants: [{ memberId: gid('Collective', s.collective.id) }] },
      s.anne.token,
    );
    expect(unknown).toMatchObject({ __typename: 'NotFoundError', field: 'input.participants.0.memberId' });
  });

  it('should keep a participant who has since left the collective', async () => {
    const s = await scene();
    const stand = await sharedStand(s);
    await t.db.prisma.membership.updateMany({
      where: { collectiveId: s.collective.id, memberId: s.chloe.id },
      data: { status: 'LEFT', leftAt: new Date() },
    });
    const kept = success(
      await run(
        'setStandParticipants',
        { standId: stand.id, participants: [s.anne, s.bruno, s.chloe].map((m) => ({ memberId: m.gid, daysPresent: 1 })) },
        s.anne.token,
      ),
    );
    expect(kept.participants).toHaveLength(3);
  });

  it('should refuse days present beyond the opening days, or none in a pro rata split', async () => {
    const s = await scene();
    const equal = await createStand(s);
    await expectRefused(
      'setStandParticipants',
      { standId: equal.id, participants: [{ memberId: s.anne.gid, daysPresent: 4 }] },
      s.anne.token,
      'STAND_DAYS_PRESENT_OUT_OF_RANGE',
      'input.participants.0.daysPresent',
    );
    const proRata = await createStand(s, { splitMode: 'PRO_RATA_DAYS' });
    await expectRefused(
      'setStandParticipants',
      { standId: proRata.id, participants: [{ memberId: s.anne.gid, daysPresent: 2 }, { memberId: s.bruno.gid }] },
      s.anne.token,
      'STAND_DAYS_PRESENT_OUT_OF_RANGE',
      'input.participants.1.daysPresent',
    );
  });

  it('should refuse custom shares that are missing or do not sum to 10 000', async () => {
    const s = await scene();
    const stand = await createStand(s, { splitMode: 'CUSTOM' });
    await expectRefused(
      'setStandParticipants',
      { standId: stand.id, participants: [{ memberId: s.anne.gid, customShareBasisPoints: 10_000 }, { memberId: s.bruno.gid }] },
      s.anne.token,
      'STAND_CUSTOM_SHARE_REQUIRED',
      'input.participants.1.customShareBasisPoints',
    );
    await expectRefused(
      'setStandParticipants',
      {
        standId: stand.id,
        participants: [
          { memberId: s.anne.gid, customShareBasisPoints: 6_000 },
          { memberId: s.bruno.gid, customShareBasisPoints: 3_999 },
        ],
      },
      s.anne.token,
      'STAND_CUSTOM_SHARES_NOT_100',
      'input.participants',
    );
    const malformed = await refused(
      'setStandParticipants',
      { standId: stand.id, participants: [{ memberId: s.anne.gid, customShareBasisPoints: 10_001 }] },
      s.anne.token,
    );
    expect(malformed).toMatchObject({
      __typename: 'InputValidationError',
      issues: [{ field: 'input.participants.0.customShareBasisPoints' }],
    });
  });

  it('should refuse participants that leave out the payer', async () => {
    const s = await scene();
    const stand = await createStand(s, { payerId: s.chloe.gid });
    await expectRefused(
      'setStandParticipants',
      { standId: stand.id, participants: [{ memberId: s.anne.gid }] },
      s.anne.token,
      'STAND_PAYER_NOT_PARTICIPANT',
      'input.participants',
    );
    expect(
      success(await run('setStandParticipants', { standId: stand.id, participants: [{ memberId: s.chloe.gid }] }, s.anne.token))
        .participants,
    ).toHaveLength(1);
  });

  it('should take a removed participant off the shifts and split without them', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000);
    const withShift = success(
      await run(
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-12', '07:00'), endsAt: iso('2030-06-12', '11:00') },
        s.anne.token,
      ),
    );
    success(await run('assignShift', { shiftId: withShift.shifts[0].id, memberId: s.chloe.gid }, s.anne.token));
    const after = success(
      await run(
        'setStandParticipants',
        { standId: stand.id, participants: [{ memberId: s.anne.gid }, { memberId: s.bruno.gid }] },
        s.anne.token,
      ),
    );
    expect(after.shifts[0]).toMatchObject({ staffCount: 0, assignments: [] });
    expect(sharesOf(after)).toEqual({ [s.anne.gid]: 50_000, [s.bruno.gid]: 50_000 });
    expect(await t.db.prisma.standCostShare.count({ where: { memberId: s.chloe.id } })).toBe(0);
  });
});

// ───────────────────────────── Shifts ─────────────────────────────

describe('Shifts', () => {
  /** A shared stand with two shifts on the first day: 09–13 and 13–18 Paris. */
  async function staffedStand(s: Scene) {
    const stand = await sharedStand(s);
    success(
      await run(
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-12', '07:00'), endsAt: iso('2030-06-12', '11:00'), minimumStaff: 2 },
        s.anne.token,
      ),
    );
    const both = success(
      await run(
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-12', '11:00'), endsAt: iso('2030-06-12', '16:00') },
        s.anne.token,
      ),
    );
    return { stand: both, morning: both.shifts[0].id as string, afternoon: both.shifts[1].id as string };
  }

  it('should add shifts in time order, with the stand default minimum staff, all understaffed at first', async () => {
    const s = await scene();
    const { stand, morning, afternoon } = await staffedStand(s);
    expect(stand.shifts).toEqual([
      {
        id: morning,
        startsAt: iso('2030-06-12', '07:00'),
        endsAt: iso('2030-06-12', '11:00'),
        minimumStaff: 2,
        staffCount: 0,
        isUnderstaffed: true,
        assignments: [],
      },
      {
        id: afternoon,
        startsAt: iso('2030-06-12', '11:00'),
        endsAt: iso('2030-06-12', '16:00'),
        minimumStaff: 1,
        staffCount: 0,
        isUnderstaffed: true,
        assignments: [],
      },
    ]);
    expect(stand.understaffedShifts).toEqual([{ id: morning }, { id: afternoon }]);
    expect(stand.uncoveredSlots).toEqual(THREE_DAYS.map((day) => ({ startsAt: day.opensAt, endsAt: day.closesAt })));
  });

  it('should fill the grid as members are assigned: understaffed shifts and uncovered slots shrink', async () => {
    const s = await scene();
    const { stand, morning, afternoon } = await staffedStand(s);
    const one = success(await run('assignShift', { shiftId: morning, memberId: s.anne.gid }, s.anne.token));
    expect(one.shifts[0]).toMatchObject({ staffCount: 1, isUnderstaffed: true, assignments: [{ member: { id: s.anne.gid } }] });
    expect(one.understaffedShifts).toEqual([{ id: morning }, { id: afternoon }]);
    expect(one.uncoveredSlots[0]).toEqual({ startsAt: iso('2030-06-12', '11:00'), endsAt: iso('2030-06-12', '16:00') });

    const two = success(await run('assignShift', { shiftId: morning, memberId: s.bruno.gid }, s.bruno.token));
    expect(two.shifts[0]).toMatchObject({ staffCount: 2, isUnderstaffed: false });
    expect(two.understaffedShifts).toEqual([{ id: afternoon }]);

    const three = success(await run('assignShift', { shiftId: afternoon, memberId: s.anne.gid }, s.anne.token));
    expect(three.understaffedShifts).toEqual([]);
    expect(three.uncoveredSlots).toEqual(THREE_DAYS.slice(1).map((day) => ({ startsAt: day.opensAt, endsAt: day.closesAt })));
    expect(await eventTypes(stand.id)).toEqual(expect.arrayContaining(['stand.shiftAdded', 'stand.shiftAssigned']));
    const last = await t.db.prisma.eventLog.findFirstOrThrow({ where: { subjectId: stand.id }, orderBy: { position: 'desc' } });
    expect(last).toMatchObject({
      type: 'stand.shiftAssigned',
      payload: { shiftId: afternoon, memberId: s.anne.id, staffCount: 1, isUnderstaffed: false },
    });
  });

  it('should refuse a shift that ends before it starts, needs no one or more than 100, or leaves the opening hours of one day', async () => {
    const s = await scene();
    const stand = await createStand(s);
    const shift = (startsAt: string, endsAt: string, more: Record<string, unknown> = {}) => ({
      standId: stand.id,
      startsAt,
      endsAt,
      ...more,
    });
    await expectRefused(
      'addStandShift',
      shift(iso('2030-06-12', '11:00'), iso('2030-06-12', '09:00')),
      s.anne.token,
      'SHIFT_ENDS_BEFORE_START',
      'input.endsAt',
    );
    await expectRefused(
      'addStandShift',
      shift(iso('2030-06-12', '09:00'), iso('2030-06-12', '09:00')),
      s.anne.token,
      'SHIFT_ENDS_BEFORE_START',
      'input.endsAt',
    );
    await expectOutOfBound(
      'addStandShift',
      shift(iso('2030-06-12', '09:00'), iso('2030-06-12', '11:00'), { minimumStaff: 0 }),
      s.anne.token,
      'input.minimumStaff',
      'TOO_SMALL',
      1,
    );
    // The attacker's shift of a million people (issue 9); 100 is the bound, and accepted.
    for (const minimumStaff of [101, 1_000_000, 2 ** 31 - 1])
      await expectOutOfBound(
        'addStandShift',
        shift(iso('2030-06-12', '09:00'), iso('2030-06-12', '11:00'), { minimumStaff }),
        s.anne.token,
        'input.minimumStaff',
        'TOO_LARGE',
        100,
      );
    expect(
      success(
        await run(
          'addStandShift',
          shift(iso('2030-06-12', '09:00'), iso('2030-06-12', '09:30'), { minimumStaff: 100 }),
          s.anne.token,
        ),
      ).shifts,
    ).toContainEqual(expect.objectContaining({ minimumStaff: 100 }));
    await expectRefused(
      'addStandShift',
      shift(iso('2030-06-12', '06:00'), iso('2030-06-12', '09:00')),
      s.anne.token,
      'SHIFT_OUTSIDE_OPENING_HOURS',
      'input.startsAt',
    );
    await expectRefused(
      'addStandShift',
      shift(iso('2030-06-12', '15:00'), iso('2030-06-13', '09:00')),
      s.anne.token,
      'SHIFT_OUTSIDE_OPENING_HOURS',
      'input.startsAt',
    );
    await expectRefused(
      'addStandShift',
      shift(iso('2030-06-20', '09:00'), iso('2030-06-20', '11:00')),
      s.anne.token,
      'SHIFT_OUTSIDE_OPENING_HOURS',
      'input.startsAt',
    );
  });

  it('should refuse to assign someone who is not a participant, or twice to one shift', async () => {
    const s = await scene();
    const stand = await sharedStand(s, 100_000, [{ memberId: s.anne.gid }, { memberId: s.bruno.gid }]);
    const shift = success(
      await run(
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-12', '07:00'), endsAt: iso('2030-06-12', '11:00') },
        s.anne.token,
      ),
    ).shifts[0].id;
    await expectRefused(
      'assignShift',
      { shiftId: shift, memberId: s.chloe.gid },
      s.anne.token,
      'STAND_NOT_A_PARTICIPANT',
      'input.memberId',
    );
    await expectRefused(
      'assignShift',
      { shiftId: shift, memberId: s.outsider.gid },
      s.anne.token,
      'STAND_NOT_A_PARTICIPANT',
      'input.memberId',
    );
    success(await run('assignShift', { shiftId: shift, memberId: s.bruno.gid }, s.anne.token));
    await expectRefused(
      'assignShift',
      { shiftId: shift, memberId: s.bruno.gid },
      s.anne.token,
      'SHIFT_ALREADY_ASSIGNED',
      'input.memberId',
    );
  });

  it('should refuse to assign a participant who has since left the collective', async () => {
    const s = await scene();
    const { morning } = await staffedStand(s);
    await t.db.prisma.membership.updateMany({
      where: { collectiveId: s.collective.id, memberId: s.chloe.id },
      data: { status: 'LEFT', leftAt: new Date() },
    });
    await expectRefused(
      'assignShift',
      { shiftId: morning, memberId: s.chloe.gid },
      s.anne.token,
      'NOT_A_MEMBER',
      'input.memberId',
    );
  });

  it('should refuse to put someone on two overlapping shifts of the same stand, and accept adjacent ones', async () => {
    const s = await scene();
    const { stand, morning, afternoon } = await staffedStand(s);
    const overlapping = success(
      await run(
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-12', '10:00'), endsAt: iso('2030-06-12', '12:00') },
        s.anne.token,
      ),
    ).shifts.find((shift: Json) => shift.startsAt === iso('2030-06-12', '10:00')).id;
    success(await run('assignShift', { shiftId: morning, memberId: s.chloe.gid }, s.anne.token));
    await expectRefused(
      'assignShift',
      { shiftId: overlapping, memberId: s.chloe.gid },
      s.anne.token,
      'SHIFT_OVERLAP',
      'input.memberId',
    );
    expect(
      success(await run('assignShift', { shiftId: afternoon, memberId: s.chloe.gid }, s.anne.token)).shifts.find(
        (shift: Json) => shift.id === afternoon,
      ).staffCount,
    ).toBe(1);
  });

  it('should refuse to put someone on overlapping shifts of two stands: no one holds two stands at once', async () => {
    const s = await scene();
    const { morning } = await staffedStand(s);
    const other = await sharedStand(s, 10_000);
    const otherShift = success(
      await run(
        'addStandShift',
        { standId: other.id, startsAt: iso('2030-06-12', '09:00'), endsAt: iso('2030-06-12', '10:00') },
        s.anne.token,
      ),
    ).shifts[0].id;
    success(await run('assignShift', { shiftId: morning, memberId: s.bruno.gid }, s.anne.token));
    await expectRefused(
      'assignShift',
      { shiftId: otherShift, memberId: s.bruno.gid },
      s.anne.token,
      'SHIFT_OVERLAP',
      'input.memberId',
    );
  });

  it('should take someone off a shift, and refuse to take off someone who is not on it', async () => {
    const s = await scene();
    const { stand, morning } = await staffedStand(s);
    success(await run('assignShift', { shiftId: morning, memberId: s.anne.gid }, s.anne.token));
    const off = success(await run('unassignShift', { shiftId: morning, memberId: s.anne.gid }, s.anne.token));
    expect(off.shifts[0]).toMatchObject({ staffCount: 0, assignments: [] });
    await expectRefused(
      'unassignShift',
      { shiftId: morning, memberId: s.anne.gid },
      s.anne.token,
      'SHIFT_NOT_ASSIGNED',
      'input.memberId',
    );
    expect((await eventTypes(stand.id)).at(-1)).toBe('stand.shiftUnassigned');
  });

  it('should remove a shift with its assignments', async () => {
    const s = await scene();
    const { stand, morning, afternoon } = await staffedStand(s);
    success(await run('assignShift', { shiftId: morning, memberId: s.anne.gid }, s.anne.token));
    const after = success(await run('removeStandShift', { shiftId: morning }, s.anne.token));
    expect(after.shifts.map((shift: Json) => shift.id)).toEqual([afternoon]);
    expect(await t.db.prisma.standShiftAssignment.count({ where: { memberId: s.anne.id } })).toBe(0);
    expect((await eventTypes(stand.id)).at(-1)).toBe('stand.shiftRemoved');
    const gone = await refused('removeStandShift', { shiftId: morning }, s.anne.token);
    expect(gone).toMatchObject({ __typename: 'NotFoundError', field: 'input.shiftId' });
  });
});

// ───────────────────────────── Queries ─────────────────────────────

const STANDS = /* GraphQL */ `
  query($collectiveId: ID, $upcoming: Boolean) {
    stands(collectiveId: $collectiveId, upcoming: $upcoming, first: 50) { totalCount edges { node { id eventName } } }
  }
`;
const COLLECTIVE_STANDS = /* GraphQL */ `
  query($id: ID!, $upcoming: Boolean) {
    node(id: $id) { ... on Collective { stands(upcoming: $upcoming, first: 50) { totalCount edges { node { id } } } } }
  }
`;

async function standIds(token: string, variables: Record<string, unknown>) {
  const response = await t.gql(STANDS, variables, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const connection = response.data?.stands as Json;
  expect(connection.totalCount).toBe(connection.edges.length);
  return connection.edges.map((edge: Json) => edge.node.id);
}

async function collectiveStandIds(token: string, collectiveId: string, upcoming?: boolean) {
  const response = await t.gql(COLLECTIVE_STANDS, { id: collectiveId, upcoming }, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const connection = response.data?.node?.stands as Json;
  expect(connection.totalCount).toBe(connection.edges.length);
  return connection.edges.map((edge: Json) => edge.node.id);
}

describe('Queries', () => {
  it('should list stands by collective, upcoming or past, and on the collective', async () => {
    const s = await scene();
    const past = await createStand(s, { eventName: 'Salon 2020', openingDays: [showDay('2020-03-10')] });
    const soon = await createStand(s, { eventName: 'Salon 2030' });
    const undated = await createStand(s, { eventName: 'Salon à dater', openingDays: [] });
    expect(await standIds(s.anne.token, { collectiveId: s.collectiveId })).toEqual(
      expect.arrayContaining([past.id, soon.id, undated.id]),
    );
    expect(await standIds(s.anne.token, { collectiveId: s.collectiveId })).toHaveLength(3);
    expect((await standIds(s.anne.token, { collectiveId: s.collectiveId, upcoming: true })).sort()).toEqual(
      [soon.id, undated.id].sort(),
    );
    expect(await standIds(s.anne.token, { collectiveId: s.collectiveId, upcoming: false })).toEqual([past.id]);
    expect(await collectiveStandIds(s.bruno.token, s.collectiveId)).toHaveLength(3);
    expect(await collectiveStandIds(s.bruno.token, s.collectiveId, false)).toEqual([past.id]);
    expect(await standIds(s.anne.token, { collectiveId: gid('Member', s.anne.id) })).toEqual([]);
  });

  it('should fetch a stand, a cost line and a shift by global ID', async () => {
    const s = await scene();
    const stand = success(
      await run(
        'addStandShift',
        { standId: (await sharedStand(s)).id, startsAt: iso('2030-06-12', '07:00'), endsAt: iso('2030-06-12', '09:00') },
        s.anne.token,
      ),
    );
    const query = /* GraphQL */ `
      query($ids: [ID!]!) {
        nodes(ids: $ids) {
          __typename id
          ... on TradeShowStand { eventName }
          ... on StandCostLine { amountCents stand { id } }
          ... on StandShift { minimumStaff stand { id } }
        }
      }
    `;
    const response = await t.gql(query, { ids: [stand.id, stand.costLines[0].id, stand.shifts[0].id] }, s.chloe.token);
    expect(response).toEqual({
      data: {
        nodes: [
          { __typename: 'TradeShowStand', id: stand.id, eventName: 'Salon Maison & Objet' },
          { __typename: 'StandCostLine', id: stand.costLines[0].id, amountCents: 100_000, stand: { id: stand.id } },
          { __typename: 'StandShift', id: stand.shifts[0].id, minimumStaff: 1, stand: { id: stand.id } },
        ],
      },
    });
  });

  it('should load many stands with their grids in a fixed number of statements', async () => {
    const s = await scene();
    for (let i = 0; i < 4; i += 1) {
      const stand = await sharedStand(s, 1_000 + i);
      const shift = success(
        await run(
          'addStandShift',
          { standId: stand.id, startsAt: iso('2030-06-12', hour(7 + i)), endsAt: iso('2030-06-12', hour(8 + i)) },
          s.anne.token,
        ),
      ).shifts[0].id;
      if (i % 2 === 0) success(await run('assignShift', { shiftId: shift, memberId: s.bruno.gid }, s.anne.token));
    }
    const query = /* GraphQL */ `
      query($collectiveId: ID, $first: Int) {
        stands(collectiveId: $collectiveId, first: $first) { totalCount edges { node { ...StandFields } } }
      }
      ${STAND}
    `;
    const count = async (first: number) => {
      statements.length = 0;
      const response = await t.gql(query, { collectiveId: s.collectiveId, first }, s.anne.token);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      const connection = response.data?.stands as Json;
      expect(connection.edges).toHaveLength(first);
      const stands = connection.edges.map((edge: Json) => edge.node);
      for (const stand of stands) expect(total(sharesOf(stand))).toBe(stand.totalCostCents);
      // The live event poller may read the log at any moment: not this request's statements.
      return statements.filter((sql) => !sql.includes('"EventLog"')).length;
    };
    // The token's first request reads its session too (kept for its next requests: context.ts), so read once first.
    await count(1);
    expect(await count(4)).toBe(await count(1));
  });
});

// ───────────────────────────── Authorization ─────────────────────────────

describe('Authorization', () => {
  /** A stand with a cost line, participants and an assigned shift, and inputs for every mutation on it. */
  async function everything(s: Scene) {
    const shared = await sharedStand(s);
    const stand = success(
      await run(
        'addStandShift',
        { standId: shared.id, startsAt: iso('2030-06-12', '07:00'), endsAt: iso('2030-06-12', '09:00') },
        s.anne.token,
      ),
    );
    const shiftId = stand.shifts[0].id;
    success(await run('assignShift', { shiftId, memberId: s.anne.gid }, s.anne.token));
    const costLineId = stand.costLines[0].id;
    const inputs: Array<[MutationName, Record<string, unknown>, string]> = [
      ['updateStand', { standId: stand.id, venue: 'Ailleurs' }, 'input.standId'],
      ['setStandOpeningDays', { standId: stand.id, openingDays: THREE_DAYS }, 'input.standId'],
      ['addStandCostLine', { standId: stand.id, label: 'Café', amountCents: 500 }, 'input.standId'],
      ['updateStandCostLine', { costLineId, amountCents: 500 }, 'input.costLineId'],
      ['removeStandCostLine', { costLineId }, 'input.costLineId'],
      ['setStandParticipants', { standId: stand.id, participants: [{ memberId: s.anne.gid }] }, 'input.standId'],
      ['setStandSplitMode', { standId: stand.id, splitMode: 'PRO_RATA_DAYS' }, 'input.standId'],
      [
        'addStandShift',
        { standId: stand.id, startsAt: iso('2030-06-13', '07:00'), endsAt: iso('2030-06-13', '09:00') },
        'input.standId',
      ],
      ['removeStandShift', { shiftId }, 'input.shiftId'],
      ['assignShift', { shiftId, memberId: s.bruno.gid }, 'input.shiftId'],
      ['unassignShift', { shiftId, memberId: s.anne.gid }, 'input.shiftId'],
      ['createStand', baseInput(s), 'input.collectiveId'],
    ];
    return { stand, ids: [stand.id, costLineId, shiftId], inputs };
  }

  const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }';

  it('should let the support staff read stands but change nothing', async () => {
    const s = await scene();
    const { stand, ids, inputs } = await everything(s);
    expect(await t.gql(NODES, { ids }, s.staff.token)).toEqual({ data: { nodes: ids.map((id) => ({ id })) } });
    expect(await standIds(s.staff.token, { collectiveId: s.collectiveId })).toEqual([stand.id]);
    expect(await collectiveStandIds(s.staff.token, s.collectiveId)).toEqual([stand.id]);
    for (const [name, input] of inputs) expectForbidden(await refused(name, input, s.staff.token));
  });

  it('should hide stands from outsiders: null nodes, empty lists, not found on every change', async () => {
    const s = await scene();
    const { ids, inputs } = await everything(s);
    expect(await t.gql(NODES, { ids }, s.outsider.token)).toEqual({ data: { nodes: [null, null, null] } });
    expect(await standIds(s.outsider.token, {})).not.toEqual(expect.arrayContaining([ids[0]]));
    expect(await standIds(s.outsider.token, { collectiveId: s.collectiveId })).toEqual([]);
    expect(await collectiveStandIds(s.outsider.token, s.collectiveId)).toEqual([]);
    for (const [name, input, field] of inputs) {
      const result = await refused(name, input, s.outsider.token);
      expect(result, name).toMatchObject({ __typename: 'NotFoundError', field });
    }
  });

  it('should hide stands from a former member of the collective', async () => {
    const s = await scene();
    const { ids, inputs } = await everything(s);
    await t.db.prisma.membership.updateMany({
      where: { collectiveId: s.collective.id, memberId: s.chloe.id },
      data: { status: 'LEFT', leftAt: new Date() },
    });
    const token = await t.tokenFor(s.chloe.id);
    expect(await t.gql(NODES, { ids }, token)).toEqual({ data: { nodes: [null, null, null] } });
    const [name, input, field] = inputs[0] ?? ['updateStand', {}, ''];
    expect(await refused(name, input, token)).toMatchObject({ __typename: 'NotFoundError', field });
  });

  it('should answer not found for a stand that does not exist, or an ID of another type', async () => {
    const s = await scene();
    for (const standId of [gid('TradeShowStand', randomUUID()), gid('Collective', s.collective.id)]) {
      expect(await refused('updateStand', { standId, venue: 'X' }, s.anne.token)).toMatchObject({
        __typename: 'NotFoundError',
        field: 'input.standId',
      });
    }
  });

  it('should refuse every change to the stands of a closed collective', async () => {
    const s = await scene();
    const stand = await createStand(s);
    await t.db.prisma.collective.update({ where: { id: s.collective.id }, data: { status: 'CLOSED' } });
    await expectRefused('updateStand', { standId: stand.id, venue: 'X' }, s.anne.token, 'COLLECTIVE_CLOSED', 'input.standId');
  });

  it('should refuse anonymous callers', async () => {
    const s = await scene();
    const response = await t.gql(document('createStand'), { input: baseInput(s) });
    expect(response.errors?.length ?? 0).toBeGreaterThan(0);
    expect(response.data?.result ?? null).toBeNull();
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
