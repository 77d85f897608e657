import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { recordEvent } from '../../server/src/events/record.js';
import { createTestApp } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { connected, runOnSocket, wsClient } from '../support/live.js';
import { gid, makeMember } from '../support/scenario.js';

// Attack of stop 25 (F2), two instances sharing Redis: a graphql-ws socket on B kept a session signed out on A until B
// applied the `session.revoked` event. With Redis paused and no subscription open on B, B never read the log (its poll
// ran only for subscribers): the socket's mutations were accepted for the whole pause (134 in 30 s). Here one instance
// stands for B: the sign-out is committed straight to the database, as by another instance whose notification was lost.

/** Ends `sessionId` as a sign-out on another instance does, announcing nothing here. */
async function signedOutElsewhere(t: TestApp, memberId: string, sessionId: string) {
  await t.db.prisma.$transaction(async (tx) => {
    await tx.session.update({ where: { id: sessionId }, data: { revokedAt: new Date() } });
    await recordEvent(tx, {
      type: 'session.revoked',
      subject: { typename: 'Member', id: memberId },
      actorId: memberId,
      payload: { sessionId },
    });
  });
}

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
type Member = Awaited<ReturnType<typeof makeMember>>;

/**
 * A server of its own (its bus stopped when `applyNothing`: only the database knows what ends), a member signed in on
 * an open socket (a new one, or `viewer`'s), and that member's session ID; everything closed after `body`.
 */
async function onOwnServer(
  applyNothing: boolean,
  body: (t: TestApp, socket: Client, member: Member, sessionId: string) => Promise<void>,
  viewer: (t: TestApp) => Promise<Member> = (t) => makeMember(t.db.prisma),
): Promise<void> {
  const t = await createTestApp();
  const url = await t.app.start();
  try {
    if (applyNothing) t.app.events.stop();
    const member = await viewer(t);
    const socket = wsClient(url, await t.tokenFor(member.id), { lazy: false });
    try {
      await connected(socket);
      const { id: sessionId } = await t.db.prisma.session.findFirstOrThrow({ where: { memberId: member.id } });
      await body(t, socket, member, sessionId);
    } finally {
      await socket.dispose();
    }
  } finally {
    await t.close();
  }
}

describe('A graphql-ws socket whose session ends on another instance', () => {
  it('should be anonymous once this instance reads the log at its poll, with no subscription open', async () => {
    await onOwnServer(false, async (t, socket, member, sessionId) => {
      expect((await runOnSocket(socket, '{ viewer { id } }')).data).toEqual({ viewer: { id: gid('Member', member.id) } });
      expect(t.app.events.subscriberCount).toBe(0);
      // Applied here (after the lifecycle, which observes first) only if something reads the log: the poll.
      const applied = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('The sign-out was never applied: nothing read the log')), 30_000);
        const stop = t.app.events.observe((event) => {
          if (event.type === 'session.revoked' && (event.payload as { sessionId: string }).sessionId === sessionId) {
            clearTimeout(timer);
            stop();
            resolve();
          }
        });
      });
      await signedOutElsewhere(t, member.id, sessionId);
      await applied;
      expect((await runOnSocket(socket, '{ viewer { id } }')).data).toEqual({ viewer: null });
    });
  }, 120_000);

  it('should have its mutations refused before this instance applies the sign-out, and store nothing', async () => {
    // This instance applies nothing (its bus stopped): only the database knows the session ended.
    await onOwnServer(true, async (t, socket, member, sessionId) => {
      await signedOutElsewhere(t, member.id, sessionId);
      const answer = await runOnSocket(socket, 'mutation { updateMyProfile(input: { firstName: "Déconnecté" }) { __typename } }');
      expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAUTHENTICATED');
      const row = await t.db.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
      expect(row.firstName).toBe(member.firstName);
      // The socket has learnt it: its next operations are anonymous too.
      expect((await runOnSocket(socket, '{ viewer { id } }')).data).toEqual({ viewer: null });
    });
  }, 120_000);

  it('should have its co-editing pushes refused before this instance applies the sign-out, storing nothing', async () => {
    // The push is a light mutation: it uses the socket's session, kept from connection_init. The storing transaction
    // reads whether that session is still live, here where the previous push's read was kept (`#commitUnchanged`).
    let sectionId = '';
    await onOwnServer(
      true,
      async (t, socket, member, sessionId) => {
        const doc = new Y.Doc();
        const paragraph = new Y.XmlElement('paragraph');
        doc.getXmlFragment('body').insert(0, [paragraph]);
        // What the server holds of this document (its state vector): each push sends the rest.
        let sent = Y.encodeStateVector(new Y.Doc());
        const push = async (text: string) => {
          paragraph.insert(paragraph.length, [new Y.XmlText(text)]);
          const update = Buffer.from(Y.encodeStateAsUpdate(doc, sent)).toString('base64');
          sent = Y.encodeStateVector(doc);
          return runOnSocket(
            socket,
            'mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename } }',
            { input: { sectionId: gid('TenderSection', sectionId), update } },
          );
        };
        expect((await push('Avant.')).data?.pushSectionUpdate).toEqual({ __typename: 'MutationPushSectionUpdateSuccess' });
        expect((await push(' Encore.')).data?.pushSectionUpdate).toEqual({ __typename: 'MutationPushSectionUpdateSuccess' });
        const stored = await t.db.prisma.sectionUpdate.count({ where: { sectionId } });
        expect(stored, 'the two pushes stored').toBeGreaterThan(0);
        await signedOutElsewhere(t, member.id, sessionId);
        const refused = await push(' Après la déconnexion.');
        expect(refused.errors?.[0]?.extensions?.code, JSON.stringify(refused)).toBe('UNAUTHENTICATED');
        expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId } })).toBe(stored);
        const text = new Y.Doc();
        Y.applyUpdate(text, await t.app.documents.storedState(sectionId));
        expect(text.getXmlFragment('body').toString()).not.toContain('Après');
        // The socket has learnt it: its next operations are anonymous too.
        expect((await runOnSocket(socket, '{ viewer { id } }')).data).toEqual({ viewer: null });
      },
      async (t) => {
        const { members, section } = await sectionScenario(t.db.prisma, { members: 1 });
        sectionId = section.id;
        return members[0] as Member;
      },
    );
  }, 120_000);
});
