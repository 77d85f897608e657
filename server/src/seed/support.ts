import { createHash } from 'node:crypto';

// Helpers of the demo seed: stable identifiers, the Paris calendar, SIRET check digits and
// exact splits of money by shares. Everything here is deterministic.

/** The namespace every demo identifier is derived from (a fixed, random UUID). */
const DEMO_NAMESPACE = '6f0c2a54-3d1e-4b8a-9c57-1e2f3a4b5c6d';

/**
 * A UUID derived from a stable key, in the manner of a UUID v5 (SHA-1 of namespace + name):
 * the same key always gives the same identifier, so seeding twice inserts nothing new.
 */
export function demoId(key: string): string {
  const namespace = Buffer.from(DEMO_NAMESPACE.replaceAll('-', ''), 'hex');
  const bytes = createHash('sha1').update(namespace).update(key, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Appends the Luhn check digit to a string of digits (SIREN and SIRET use Luhn). */
export function withLuhnCheckDigit(digits: string): string {
  if (!/^\d+$/.test(digits)) throw new Error(`Not digits: ${digits}`);
  for (let check = 0; check <= 9; check++) {
    const candidate = `${digits}${check}`;
    if (isLuhnValid(candidate)) return candidate;
  }
  throw new Error('unreachable');
}

/** Whether a string of digits passes the Luhn checksum. */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** A SIRET (14 digits): SIREN of 8 digits + check digit, then NIC of 4 digits + check digit. */
export function siret(sirenBase: string, nicBase: string): string {
  return withLuhnCheckDigit(`${withLuhnCheckDigit(sirenBase)}${nicBase}`);
}

/**
 * Splits an amount in proportion to weights, to the unit: largest remainders get the leftover
 * units (ties go to the earlier part), so the parts always sum to the total.
 */
export function splitByWeights(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new Error('Weights must sum to a positive number');
  const exact = weights.map((weight) => (total * weight) / sum);
  const parts = exact.map(Math.floor);
  let leftover = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (leftover <= 0) break;
    parts[index] = (parts[index] ?? 0) + 1;
    leftover--;
  }
  return parts;
}

const PARIS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function parisParts(instant: Date): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const part of PARIS.formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Minutes Paris is ahead of UTC at an instant (60 in winter, 120 in summer). */
function parisOffsetMinutes(instant: Date): number {
  const p = parisParts(instant);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The calendar of the seed, anchored on the day `now` falls on in Paris. `day(n)` is a calendar
 * day (a `date` column, UTC midnight) n days from today; `at(n, h, m)` is the instant of h:m,
 * Paris wall-clock time, on that day.
 */
export class SeedCalendar {
  readonly now: Date;
  private readonly year: number;
  private readonly month: number;
  private readonly dayOfMonth: number;

  constructor(now: Date) {
    this.now = now;
    const p = parisParts(now);
    this.year = p.year;
    this.month = p.month - 1;
    this.dayOfMonth = p.day;
  }

  /** The calendar day `offset` days from today (negative: in the past). */
  day(offset: number): Date {
    return new Date(Date.UTC(this.year, this.month, this.dayOfMonth + offset));
  }

  /** The first day of the month `monthOffset` months from this one. */
  firstOfMonth(monthOffset: number): Date {
    return new Date(Date.UTC(this.year, this.month + monthOffset, 1));
  }

  /** The instant of `hour:minute` in Paris on the day `offset` days from today. */
  at(offset: number, hour = 9, minute = 0): Date {
    const guess = Date.UTC(this.year, this.month, this.dayOfMonth + offset, hour, minute);
    const first = guess - parisOffsetMinutes(new Date(guess)) * 60_000;
    const second = guess - parisOffsetMinutes(new Date(first)) * 60_000;
    return new Date(second);
  }

  /** This year, in Paris. */
  get currentYear(): number {
    return this.year;
  }
}

/** A kebab-case ASCII form of a French name: `Pierre-Yves Le Gall` → `pierre-yves-le-gall`. */
export function kebab(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The local part of an e-mail: `Pierre-Yves`, `Le Gall` → `pierre-yves.le-gall`. */
export function emailLocalPart(firstName: string, lastName: string): string {
  return `${kebab(firstName)}.${kebab(lastName)}`;
}
