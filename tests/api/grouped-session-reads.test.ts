import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSignedIn, resolveSignedInSession } from '../../server/src/auth/sessions.js';
import type { SqlRunner } from '../../server/src/db/database.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { gid, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Sessions read as a group (auth/sessions.ts `GroupedReads`, issue 11): on PostgreSQL every signed-in request read its
// session alone. Reads asked in one turn of the event loop go together in one statement; none takes the answer of a
// statement sent before it was asked, so a sign-out committed before a read is always seen by it; a group held or
// failed holds or fails only its own reads (attack of stop 29).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The test database's runner, counting its statements; with `hold` set, the next one waits until released. */
function countingRunner() {
  const runner = {
    statements: 0,
    hold: false,
    held: [] as Array<() => void>,
    fail: null as Error | null,
    async query<Row>(text: string, params?: unknown[]): Promise<Row[]> {
      runner.statements += 1;
      if (runner.fail) throw runner.fail;
      if (runner.hold) {
        runner.hold = false;
        await new Promise<void>((release) => runner.held.push(release));
      }
      return t.db.sql.query<Row>(text, params);
    },
  };
  return runner as typeof runner & Pick<SqlRunner, 'query'>;
}

async function sessionsOf(count: number) {
  const member = await makeMember(t.db.prisma);
  return Promise.all(Array.from({ length: count }, () => t.tokenFor(member.id)));
}

describe('Grouped session reads', () => {
  it('should read twenty sessions asked at once in two statements, each answered as a read of its own would be', async () => {
    const live = await sessionsOf(10);
    const revoked = await sessionsOf(5);
    for (const token of revoked) await t.gql('mutation { signOut }', {}, token);
    const unknown = Array.from({ length: 5 }, (_, i) => `no-such-token-${i}`);
    const tokens = [...live, ...revoked, ...unknown, live[0] as string];

    const alone = [];
    for (const token of tokens) alone.push(await resolveSignedIn(t.db.sql, token));
    const runner = countingRunner();
    const grouped = await Promise.all(tokens.map((token) => resolveSignedIn(runner, token)));

    // Asked in one turn: one statement.
    expect(runner.statements).toBe(1);
    expect(grouped).toEqual(alone);
    expect(grouped.slice(0, 10).every((signedIn) => signedIn !== null)).toBe(true);
    expect(grouped.slice(10, 20)).toEqual(Array(10).fill(null));
    // Two reads of one token get objects of their own (a request may not change another's).
    expect(grouped[20]).toEqual(grouped[0]);
    expect(grouped[20]?.session.member).not.toBe(grouped[0]?.session.member);
  });

  it('should group reads by session ID as by token', async () => {
    const tokens = await sessionsOf(6);
    const ids = await Promise.all(tokens.map(async (token) => (await resolveSignedIn(t.db.sql, token))?.session.sessionId));
    const runner = countingRunner();
    // Spelt as PostgreSQL's uuid input takes them (upper case, braces) or as no UUID: the last names no session and
    // fails no one else's read.
    const spelt = [ids[0], ids[1]?.toUpperCase(), `{${ids[2]}}`, ...ids.slice(3), 'not-a-uuid'] as string[];
    const grouped = await Promise.all(spelt.map((id) => resolveSignedInSession(runner, id)));
    expect(runner.statements).toBe(1);
    expect(grouped.map((signedIn) => signedIn?.session.sessionId ?? null)).toEqual([...ids, null]);
  });

  it('should never answer a read with a statement sent before it was asked (a sign-out in between is seen)', async () => {
    const [first, second] = await sessionsOf(2);
    const runner = countingRunner();
    runner.hold = true;
    // A statement is running (held) for the first token; the second is signed out meanwhile, then read: it is
    // answered (signed out) while the first statement is still held, which holds only its own read.
    const firstRead = resolveSignedIn(runner, first as string);
    await until(() => runner.held.length === 1, 'the first statement held');
    expect((await t.gql('mutation { signOut }', {}, second)).data).toEqual({ signOut: true });
    expect(await resolveSignedIn(runner, second as string)).toBeNull();
    runner.held.shift()?.();
    expect(await firstRead).not.toBeNull();
    expect(runner.statements).toBe(2);
  });

  it('should give each caller of one token its own lists and dates (attack of stop 29)', async () => {
    const member = await makeMember(t.db.prisma, { sectors: ['DESIGN', 'WRITING'] });
    const token = await t.tokenFor(member.id);
    const [a, b] = await Promise.all([resolveSignedIn(t.db.sql, token), resolveSignedIn(t.db.sql, token)]);
    expect(b).toEqual(a);
    a?.session.member.sectors.splice(0);
    a?.session.expiresAt.setTime(0);
    a?.session.member.joinedCooperativeOn.setTime(0);
    expect(b?.session.member.sectors).toEqual(['DESIGN', 'WRITING']);
    expect(b?.session.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(b?.session.member.joinedCooperativeOn.getTime()).not.toBe(0);
  });

  it('should answer a member whose row is odd (sectors NULL, which the column allows) and the others grouped with it', async () => {
    const [odd, other] = await Promise.all([makeMember(t.db.prisma), makeMember(t.db.prisma)]);
    const tokens = [await t.tokenFor(odd.id), await t.tokenFor(other.id)];
    await t.db.sql.query('UPDATE "Member" SET sectors = NULL WHERE id = $1', [odd.id]);
    const runner = countingRunner();
    const grouped = await Promise.all(tokens.map((token) => resolveSignedIn(runner, token)));
    expect(runner.statements).toBe(1);
    expect(grouped.map((signedIn) => signedIn?.session.member.id)).toEqual([odd.id, other.id]);
  });

  it('should answer 300 requests over HTTP at once, odd tokens among them, each with its own viewer', async () => {
    const members = await Promise.all(Array.from({ length: 150 }, () => makeMember(t.db.prisma)));
    const tokens = await Promise.all(members.map((member) => t.tokenFor(member.id)));
    const odd = ['', ' ', 'x'.repeat(6_000), 'é\u00ffñ', "' OR 1=1 --", '{}', 'NULL', '$1', 'a,b', 'not-a-token'];
    const asks: Array<{ token: string; viewer: string | null }> = [];
    for (const round of [0, 1])
      for (const [i, token] of tokens.entries()) {
        asks.push({ token, viewer: gid('Member', (members[i] as { id: string }).id) });
        if (i % 15 === round) asks.push({ token: odd[Math.floor(i / 15)] as string, viewer: null });
      }
    const answers = await Promise.all(asks.map(({ token }) => t.gql('{ viewer { id } }', {}, token)));
    expect(answers.map((answer) => (answer.data?.viewer as { id: string } | null)?.id ?? null)).toEqual(
      asks.map((ask) => ask.viewer),
    );
  });

  it('should reject every read of a failed statement with its error, and read the next ones again', async () => {
    const tokens = await sessionsOf(3);
    const runner = countingRunner();
    runner.fail = new Error('connection lost');
    const reads = tokens.map((token) => resolveSignedIn(runner, token));
    for (const read of reads) await expect(read).rejects.toThrow('connection lost');
    runner.fail = null;
    expect(await resolveSignedIn(runner, tokens[0] as string)).not.toBeNull();
  });
});
