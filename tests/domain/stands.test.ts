import { describe, expect, it } from 'vitest';
import {
  checkOpeningDays,
  checkParticipants,
  checkShift,
  checkStandDates,
  isUnderstaffed,
  overlaps,
  type StandDates,
  splitStandCosts,
  uncoveredSlots,
} from '../../server/src/domain/stands.js';
import { RuleViolationError } from '../../server/src/errors.js';

// Pure rules of trade-show stands: the split of costs, the opening hours and the shift grid. No database.

const at = (iso: string) => new Date(iso);
const sum = (parts: number[]) => parts.reduce((a, b) => a + b, 0);
/** A show day in June 2030 (Paris is UTC+2): 09:00–18:00 Paris by default. */
const showDay = (day: string, opens = '07:00', closes = '16:00') => ({
  day: at(`${day}T00:00:00.000Z`),
  opensAt: at(`${day}T${opens}:00.000Z`),
  closesAt: at(`${day}T${closes}:00.000Z`),
});
const slot = (startsAt: string, endsAt: string) => ({ startsAt: at(startsAt), endsAt: at(endsAt) });
const people = (...days: number[]) => days.map((daysPresent) => ({ daysPresent, customShareBasisPoints: null }));
const custom = (...shares: Array<number | null>) =>
  shares.map((customShareBasisPoints) => ({ daysPresent: 0, customShareBasisPoints }));

/** Runs a check and returns the rule violation it throws, or fails. */
function violation(check: () => void): { field: string | null; rule: string } {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(RuleViolationError);
    const { field, rule } = error as RuleViolationError;
    return { field, rule };
  }
  throw new Error('Expected a rule violation.');
}

describe('Split', () => {
  it('should split 1 000,00 € three ways into 33 334 + 33 333 + 33 333 cents', () => {
    const parts = splitStandCosts('EQUAL', 100_000, people(0, 0, 0));
    expect(parts).toEqual([33_334, 33_333, 33_333]);
    expect(sum(parts)).toBe(100_000);
  });

  it('should split in proportion to odd days present, to the cent', () => {
    // 3/7, 2/7, 2/7 of 1 000,00 €: 42 857.14, 28 571.43, 28 571.43; the lost cent goes to the largest remainder.
    const parts = splitStandCosts('PRO_RATA_DAYS', 100_000, people(3, 2, 2));
    expect(parts).toEqual([42_857, 28_572, 28_571]);
    expect(sum(parts)).toBe(100_000);
    expect(splitStandCosts('PRO_RATA_DAYS', 1_001, people(1, 1, 1))).toEqual([334, 334, 333]);
    expect(splitStandCosts('PRO_RATA_DAYS', 99_999, people(3, 1))).toEqual([74_999, 25_000]);
  });

  it('should split by custom basis points, to the cent', () => {
    // 50 %, 30 %, 20 % of 999,99 €: 49 999.5, 29 999.7, 19 999.8.
    const parts = splitStandCosts('CUSTOM', 99_999, custom(5_000, 3_000, 2_000));
    expect(parts).toEqual([49_999, 30_000, 20_000]);
    expect(sum(parts)).toBe(99_999);
    expect(splitStandCosts('CUSTOM', 100, custom(10_000, 0))).toEqual([100, 0]);
  });

  it('should always sum to the total, whatever the weights', () => {
    for (let total = 0; total < 500; total += 7) {
      for (const days of [[1], [1, 2], [3, 2, 2], [1, 1, 1, 1, 1, 1, 1], [5, 4, 3, 2, 1]]) {
        expect(sum(splitStandCosts('EQUAL', total, people(...days)))).toBe(total);
        expect(sum(splitStandCosts('PRO_RATA_DAYS', total, people(...days)))).toBe(total);
      }
      expect(sum(splitStandCosts('CUSTOM', total, custom(3_333, 3_333, 3_334)))).toBe(total);
    }
  });

  it('should give no shares when there are no participants, and zeros when there are no costs', () => {
    expect(splitStandCosts('EQUAL', 100_000, [])).toEqual([]);
    expect(splitStandCosts('EQUAL', 0, people(0, 0))).toEqual([0, 0]);
  });
});

