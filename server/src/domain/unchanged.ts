/**
 * Whether an update's `next` values leave `current` as it is: each key of `next` holds the value `current` has (a date
 * the same instant, a decimal or a list the same content). Such an update writes nothing and records no event: it
 * answers with the row as it is (new-user test of stop 28: an `updateTenderSection` naming only the section, or
 * resending its word limit, recorded « Section modifiée » in every co-author's feed each time).
 */
export function changesNothing<Row extends object>(current: Row, next: { [Key in keyof Row]?: unknown }): boolean {
  return Object.entries(next).every(([key, value]) => same(current[key as keyof Row], value));
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  // Decimals (their JSON is their digits), lists, JSON values; null and undefined stay apart from every value.
  return a != null && b != null && typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether `given` lists the rows `current` holds, in any order: as many, with distinct keys (`keyOf`), each matching
 * the row of `current` with its key and leaving it as it is (`changesNothing`). A set-the-list mutation given such a
 * list writes nothing and records no event (the list resent as a page shows it, sorted otherwise).
 */
export function sameList<Row extends object, Given extends { [Key in keyof Row]?: unknown }>(
  current: readonly Row[],
  given: readonly Given[],
  keyOf: (row: Row | Given) => unknown,
): boolean {
  const byKey = new Map(current.map((row) => [keyOf(row), row]));
  return (
    given.length === current.length &&
    new Set(given.map(keyOf)).size === given.length &&
    given.every((row) => {
      const kept = byKey.get(keyOf(row));
      return kept !== undefined && changesNothing(kept, row);
    })
  );
}
