import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignInGuard } from '../../server/src/limits/callers.js';

// The guard's clock is the rate limiter's (Date.now and its expiry timers): faked here, so the lengths of
// successive locks are read exactly, without waiting for them. tests/edge/caller-limits.test.ts checks the
// same locks through a real server.
const LOCK_MS = 60_000;
const MAX_LOCK_MS = 5 * LOCK_MS;

function guard(): SignInGuard {
  return new SignInGuard({
    failuresPerAccount: 3,
    failuresPerAddress: 1000,
    lockMs: LOCK_MS,
    maxLockMs: MAX_LOCK_MS,
    hashConcurrency: 1,
    hashQueue: 10,
  });
}

/** The refusal `check` throws (RATE_LIMITED with its limit and retryAfterMs), or null when it lets the sign-in in. */
async function refusal(signIn: SignInGuard, email: string, address = '203.0.113.7') {
  try {
    await signIn.check(email, address);
    return null;
  } catch (error) {
    return (error as { extensions: { code: string; limit: string; retryAfterMs: number } }).extensions;
  }
}

async function failTimes(signIn: SignInGuard, times: number, email: string, address = '203.0.113.7') {
  for (let i = 0; i < times; i += 1) await signIn.failed(email, address);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Sign-in locks', () => {
  it('should lock an account for longer each time it is locked again (doubling, up to the longest lock)', async () => {
    const signIn = guard();
    const lengths: number[] = [];
    for (let lock = 0; lock < 5; lock += 1) {
      await failTimes(signIn, 3, 'guess@collectifs.test');
      const refused = await refusal(signIn, 'guess@collectifs.test');
      expect(refused).toMatchObject({ code: 'RATE_LIMITED', limit: 'signInAccount' });
      lengths.push(refused?.retryAfterMs as number);
      // Still locked a moment before the announced end, free right after it.
      vi.advanceTimersByTime((refused?.retryAfterMs as number) - 1_000);
      expect(await refusal(signIn, 'guess@collectifs.test')).not.toBeNull();
      vi.advanceTimersByTime(1_001);
      expect(await refusal(signIn, 'guess@collectifs.test')).toBeNull();
    }
    expect(lengths).toEqual([LOCK_MS, 2 * LOCK_MS, 4 * LOCK_MS, MAX_LOCK_MS, MAX_LOCK_MS]);
  });

  it('should count from the first lock again once the longest lock has passed after the last one ended', async () => {
    const signIn = guard();
    await failTimes(signIn, 3, 'guess@collectifs.test');
    vi.advanceTimersByTime(LOCK_MS);
    await failTimes(signIn, 3, 'guess@collectifs.test');
    expect((await refusal(signIn, 'guess@collectifs.test'))?.retryAfterMs).toBe(2 * LOCK_MS);
    // Within the longest lock after its end, a third lock would be longer still; past it, it is the first again.
    vi.advanceTimersByTime(2 * LOCK_MS + MAX_LOCK_MS - 1_000);
    await failTimes(signIn, 3, 'guess@collectifs.test');
    expect((await refusal(signIn, 'guess@collectifs.test'))?.retryAfterMs).toBe(4 * LOCK_MS);
    vi.advanceTimersByTime(4 * LOCK_MS + MAX_LOCK_MS);
    await failTimes(signIn, 3, 'guess@collectifs.test');
    expect((await refusal(signIn, 'guess@collectifs.test'))?.retryAfterMs).toBe(LOCK_MS);
  });

  it('should forget an account’s past locks once its owner signs in', async () => {
    const signIn = guard();
    await failTimes(signIn, 3, 'owner@collectifs.test');
    vi.advanceTimersByTime(LOCK_MS);
    await signIn.succeeded('owner@collectifs.test', '203.0.113.7');
    await failTimes(signIn, 3, 'owner@collectifs.test');
    expect((await refusal(signIn, 'owner@collectifs.test'))?.retryAfterMs).toBe(LOCK_MS);
  });

  it('should not lengthen a lock with failures that arrive while it holds (concurrent sign-ins)', async () => {
    const signIn = guard();
    await Promise.all(Array.from({ length: 20 }, () => signIn.failed('flood@collectifs.test', '203.0.113.7')));
    expect((await refusal(signIn, 'flood@collectifs.test'))?.retryAfterMs).toBe(LOCK_MS);
    vi.advanceTimersByTime(LOCK_MS);
    expect(await refusal(signIn, 'flood@collectifs.test')).toBeNull();
  });

  it('should grow the locks of an address too', async () => {
    const signIn = new SignInGuard({
      failuresPerAccount: 1000,
      failuresPerAddress: 4,
      lockMs: LOCK_MS,
      maxLockMs: MAX_LOCK_MS,
      hashConcurrency: 1,
      hashQueue: 10,
    });
    for (const expected of [LOCK_MS, 2 * LOCK_MS]) {
      for (let i = 0; i < 4; i += 1) await signIn.failed(`someone-${i}@collectifs.test`, '198.51.100.9');
      const refused = await refusal(signIn, 'anyone@collectifs.test', '198.51.100.9');
      expect(refused).toMatchObject({ code: 'RATE_LIMITED', limit: 'signInAddress', retryAfterMs: expected });
      vi.advanceTimersByTime(expected);
    }
  });
});

// Attack finding (issue 9, lockout.mjs): 10 wrong passwords from an anonymous caller locked jerome.meyer out for
// 15 minutes, the right password from anywhere refused. Only the attacker's address is locked out of the account now.
describe('Sign-in locks a third party cannot turn on the owner', () => {
  it('should lock the account from the attacker’s address only, the owner signing in from another', async () => {
    const signIn = guard();
    await failTimes(signIn, 3, 'lead@collectifs.test', '203.0.113.66');
    expect(await refusal(signIn, 'lead@collectifs.test', '203.0.113.66')).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'signInAccount',
      retryAfterMs: LOCK_MS,
    });
    expect(await refusal(signIn, 'lead@collectifs.test', '198.51.100.1')).toBeNull();
  });

  it('should slow failures for the account across addresses (growing delays, capped), never lock it', async () => {
    const signIn = guard();
    const delays: number[] = [];
    for (let i = 0; i < 10; i += 1) delays.push(await signIn.failed('lead@collectifs.test', `203.0.113.${i}`));
    expect(delays).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    expect(await refusal(signIn, 'lead@collectifs.test', '198.51.100.1')).toBeNull();
    // The owner's success clears the slowing; an attacker's lock on the account from its own address stays.
    await failTimes(signIn, 3, 'lead@collectifs.test', '203.0.113.66');
    await signIn.succeeded('lead@collectifs.test', '198.51.100.1');
    expect(await signIn.failed('lead@collectifs.test', '203.0.113.0')).toBe(0);
    expect(await refusal(signIn, 'lead@collectifs.test', '203.0.113.66')).toMatchObject({ limit: 'signInAccount' });
  });
});