describe('Participants', () => {
  it('should accept days present from 0 to the number of opening days in an equal split', () => {
    expect(() => checkParticipants('EQUAL', people(0, 3, 1), 3)).not.toThrow();
    expect(violation(() => checkParticipants('EQUAL', people(0, 4), 3))).toEqual({
      field: 'participants.1.daysPresent',
      rule: 'STAND_DAYS_PRESENT_OUT_OF_RANGE',
    });
  });

  it('should need between 1 and the number of opening days present for a pro rata split', () => {
    expect(() => checkParticipants('PRO_RATA_DAYS', people(1, 3), 3)).not.toThrow();
    expect(violation(() => checkParticipants('PRO_RATA_DAYS', people(2, 0), 3))).toEqual({
      field: 'participants.1.daysPresent',
      rule: 'STAND_DAYS_PRESENT_OUT_OF_RANGE',
    });
    expect(violation(() => checkParticipants('PRO_RATA_DAYS', people(4), 3))).toEqual({
      field: 'participants.0.daysPresent',
      rule: 'STAND_DAYS_PRESENT_OUT_OF_RANGE',
    });
    expect(violation(() => checkParticipants('PRO_RATA_DAYS', people(1), 0)).rule).toBe('STAND_DAYS_PRESENT_OUT_OF_RANGE');
  });

  it('should need a share for everyone, summing to exactly 10 000, for a custom split', () => {
    expect(() => checkParticipants('CUSTOM', custom(5_000, 5_000), 0)).not.toThrow();
    expect(() => checkParticipants('CUSTOM', [], 0)).not.toThrow();
    expect(violation(() => checkParticipants('CUSTOM', custom(5_000, null), 0))).toEqual({
      field: 'participants.1.customShareBasisPoints',
      rule: 'STAND_CUSTOM_SHARE_REQUIRED',
    });
    expect(violation(() => checkParticipants('CUSTOM', custom(5_000, 4_999), 0))).toEqual({
      field: 'participants',
      rule: 'STAND_CUSTOM_SHARES_NOT_100',
    });
    expect(violation(() => checkParticipants('CUSTOM', custom(5_000, 5_001), 0)).rule).toBe('STAND_CUSTOM_SHARES_NOT_100');
  });

  it('should ignore custom shares outside a custom split', () => {
    expect(() => checkParticipants('EQUAL', custom(1, 2), 0)).not.toThrow();
  });
});

describe('Opening days', () => {
  it('should accept hours on their own Paris day, including just after Paris midnight', () => {
    expect(() => checkOpeningDays([showDay('2030-06-12'), showDay('2030-06-13')])).not.toThrow();
    // 22:30 UTC on the 11th is 00:30 on the 12th in Paris.
    expect(() =>
      checkOpeningDays([
        { day: at('2030-06-12T00:00:00Z'), opensAt: at('2030-06-11T22:30:00Z'), closesAt: at('2030-06-12T21:59:00Z') },
      ]),
    ).not.toThrow();
  });

  it('should refuse hours that fall on another Paris day', () => {
    expect(
      violation(() =>
        checkOpeningDays([
          { day: at('2030-06-12T00:00:00Z'), opensAt: at('2030-06-11T21:30:00Z'), closesAt: at('2030-06-12T16:00:00Z') },
        ]),
      ),
    ).toEqual({ field: 'openingDays.0.opensAt', rule: 'STAND_HOURS_OFF_DAY' });
    // 22:30 UTC on the 12th is already the 13th in Paris.
    expect(
      violation(() =>
        checkOpeningDays([
          showDay('2030-06-11'),
          { day: at('2030-06-12T00:00:00Z'), opensAt: at('2030-06-12T07:00:00Z'), closesAt: at('2030-06-12T22:30:00Z') },
        ]),
      ),
    ).toEqual({ field: 'openingDays.1.closesAt', rule: 'STAND_HOURS_OFF_DAY' });
  });

  it('should refuse a day that closes before or when it opens', () => {
    expect(violation(() => checkOpeningDays([showDay('2030-06-12', '16:00', '07:00')]))).toEqual({
      field: 'openingDays.0.closesAt',
      rule: 'STAND_OPENS_AFTER_CLOSES',
    });
    expect(violation(() => checkOpeningDays([showDay('2030-06-12', '09:00', '09:00')])).rule).toBe('STAND_OPENS_AFTER_CLOSES');
  });

  it('should refuse a day listed twice', () => {
    expect(violation(() => checkOpeningDays([showDay('2030-06-12'), showDay('2030-06-12', '08:00')]))).toEqual({
      field: 'openingDays.1.day',
      rule: 'STAND_DUPLICATE_OPENING_DAY',
    });
  });
});

