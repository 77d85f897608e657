/**
 * The instants the product stores: years 0001 to 9999 (UTC). PostgreSQL's `timestamptz` reaches further
 * (4713 BC to 294276 AD) but JavaScript's `Date` and ISO 8601 strings without a sign stop at 9999, and no
 * deadline, sale or opening day of a cooperative lies outside; year 0000 or -271821 reached PostgreSQL as
 * an out-of-range error (22008) answered as an internal error.
 */
const EARLIEST = new Date(0);
EARLIEST.setUTCFullYear(1, 0, 1);
EARLIEST.setUTCHours(0, 0, 0, 0);
const LATEST = new Date(0);
LATEST.setUTCFullYear(9999, 11, 31);
LATEST.setUTCHours(23, 59, 59, 999);

/** Whether `date` is a valid instant in years 0001–9999 UTC, which the database stores as it is. */
export function isStorableDate(date: Date): boolean {
  const time = date.getTime();
  return !Number.isNaN(time) && time >= EARLIEST.getTime() && time <= LATEST.getTime();
}
