/** The cooperative lives on Paris time: "that day" and deadlines are read there. */
export const COOPERATIVE_TIME_ZONE = 'Europe/Paris';

const dayFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: COOPERATIVE_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar day an instant falls on in Paris, as a `date` value (midnight UTC). */
export function parisDay(instant: Date): Date {
  return new Date(`${dayFormat.format(instant)}T00:00:00.000Z`);
}
