const TIME_ZONE = 'Europe/Paris';

const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const percent = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 2 });
const day = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeZone: TIME_ZONE });
const dayTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE });
const time = new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short', timeZone: TIME_ZONE });
const relative = new Intl.RelativeTimeFormat('fr-FR', { numeric: 'auto' });

/** Cents to « 1 234,56 € ». */
export function formatEuros(cents: number | null | undefined): string {
  return cents == null ? '—' : euros.format(cents / 100);
}

/** Basis points (10 000 = 100 %) to « 12,5 % ». */
export function formatShare(basisPoints: number): string {
  return percent.format(basisPoints / 10_000);
}

/** A `Date` (YYYY-MM-DD) or `DateTime` as a day, in Paris. */
export function formatDay(value: string | null | undefined): string {
  if (!value) return '—';
  const date = value.length === 10 ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return day.format(date);
}

export function formatDateTime(value: string | null | undefined): string {
  return value ? dayTime.format(new Date(value)) : '—';
}

export function formatTime(value: string): string {
  return time.format(new Date(value));
}

/** « dans 3 jours », « il y a 2 heures ». */
export function formatRelative(value: string, now = Date.now()): string {
  const seconds = (new Date(value).getTime() - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(seconds), 'second');
}

const parisParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The wall-clock fields of an instant in Paris. */
function wallClock(instant: number): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  const parts = Object.fromEntries(parisParts.formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** Paris's offset from UTC at an instant, in milliseconds (+1 h in winter, +2 h in summer). */
function parisOffset(instant: number): number {
  const wall = wallClock(instant);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - Math.floor(instant / 1000) * 1000;
}

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * An instant as a `datetime-local` input shows it, in Paris time whatever the browser's zone (`2025-03-01T09:30`).
 * Empty for null.
 */
export function toParisInput(value: string | null | undefined): string {
  if (!value) return '';
  const instant = new Date(value).getTime();
  if (Number.isNaN(instant)) return '';
  const wall = wallClock(instant);
  return `${wall.year}-${pad(wall.month)}-${pad(wall.day)}T${pad(wall.hour)}:${pad(wall.minute)}`;
}

/**
 * A `datetime-local` value read as Paris time, to an ISO instant; null when empty or malformed. In the hour that
 * does not exist (spring forward) it moves on by the gap; in the hour that repeats (fall back) it takes the first.
 */
export function fromParisInput(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes: the offset at the first guess may differ from the offset at the answer around a change of time.
  let instant = wall - parisOffset(wall);
  instant = wall - parisOffset(instant);
  return new Date(instant).toISOString();
}

/** Today in Paris, as `YYYY-MM-DD`. */
export function parisToday(now = Date.now()): string {
  const wall = wallClock(now);
  return `${wall.year}-${pad(wall.month)}-${pad(wall.day)}`;
}

/** « 1 234,5 » or « 1234.50 » to a number; NaN when it is not one, null when empty. */
export function parseDecimalInput(text: string): number | null {
  const normalised = text.replace(/[\s\u00a0\u202f€%]/g, '').replace(',', '.');
  if (normalised === '') return null;
  return /^-?\d+(\.\d+)?$/.test(normalised) ? Number(normalised) : Number.NaN;
}

/** Cents as a form shows them: « 1234,5 ». */
export function centsToInput(cents: number | null | undefined): string {
  return cents == null ? '' : String(cents / 100).replace('.', ',');
}

/** Basis points as a form shows them, in percent: « 12,5 ». */
export function basisPointsToInput(points: number | null | undefined): string {
  return points == null ? '' : String(points / 100).replace('.', ',');
}
