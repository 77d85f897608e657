/**
 * How long a wait for a condition lasts before it fails (ms). Only a safety net, never a pace: every wait returns
 * as soon as its condition holds, and a loaded machine (CI, or suites side by side on two shared cores) can take
 * tens of seconds for what takes milliseconds when quiet. Under the tests' own 120 s timeout.
 */
export const WAIT_TIMEOUT_MS = 60_000;

/**
 * Resolves with the first truthy value of `check` (re-evaluated every `everyMs`, after each run of what the event
 * loop had queued), for a condition no event announces (a counter of the server, a row written by a timer, a
 * log line read through a pipe). Fails after `timeoutMs`, with `what` (a function: it may describe the state
 * reached then). Re-checks cost the same whatever the machine's load; only the safety deadline is a time.
 */
export async function until<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string | (() => string) = 'a condition of the test',
  { timeoutMs = WAIT_TIMEOUT_MS, everyMs = 10 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
