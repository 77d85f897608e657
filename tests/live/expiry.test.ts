import { queryObjects } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignedIn } from '../../server/src/auth/sessions.js';
import type { EventBus } from '../../server/src/events/bus.js';
import type { Member } from '../../server/src/generated/prisma/client.js';
import { Lifecycle, LiveStream, VIEWER } from '../../server/src/live/lifecycle.js';

// The sessionExpiry row of the lifecycle matrix failed now and then over ws: a presence entry set after the
// session ran out was delivered. The cause was the server's: a stream learnt of its expiry only from a Node
// timer, and a timer can run early (it counts from the event loop's cached time, stale after a long turn, as
// PGlite on the main thread makes them) or late (a busy loop). One stream could end "expired" while the
// session was still valid, and another deliver past the expiry. Now the clock decides: the timer re-arms
// until the expiry has passed, and every message is admitted only before it.

/** A lifecycle over a bus that never sends an event (these streams are ended by their session alone). */
function lifecycle(): Lifecycle {
  const bus = { observe: () => () => {}, sync: async () => {} } as unknown as EventBus;
  return new Lifecycle(bus);
}

function session(expiresAt: number): SignedIn {
  return { sessionId: 'session', expiresAt: new Date(expiresAt), member: { id: 'member' } as Member };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('A stream and its session’s expiry', () => {
  it('should deliver nothing once the session has run out, even before the expiry timer has run', async () => {
    const stream = new LiveStream(lifecycle(), VIEWER, session(Date.now() - 1));
    // The timer (0 ms) has not run: no macrotask has passed since the stream was made.
    expect(stream.ended).toBeNull();
    await expect(stream.admit()).rejects.toMatchObject({ extensions: { code: 'SESSION_EXPIRED' } });
    expect(stream.ended).toBe('SESSION_EXPIRED');
  });

  it('should not end a stream whose session is still valid when the timer runs early', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const stream = new LiveStream(lifecycle(), VIEWER, session(1_000_000 + 8_000));
    // The timer runs when the clock says 7 950 ms have passed, not 8 000: as one counting from a stale start.
    vi.setSystemTime(1_000_000 - 50);
    vi.advanceTimersByTime(8_000);
    expect(Date.now()).toBe(1_000_000 + 7_950);
    expect(stream.ended).toBeNull();
    expect(await stream.admit()).toBe(true);
    // Once the clock passes the expiry, it ends.
    vi.advanceTimersByTime(50);
    expect(stream.ended).toBe('SESSION_EXPIRED');
    await expect(stream.admit()).rejects.toMatchObject({ extensions: { code: 'SESSION_EXPIRED' } });
  });

  it('should leave nothing in Node’s timer lists once its stream stops, whatever its session has left', () => {
    // Node keeps one list per timer duration; a list of unref'd timers outlives its last timer until that
    // duration has elapsed. The class is not exported: a probe timer's neighbour is its list.
    const probe = setTimeout(() => {}, 1);
    const TimersList = (probe as unknown as { _idlePrev: object })._idlePrev.constructor as new () => object;
    clearTimeout(probe);
    const lists = () => queryObjects(TimersList, { format: 'count' }) as number;
    const bus = lifecycle();
    const before = lists();
    // Sessions with an hour or more left, each a few ms apart: as many distinct times left as streams.
    const now = Date.now();
    for (let i = 0; i < 200; i += 1) new LiveStream(bus, VIEWER, session(now + 3_600_000 + 7 * i)).stop();
    // At most the one list the streams share (EXPIRY_STEP_MS) is left; before, one per stream (+200).
    expect(lists() - before).toBeLessThanOrEqual(1);
  });
});
