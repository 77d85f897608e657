import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSignedIn, resolveSignedInSession } from '../../server/src/auth/sessions.js';
import type { SqlRunner } from '../../server/src/db/database.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Sessions read as a group (auth/sessions.ts `GroupedReads`, issue 11): on PostgreSQL every signed-in request read its
// session alone. Reads asked while one statement runs go together in the next; none takes the answer of a statement
// sent before it was asked, so a sign-out committed before a read is always seen by it.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The test database's runner, counting its statements and, while `hold` is set, holding each until released. */
function countingRunner() {
  const runner = {
    statements: 0,
    hold: false,
    held: [] as Array<() => void>,
    fail: null as Error | null,
    async query<Row>(text: string, params?: unknown[]): Promise<Row[]> {
      runner.statements += 1;
      if (runner.fail) throw runner.fail;
      if (runner.hold) await new Promise<void>((release) => runner.held.push(release));
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

    // The first read is sent at once; the others, asked while it ran, in one statement.
    expect(runner.statements).toBe(2);
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
    const grouped = await Promise.all(ids.map((id) => resolveSignedInSession(runner, id as string)));
    expect(runner.statements).toBe(2);
    expect(grouped.map((signedIn) => signedIn?.session.sessionId)).toEqual(ids);
  });

  it('should never answer a read with a statement sent before it was asked (a sign-out in between is seen)', async () => {
    const [first, second] = await sessionsOf(2);
    const runner = countingRunner();
    runner.hold = true;
    // A statement is running (held) for the first token; the second is signed out meanwhile, then read.
    const firstRead = resolveSignedIn(runner, first as string);
    await until(() => runner.held.length === 1, 'the first statement held');
    expect((await t.gql('mutation { signOut }', {}, second)).data).toEqual({ signOut: true });
    const secondRead = resolveSignedIn(runner, second as string);
    runner.hold = false;
    runner.held.shift()?.();
    expect(await firstRead).not.toBeNull();
    expect(await secondRead).toBeNull();
    expect(runner.statements).toBe(2);
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
