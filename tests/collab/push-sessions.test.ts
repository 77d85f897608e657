import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Pusher } from '../../server/src/collab/documents.js';
import type { Actor } from '../../server/src/domain/tenders.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { paragraphUpdate, sectionScenario } from '../support/collab.js';
import { until } from '../support/waits.js';

// A push's session is judged by the transaction that stores it (issue 11: a socket keeps its session from
// connection_init, so the kept one must end "at once"), pusher by pusher within a batch, and, on the embedded
// database, on every batch judged on an earlier read (`#commitUnchanged`), whose expiry passes with no write.
// Found by the attack on this change: a push judged after its session expired was stored on PGlite.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // Nothing applied from the log: only the storing transaction knows what ended. No recount of the figures after a
  // push either: it writes, and a write sends the next batch through the full read.
  t.app.events.stop();
  t.app.documents.onStored = null;
});
afterAll(() => t.close());

const pusherOf = (member: Actor['member'], collectiveId: string, sessionId: string): Pusher => ({
  actor: { member, isSupportStaff: false, insiderOf: new Set([collectiveId]) },
  authorId: member.id,
  connectionId: null,
  sessionId,
});

/** What a push settled as: stored, or its refusal's code. */
const outcome = (push: Promise<unknown>) =>
  push.then(
    () => 'stored',
    (error: { extensions?: { code?: string } }) => error?.extensions?.code ?? String(error),
  );

const storedText = async (sectionId: string) => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await t.app.documents.storedState(sectionId));
  return doc.getXmlFragment('body').toString();
};

describe('A push batch with pushers of several sessions', () => {
  it('should refuse the pushes of a session signed out since, and store the others', async () => {
    const { members, collective, section } = await sectionScenario(t.db.prisma, { members: 2 });
    const [a, b] = members as [Actor['member'], Actor['member']];
    const session = async (memberId: string) =>
      (
        await t.db.prisma.session.create({
          data: { memberId, tokenHash: `push-sessions-${Math.random()}`, expiresAt: new Date(Date.now() + 3_600_000) },
        })
      ).id;
    const [sa, sb] = [await session(a.id), await session(b.id)];
    const push = (member: Actor['member'], sessionId: string, text: string) =>
      outcome(t.app.documents.push(section.id, paragraphUpdate(text), pusherOf(member, collective.id, sessionId)));
    // Both read once: on the embedded database the next batch may be judged on that read.
    expect(await Promise.all([push(a, sa, 'a0'), push(b, sb, 'b0')])).toEqual(['stored', 'stored']);
    await t.db.prisma.session.update({ where: { id: sa }, data: { revokedAt: new Date() } });
    // Queued in one turn: one batch.
    expect(await Promise.all([push(a, sa, 'a1'), push(b, sb, 'b1'), push(a, sa, 'a2')])).toEqual([
      'UNAUTHENTICATED',
      'stored',
      'UNAUTHENTICATED',
    ]);
    const text = await storedText(section.id);
    expect(text).toContain('b1');
    expect(text).not.toContain('a1');
    expect(text).not.toContain('a2');
  });

  it('should refuse a push judged after its session expired, even on a read kept from before', async () => {
    const { members, collective, section } = await sectionScenario(t.db.prisma, { members: 1 });
    const member = members[0] as Actor['member'];
    const expiresAt = Date.now() + 1_500;
    const { id: sessionId } = await t.db.prisma.session.create({
      data: { memberId: member.id, tokenHash: `push-sessions-${Math.random()}`, expiresAt: new Date(expiresAt) },
    });
    const pusher = pusherOf(member, collective.id, sessionId);
    // Kept loaded (and its read kept) between the pushes.
    const loan = await t.app.documents.borrow(section.id);
    try {
      expect(await outcome(t.app.documents.push(section.id, paragraphUpdate('Avant.'), pusher))).toBe('stored');
      expect(await outcome(t.app.documents.push(section.id, paragraphUpdate('Encore.'), pusher))).toBe('stored');
      // Nothing is written meanwhile: only the clock moves.
      await until(() => Date.now() > expiresAt + 50, 'the session to expire', { everyMs: 50 });
      expect(await outcome(t.app.documents.push(section.id, paragraphUpdate('Expirée.'), pusher))).toBe('UNAUTHENTICATED');
      expect(await storedText(section.id)).not.toContain('Expirée.');
    } finally {
      loan.release();
    }
  });
});

describe('The rights a document keeps between batches (embedded database)', () => {
  it('should ask a batch’s read about a bounded number of sessions, however many have pushed while it stays open', async (test) => {
    // PostgreSQL reads each batch's own pushers and sessions only.
    if (t.db.kind !== 'pglite') test.skip();
    const { members, collective, section } = await sectionScenario(t.db.prisma, { members: 1 });
    const [member] = members as [Actor['member']];
    // The session lists the reads asked about (the third parameter of the embedded read: a JSON array).
    const asked: number[] = [];
    const sql = t.db.sql;
    const transaction = sql.transaction.bind(sql);
    sql.transaction = (work) =>
      transaction((tx) =>
        work({
          ...tx,
          query: (text, params) => {
            if (/pushers/.test(text) && typeof params?.[2] === 'string') asked.push(JSON.parse(params[2]).length);
            return tx.query(text, params);
          },
        }),
      );
    // A co-author keeps the section open between the pushes (closed, a document forgets what it read).
    const listening = await t.app.documents.listen(section.id, () => {});
    try {
      // One member signing in again and again (each sign-in a session), pushing once from each.
      for (let i = 0; i < 100; i += 1) {
        const session = await t.db.prisma.session.create({
          data: { memberId: member.id, tokenHash: `carried-${i}-${Math.random()}`, expiresAt: new Date(Date.now() + 3_600_000) },
        });
        await t.app.documents.push(section.id, paragraphUpdate(`p${i}`), pusherOf(member, collective.id, session.id));
      }
    } finally {
      sql.transaction = transaction;
      listening.close();
    }
    expect(asked.length).toBeGreaterThanOrEqual(100);
    // Before: the 100th read asked about all 100 sessions, and kept growing with every new one.
    expect(Math.max(...asked)).toBeLessThanOrEqual(65);
    expect(await storedText(section.id)).toContain('p99');
  }, 60_000);
});
