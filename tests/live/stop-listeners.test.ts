import { describe, expect, it } from 'vitest';
import type { SignedIn } from '../../server/src/auth/sessions.js';
import type { EventBus } from '../../server/src/events/bus.js';
import type { Member } from '../../server/src/generated/prisma/client.js';
import { LiveConnection } from '../../server/src/live/connection.js';
import { Lifecycle, LiveStream, VIEWER } from '../../server/src/live/lifecycle.js';
import { flatText } from '../../server/src/observability/log.js';

// Issue 11: a stream keeps its stop listeners (and a connection its close listeners) as given (no wrapper closure per listener, per idle subscriber), and
// long-lived ids are flat strings. Neither may change what callers see: a listener registered twice runs twice, as
// with an AbortSignal's listeners, and an unregister function removes one registration, however often it is called.

function stream(): LiveStream {
  const bus = { observe: () => () => {}, sync: async () => {} } as unknown as EventBus;
  const session: SignedIn = {
    sessionId: 'session',
    expiresAt: new Date(Date.now() + 3_600_000),
    member: { id: 'member' } as Member,
  };
  return new LiveStream(new Lifecycle(bus), VIEWER, session);
}

describe('A stream’s stop listeners', () => {
  it('should call a listener registered twice twice, and each unregister should remove one registration once', () => {
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const live = stream();
    const first = live.onStop(a);
    live.onStop(a);
    live.onStop(b);
    const third = live.onStop(a);
    first();
    first();
    third();
    live.stop();
    expect(calls.sort()).toEqual(['a', 'b']);
  });

  it('should call a listener at once when the stream has already stopped, and only then', () => {
    const live = stream();
    live.stop();
    let calls = 0;
    const unregister = live.onStop(() => {
      calls += 1;
    });
    unregister();
    live.stop();
    expect(calls).toBe(1);
  });
});

describe('A connection’s close listeners', () => {
  it('should call a listener registered twice twice, and each unregister should remove one registration once', () => {
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const connection = new LiveConnection('ws', null);
    const first = connection.onClose(a);
    connection.onClose(a);
    connection.onClose(b);
    const third = connection.onClose(a);
    first();
    first();
    third();
    connection.close();
    connection.close();
    expect(calls.sort()).toEqual(['a', 'b']);
  });
});

describe('flatText', () => {
  it('should return the same text, Latin-1 or not', () => {
    for (const text of ['', 'a', `${crypto.randomUUID()}.1`, 'opération', 'id-\u{1F600}', 'lone \ud800 surrogate'])
      expect(flatText(text)).toBe(text);
  });
});
