/**
 * The bounds of every number an operation takes, each with its reason from the domain (`DOMAIN.md`, issue 9:
 * "every resource is bounded", "bad input gets a clear typed error"). GraphQL's `Int` alone let 2 147 483 647
 * people staff one shift of a stand; each numeric argument and input field is now held to what it can mean by
 * `bounded()` (schema/validation.ts), so a value outside is refused before anything runs: in a mutation an
 * `InputValidationError` whose issue names the `field`, the `reason` (`TOO_SMALL`, `TOO_LARGE`) and the `limit`
 * crossed, elsewhere `BAD_USER_INPUT` with the same three extensions. tests/edge/number-bounds.test.ts sends
 * 2^31 − 1, −1 and 1e308 to every numeric input of every mutation and fails on one this file does not bound.
 *
 * The web app's forms bound their fields with the same objects (client/src/ui/form/fields.ts): this file imports
 * nothing, so the client bundles it as it is and the two cannot drift.
 */

/**
 * How a bound's values read: euro cents, basis points (10 000 = 100 %), a number in a sequence (`ordinal`: a lot's
 * number, a position, a Nice class, « le n° 1 »), or a count of `unit`.
 */
export type BoundUnit = 'cents' | 'basisPoints' | 'ordinal' | readonly [singular: string, plural: string];

/** The accepted range of one kind of number, both ends included. */
export interface NumberBound {
  /** The least value accepted (for a number in steps, the first step: an area of 0.01 m², a quarter-hour). */
  readonly min: number;
  /** The greatest value accepted. */
  readonly max: number;
  /** What the value counts, for messages. */
  readonly unit: BoundUnit;
}

/**
 * The largest amount of one thing: 20 000 000 € excluding VAT (2 000 000 000 cents). A cooperative's members bid
 * together on contracts worth thousands to a few million euros (the EU threshold of a works contract is 5.5 M€,
 * of a service one 221 k€); 20 M€ leaves ample room, stays under the 32-bit `Int` (21 474 836,47 €) and keeps
 * sums of amounts exact (they are `Cents`).
 */
const MAX_AMOUNT_CENTS = 2_000_000_000;

const count = (singular: string, plural: string): BoundUnit => [singular, plural];

/** Every bound, by the kind of number it holds; the inputs that use one name it in their description. */
export const NUMBER_BOUNDS = {
  /** An amount that may be nothing yet (a deal's total, a partner's amount, a lot's estimate): 0 to 20 M€. */
  amountCents: { min: 0, max: MAX_AMOUNT_CENTS, unit: 'cents' },
  /** An amount paid or quoted (a stand's cost, a sale, a referral's quote, an observed price): 1 cent to 20 M€. */
  positiveAmountCents: { min: 1, max: MAX_AMOUNT_CENTS, unit: 'cents' },
  /** A share that may be nothing (a deal partner's, a stand participant's custom share): 0 to 100 %. */
  basisPoints: { min: 0, max: 10_000, unit: 'basisPoints' },
  /** A co-owner's share (a brand holder's, a product owner's revenue): someone who holds nothing is not one. */
  positiveBasisPoints: { min: 1, max: 10_000, unit: 'basisPoints' },
  /**
   * The people a presence shift of a trade-show stand needs: at least one (DOMAIN.md: the stand must be staffed);
   * a stand shared by a collective's entrepreneurs has a handful of people on it at once, so 100 is already far
   * beyond any, and a shift asking more than the stand's participants is flagged understaffed, not refused.
   */
  shiftStaff: { min: 1, max: 100, unit: count('personne', 'personnes') },
  /**
   * Days a participant spends on a stand (for a pro rata split): 0 to a year. The exact upper bound, the stand's
   * number of opening days, is a rule checked with the stand (`STAND_DAYS_PRESENT_OUT_OF_RANGE`).
   */
  daysPresent: { min: 0, max: 366, unit: count('jour', 'jours') },
  /**
   * A stand's area, in m² with two decimals: more than nothing (0.01) and at most 99 999.99 (the column's precision;
   * a whole exhibition hall).
   */
  standArea: { min: 0.01, max: 99_999.99, unit: count('m²', 'm²') },
  /**
   * How long a free service takes, in quarter-hours: one (0.25) to 100 hours (weeks of work are not a favour).
   * Whether it is a whole number of quarter-hours is a rule (`SERVICE_HOURS_NOT_QUARTER`).
   */
  serviceHours: { min: 0.25, max: 100, unit: count('heure', 'heures') },
  /** A rating of a supplier: 1 (avoid) to 5 (excellent). */
  rating: { min: 1, max: 5, unit: count('étoile', 'étoiles') },
  /**
   * Prices observed for a price reference: at least 3, so no member's own price can be read back from it; at most
   * a million (a national survey of freelance rates gathers thousands of answers).
   */
  priceSample: { min: 3, max: 1_000_000, unit: count('observation', 'observations') },
  /** A class of the Nice classification of goods and services (12th edition): 1 to 45. */
  niceClass: { min: 1, max: 45, unit: 'ordinal' },
  /** A lot's number in a call for tenders: lots are numbered from 1; buyers split a call in tens at most. */
  lotNumber: { min: 1, max: 9_999, unit: 'ordinal' },
  /**
   * A section's word limit, set by the buyer: positive; 200 000 words (about 400 pages) is more than any technical
   * proposal a buyer reads.
   */
  wordLimit: { min: 1, max: 200_000, unit: count('mot', 'mots') },
  /** A section's character limit: positive; 1 000 000 characters (about 400 pages), as `wordLimit`. */
  characterLimit: { min: 1, max: 1_000_000, unit: count('caractère', 'caractères') },
  /**
   * A section's place in its response, from 1. A response has a section per document the buyer asks (about ten);
   * the exact bound, the number of sections, is a rule checked with the response (`POSITION_OUT_OF_RANGE`).
   */
  sectionPosition: { min: 1, max: 1_000, unit: 'ordinal' },
  /** How many days ahead deadlines are listed (dashboard, upcoming deadlines): today to a year (a leap one). */
  withinDays: { min: 0, max: 366, unit: count('jour', 'jours') },
} as const satisfies Record<string, NumberBound>;

export type NumberBoundName = keyof typeof NUMBER_BOUNDS;

const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 2 });
const plain = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 2 });

/**
 * `value` in French in the bound's unit: « 20 000 000,00 € » (cents), « 100 % » (basis points), « le n° 1 »
 * (ordinal: « au moins 1 lot » would read as a count of lots), « 100 personnes ».
 */
export function formatBounded(unit: BoundUnit, value: number): string {
  if (unit === 'cents') return euros.format(value / 100);
  if (unit === 'basisPoints') return percent.format(value / 10_000);
  if (unit === 'ordinal') return `le n°\u00a0${plain.format(value)}`;
  // French counts 0 and 1 in the singular.
  return `${plain.format(value)}\u00a0${Math.abs(value) < 2 ? unit[0] : unit[1]}`;
}

/** The range in words for a schema description, in the API's units: "1 to 100", "0.01 to 99 999.99". */
export function describeBound(bound: NumberBound): string {
  const format = (value: number) => {
    const [whole = '', decimals] = String(value).split('.');
    return `${whole.replace(/\B(?=(\d{3})+$)/g, ' ')}${decimals ? `.${decimals}` : ''}`;
  };
  return `${format(bound.min)} to ${format(bound.max)}`;
}
