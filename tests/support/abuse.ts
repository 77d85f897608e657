import type { Json } from './json.js';

/** The median of some numbers (the middle one, or the mean of the two middle ones). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs `probe` `samples` times one after the other and returns the median duration (ms). */
export async function medianDuration(probe: () => Promise<void>, samples: number): Promise<number> {
  const durations: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const started = performance.now();
    await probe();
    durations.push(performance.now() - started);
  }
  return median(durations);
}

/** At most this many times `samples` loaded probes while waiting for a round of abuse to finish. */
const MAX_SAMPLES_FACTOR = 100;

export interface UnderAbuse {
  /** Median latency of the probe before the abuse, in ms. */
  unloaded: number;
  /** Median latency of the probe while the abuse runs, in ms. */
  loaded: number;
  /** loaded / unloaded: what the limit tests assert (below 10), never an absolute time. */
  ratio: number;
  /** How many abusive rounds finished while the probe was measured (the probe samples until one has). */
  rounds: number;
}

/**
 * Measures a small legitimate request's latency unloaded, then again while `abuse` runs in `lanes` loops
 * of rounds, in the same run, so the two are compared as a ratio on whatever machine runs the test. The
 * loaded samples start only once each lane has finished a round (the abuse is really running), and the
 * abuse goes on until the last sample is in; loaded samples go on past `samples` until a round has finished
 * meanwhile (bounded). Medians over several samples keep one slow sample out.
 */
export async function latencyUnderAbuse(
  probe: () => Promise<void>,
  round: () => Promise<void>,
  options: { samples?: number; lanes?: number } = {},
): Promise<UnderAbuse> {
  const samples = options.samples ?? 15;
  const lanes = options.lanes ?? 4;
  await medianDuration(probe, 3); // warm-up: connections, caches, JIT
  const unloaded = await medianDuration(probe, samples);
  let stop = false;
  let rounds = 0;
  let started = 0;
  let markStarted: () => void = () => {};
  const allStarted = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const loops = Array.from({ length: lanes }, async () => {
    let first = true;
    while (!stop) {
      await round();
      rounds += 1;
      if (first) {
        first = false;
        started += 1;
        if (started === lanes) markStarted();
      }
    }
  });
  const failed = Promise.all(loops).then(() => {});
  await Promise.race([allStarted, failed]);
  const before = rounds;
  // Sampled until at least one round of abuse has finished meanwhile: on a quiet machine `samples` fast probes can
  // all fit inside one round (a trickle round takes at least 10 ms), which measured nothing (CI, quiet run).
  const durations: number[] = [];
  while (durations.length < samples || (rounds === before && durations.length < samples * MAX_SAMPLES_FACTOR)) {
    const sampleStarted = performance.now();
    await probe();
    durations.push(performance.now() - sampleStarted);
  }
  const loaded = median(durations);
  const during = rounds - before;
  stop = true;
  await failed;
  return { unloaded, loaded, ratio: loaded / unloaded, rounds: during };
}

/** The `extensions.code` of each error of a GraphQL result. */
export function codes(result: { errors?: Array<{ extensions?: Record<string, unknown> }> } | Json): string[] {
  return ((result?.errors ?? []) as Array<{ extensions?: { code?: unknown } }>).map((error) => String(error.extensions?.code));
}
