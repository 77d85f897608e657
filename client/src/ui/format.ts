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
