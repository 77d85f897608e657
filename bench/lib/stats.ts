/** Latency figures of one series, in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** The value below which `p` percent of `sorted` lie (nearest rank); 0 for an empty series. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** p50, p99, max and mean of a series of milliseconds, rounded to 0.01 ms. */
export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  const mean = sorted.length === 0 ? 0 : sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? 0),
    mean: round(mean),
  };
}

/** `value / baseline`, rounded to 0.01; null when the baseline is zero or missing. */
export function ratio(value: number | null | undefined, baseline: number | null | undefined): number | null {
  if (value == null || baseline == null || baseline <= 0) return null;
  return Math.round((value / baseline) * 100) / 100;
}

/**
 * A wall-clock instant in milliseconds with sub-millisecond resolution, comparable between processes of
 * this machine (each process's `timeOrigin` is read from the same clock).
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
