/**
 * Splits `totalCents` in proportion to `weights`, to the cent, by the largest-remainder method: every
 * part is the floor of its exact share, and the cents left over go one by one to the largest remainders
 * (ties to the earlier weight). The parts always sum to exactly `totalCents`.
 */
export function splitCents(totalCents: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(totalCents) || totalCents < 0) throw new RangeError('totalCents must be a non-negative integer.');
  if (weights.some((weight) => !(weight >= 0))) throw new RangeError('Weights must be non-negative numbers.');
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0 || sum === 0) throw new RangeError('At least one weight must be positive.');
  const exact = weights.map((weight) => (totalCents * weight) / sum);
  const parts = exact.map(Math.floor);
  let left = totalCents - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left === 0) break;
    parts[index] = (parts[index] ?? 0) + 1;
    left -= 1;
  }
  return parts;
}

/** 10 000 basis points make 100 %. */
export const WHOLE_SHARE = 10_000;