describe('Stand dates', () => {
  const openingDays = [showDay('2030-06-13'), showDay('2030-06-12')];
  const none: Omit<StandDates, 'openingDays'> = {
    setUpStartsAt: null,
    tearDownEndsAt: null,
    registrationDeadline: null,
    cancellationDeadline: null,
  };
  const check = (dates: Partial<typeof none>, changed: string[] = Object.keys(dates)) =>
    checkStandDates({ ...none, ...dates, openingDays }, new Set(changed));

  it('should accept set-up at the first opening, tear-down at the last closing, equal deadlines the day before', () => {
    expect(() =>
      check({
        setUpStartsAt: at('2030-06-12T07:00:00Z'),
        tearDownEndsAt: at('2030-06-13T16:00:00Z'),
        registrationDeadline: at('2030-06-11T21:59:59Z'),
        cancellationDeadline: at('2030-06-11T21:59:59Z'),
      }),
    ).not.toThrow();
    expect(() => checkStandDates({ ...none, openingDays: [] }, new Set())).not.toThrow();
  });

  it('should refuse set-up after the first opening and tear-down before the last closing', () => {
    expect(violation(() => check({ setUpStartsAt: at('2030-06-12T07:00:01Z') }))).toEqual({
      field: 'setUpStartsAt',
      rule: 'STAND_SET_UP_AFTER_OPENING',
    });
    expect(violation(() => check({ tearDownEndsAt: at('2030-06-13T15:59:59Z') }))).toEqual({
      field: 'tearDownEndsAt',
      rule: 'STAND_TEAR_DOWN_BEFORE_CLOSING',
    });
  });

  it('should refuse tear-down that ends before set-up starts, even without opening days', () => {
    const dates = { ...none, setUpStartsAt: at('2030-06-12T07:00:00Z'), tearDownEndsAt: at('2030-06-11T07:00:00Z') };
    expect(violation(() => checkStandDates({ ...dates, openingDays: [] }, new Set(['tearDownEndsAt', 'setUpStartsAt'])))).toEqual(
      {
        field: 'tearDownEndsAt',
        rule: 'STAND_TEAR_DOWN_BEFORE_SET_UP',
      },
    );
  });

  it('should refuse a cancellation deadline before the registration deadline', () => {
    expect(
      violation(() =>
        check({ registrationDeadline: at('2030-05-01T10:00:00Z'), cancellationDeadline: at('2030-04-30T10:00:00Z') }),
      ),
    ).toEqual({ field: 'cancellationDeadline', rule: 'STAND_CANCELLATION_BEFORE_REGISTRATION' });
  });

  it('should refuse deadlines on or after the first opening day in Paris', () => {
    // 22:00 UTC on the 11th is already the 12th in Paris.
    expect(violation(() => check({ registrationDeadline: at('2030-06-11T22:00:00Z') }))).toEqual({
      field: 'registrationDeadline',
      rule: 'STAND_DEADLINE_AFTER_OPENING',
    });
    expect(violation(() => check({ cancellationDeadline: at('2030-06-20T10:00:00Z') }))).toEqual({
      field: 'cancellationDeadline',
      rule: 'STAND_DEADLINE_AFTER_OPENING',
    });
  });

  it('should name the value that changed, not the stored one it conflicts with', () => {
    expect(violation(() => check({ setUpStartsAt: at('2030-06-12T08:00:00Z') }, ['openingDays']))).toEqual({
      field: 'openingDays',
      rule: 'STAND_SET_UP_AFTER_OPENING',
    });
    expect(
      violation(() =>
        check({ registrationDeadline: at('2030-05-01T10:00:00Z'), cancellationDeadline: at('2030-04-30T10:00:00Z') }, [
          'registrationDeadline',
        ]),
      ),
    ).toEqual({ field: 'registrationDeadline', rule: 'STAND_CANCELLATION_BEFORE_REGISTRATION' });
  });
});

