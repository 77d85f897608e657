import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, resolveSignedIn, resolveSignedInSession } from '../../server/src/auth/sessions.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeMember } from '../support/scenario.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// Grouped session reads (auth/sessions.ts `GroupedReads`, at most 256 keys a statement), attack of stop 30 (held):
// more keys in one turn of the event loop than a group holds, odd ones among them, each answered its own.
describe('more distinct tokens in one turn than a group holds (256)', () => {
  it('answers each of 700 its own member, odd keys included, and the same for session IDs', async () => {
    const members = [];
    for (let i = 0; i < 350; i += 1) members.push(await makeMember(t.db.prisma));
    const sessions = await Promise.all(members.map((m) => openSession(t.db.prisma, m.id, 3_600_000)));
    const odd = ['', ' ', 'x'.repeat(100_000), '\u0000', '\'; DROP TABLE "Session"; --', '\ud800', 'ü'.repeat(5000)];
    const tokens = [
      ...sessions.map((s) => s.token),
      ...Array.from({ length: 343 }, (_, i) => `unknown-${i}`),
      ...odd,
      ...sessions.slice(0, 50).map((s) => s.token),
    ];
    const grouped = await Promise.all(tokens.map((token) => resolveSignedIn(t.db.sql, token)));
    const ids = grouped.map((g) => g?.session.member.id ?? null);
    const expected = [
      ...members.map((m) => m.id),
      ...Array.from({ length: 343 + odd.length }, () => null),
      ...members.slice(0, 50).map((m) => m.id),
    ];
    expect(ids).toEqual(expected);
    // Sessions by ID, as many at once, in spellings PostgreSQL's uuid reads (capitals, braces).
    const bySession = await Promise.all(
      sessions.map(({ session }, i) => resolveSignedInSession(t.db.sql, i % 2 ? session.id.toUpperCase() : `{${session.id}}`)),
    );
    expect(bySession.map((g) => g?.session.member.id ?? null)).toEqual(members.map((m) => m.id));
  }, 120_000);
});
