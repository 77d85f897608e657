import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSignedIn } from '../../server/src/auth/sessions.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeMember } from '../support/scenario.js';

// Closing the app (and its database) while session reads are asked but not yet sent (GroupedReads sends them on the
// next setImmediate), or sent: every caller must get an answer or an error, nothing may be left unhandled, and the
// process must not crash.

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

async function request(t: TestApp, token: string): Promise<unknown> {
  const response = await t.app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    }),
  );
  return response.text();
}

describe('closing with session reads pending', () => {
  it('requests in flight at close: each settles, nothing unhandled', async () => {
    const t = await createTestApp();
    const member = await makeMember(t.db.prisma);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => t.tokenFor(member.id)));
    const asked = Array.from({ length: 300 }, (_, i) =>
      request(t, tokens[i % tokens.length] as string).then(
        (body) => ({ ok: true, body }),
        (error: unknown) => ({ ok: false, body: String(error) }),
      ),
    );
    // Some go ahead a turn, some not.
    await new Promise((resolve) => setImmediate(resolve));
    await t.close();
    const settled = await Promise.all(asked);
    // A turn more, for a rejection left behind.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled.map(String)).toEqual([]);
    expect(settled.length).toBe(300);
  }, 120_000);

  it('a direct read asked right before close: rejected or answered, nothing unhandled', async () => {
    const t = await createTestApp();
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const reads = Array.from({ length: 600 }, (_, i) =>
      resolveSignedIn(t.db.sql, i % 2 ? token : `unknown-${i}`).then(
        () => 'answered',
        (error: unknown) => `rejected: ${String(error)}`,
      ),
    );
    const closing = t.close();
    const outcomes = await Promise.all(reads);
    await closing;
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled.map(String)).toEqual([]);
    expect(outcomes.length).toBe(600);
  }, 120_000);
});