describe('Shifts', () => {
  const days = [showDay('2030-06-12'), showDay('2030-06-13')];

  it('should accept a shift within the opening hours of one day, edges included', () => {
    expect(() => checkShift({ ...slot('2030-06-12T07:00:00Z', '2030-06-12T16:00:00Z'), minimumStaff: 1 }, days)).not.toThrow();
    expect(() => checkShift({ ...slot('2030-06-13T10:00:00Z', '2030-06-13T12:00:00Z'), minimumStaff: 3 }, days)).not.toThrow();
  });

  it('should refuse a shift that ends before it starts, needs no one, or leaves the opening hours', () => {
    expect(
      violation(() => checkShift({ ...slot('2030-06-12T12:00:00Z', '2030-06-12T10:00:00Z'), minimumStaff: 1 }, days)),
    ).toEqual({
      field: 'endsAt',
      rule: 'SHIFT_ENDS_BEFORE_START',
    });
    expect(
      violation(() => checkShift({ ...slot('2030-06-12T10:00:00Z', '2030-06-12T12:00:00Z'), minimumStaff: 0 }, days)),
    ).toEqual({
      field: 'minimumStaff',
      rule: 'STAND_MINIMUM_STAFF_BELOW_ONE',
    });
    for (const [startsAt, endsAt] of [
      ['2030-06-12T06:59:00Z', '2030-06-12T10:00:00Z'],
      ['2030-06-12T15:00:00Z', '2030-06-12T16:01:00Z'],
      ['2030-06-12T15:00:00Z', '2030-06-13T08:00:00Z'],
      ['2030-06-14T08:00:00Z', '2030-06-14T10:00:00Z'],
    ] as const) {
      expect(violation(() => checkShift({ ...slot(startsAt, endsAt), minimumStaff: 1 }, days))).toEqual({
        field: 'startsAt',
        rule: 'SHIFT_OUTSIDE_OPENING_HOURS',
      });
    }
  });

  it('should tell overlapping shifts from adjacent ones', () => {
    const morning = slot('2030-06-12T07:00:00Z', '2030-06-12T11:00:00Z');
    expect(overlaps(morning, slot('2030-06-12T10:00:00Z', '2030-06-12T12:00:00Z'))).toBe(true);
    expect(overlaps(morning, slot('2030-06-12T08:00:00Z', '2030-06-12T09:00:00Z'))).toBe(true);
    expect(overlaps(morning, slot('2030-06-12T11:00:00Z', '2030-06-12T12:00:00Z'))).toBe(false);
    expect(overlaps(morning, slot('2030-06-12T06:00:00Z', '2030-06-12T07:00:00Z'))).toBe(false);
  });

  it('should flag a shift with fewer people than its minimum', () => {
    expect(isUnderstaffed({ minimumStaff: 2 }, 1)).toBe(true);
    expect(isUnderstaffed({ minimumStaff: 2 }, 2)).toBe(false);
    expect(isUnderstaffed({ minimumStaff: 1 }, 3)).toBe(false);
  });
});

describe('Uncovered slots', () => {
  const days = [showDay('2030-06-13'), showDay('2030-06-12')];

  it('should report each whole day when no shift is covered', () => {
    expect(uncoveredSlots(days, [])).toEqual([
      slot('2030-06-12T07:00:00.000Z', '2030-06-12T16:00:00.000Z'),
      slot('2030-06-13T07:00:00.000Z', '2030-06-13T16:00:00.000Z'),
    ]);
  });

  it('should report the gaps between covered shifts, merging overlapping ones, day by day', () => {
    const covered = [
      slot('2030-06-12T12:00:00Z', '2030-06-12T16:00:00Z'),
      slot('2030-06-12T07:00:00Z', '2030-06-12T09:00:00Z'),
      slot('2030-06-12T08:00:00Z', '2030-06-12T10:00:00Z'),
      slot('2030-06-13T07:00:00Z', '2030-06-13T16:00:00Z'),
    ];
    expect(uncoveredSlots(days, covered)).toEqual([slot('2030-06-12T10:00:00Z', '2030-06-12T12:00:00Z')]);
  });

  it('should report the ends of a day its shifts leave open', () => {
    const covered = [slot('2030-06-12T09:00:00Z', '2030-06-12T11:00:00Z'), slot('2030-06-12T11:00:00Z', '2030-06-12T14:00:00Z')];
    expect(uncoveredSlots([showDay('2030-06-12')], covered)).toEqual([
      slot('2030-06-12T07:00:00Z', '2030-06-12T09:00:00Z'),
      slot('2030-06-12T14:00:00Z', '2030-06-12T16:00:00Z'),
    ]);
  });

  it('should report nothing without opening days', () => {
    expect(uncoveredSlots([], [slot('2030-06-12T09:00:00Z', '2030-06-12T11:00:00Z')])).toEqual([]);
  });
});
