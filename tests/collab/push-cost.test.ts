import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Actor } from '../../server/src/domain/tenders.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { CollabClient, sectionScenario, textOf } from '../support/collab.js';
import { until } from '../support/waits.js';

// Issue 11: a push's cost must not grow with the section's listeners, and it reads nothing outside the
// transaction that stores it (rights, memberships and the log's reach are read there, in one statement).
const statements: string[] = [];
let t: TestApp;
let url: string;
const clients: CollabClient[] = [];

beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
  url = await t.app.start();
  // Word counts are recounted on a timer after pushes: their statements are not the push's (and would race it).
  t.app.documents.onStored = null;
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.disconnect().catch(() => {})));
  await t.close();
});

/** The paragraph's text node of an editor's body (the scenario's one paragraph). */
const textNode = (client: CollabClient) => (client.body.get(0) as Y.XmlElement).get(0) as Y.XmlText;

/** Types a character on `writer` and returns the statements run until every editor shows it. */
async function statementsOfOneKeystroke(writer: CollabClient, editors: CollabClient[]): Promise<string[]> {
  statements.length = 0;
  textNode(writer).insert(0, 'y');
  await writer.settled();
  const want = textOf(writer.body);
  await until(() => editors.every((editor) => textOf(editor.body) === want));
  return [...statements];
}

describe('What a pushed keystroke costs', () => {
  it.each([
    { of: 'a response of the collective alone', deal: false },
    { of: 'a response preparing a deal (whose lock shares the statement locking the response)', deal: true },
  ])(
    'runs the same statements (1 embedded, 5 on PostgreSQL) whether one or three editors listen, none of them outside its transaction: $of',
    async ({ deal }) => {
      const { members, section } = await sectionScenario(t.db.prisma, { members: 3, deal });
      const editors: CollabClient[] = [];
      for (const member of members) {
        const editor = new CollabClient(url, await t.tokenFor(member.id), section.id);
        clients.push(editor);
        editors.push(editor);
      }
      const [writer, ...others] = editors as [CollabClient, CollabClient, CollabClient];
      await writer.connect();
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText('x')]);
      writer.body.insert(0, [paragraph]);
      await writer.settled();

      const alone = await statementsOfOneKeystroke(writer, [writer]);
      for (const other of others) await other.connect();
      const together = await statementsOfOneKeystroke(writer, editors);

      // On PostgreSQL: BEGIN, the lock statement (deal, response, pushers, their memberships), the read (section,
      // response, deal, partners, log position: after the locks, so that a change the push waited for is seen), the
      // insert, COMMIT. On the embedded database every transaction runs alone, and nothing was written since the
      // previous push read the rights: the insert alone, which stores only if that still holds (it was BEGIN, the
      // read, the insert, COMMIT: 4). (Through Prisma's transaction its log listed them all but BEGIN: 4, 5 with a
      // deal's own lock.)
      expect(together.length, together.join('\n')).toBe(alone.length);
      expect(together, together.join('\n')).toHaveLength(t.db.kind === 'pglite' ? 1 : 5);
      if (t.db.kind === 'pglite') expect(together[0]).toMatch(/^INSERT INTO "SectionUpdate".*pg_snapshot_xmax/s);
      else expect([together[0], together.at(-1)]).toEqual(['BEGIN', 'COMMIT']);
      expect(together.filter((sql) => /FROM "public"\."(Membership|EventLog|Session|Member)"/.test(sql))).toEqual([]);
    },
  );

  it('stores the pushes of several editors that arrive in the same turn of the event loop with one statement (1 embedded, 5 on PostgreSQL), each acknowledged with its own ID', async () => {
    const { members, collective, section } = await sectionScenario(t.db.prisma, { members: 3 });
    const pushers = members.map((member) => ({
      actor: { member: member as Actor['member'], isSupportStaff: false, insiderOf: new Set([collective.id]) },
      authorId: member.id,
      connectionId: null,
      sessionId: null,
    }));
    // Each editor's own paragraph: independent updates, valid in any order.
    const paragraphOf = (text: string) => {
      const doc = new Y.Doc();
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(text)]);
      doc.getXmlFragment('body').insert(0, [paragraph]);
      return Y.encodeStateAsUpdate(doc);
    };
    // Someone listens (the document stays loaded). Each pusher once on its own first: on the embedded database
    // their rights are then known, and read again only when something is written meanwhile.
    const listening = await t.app.documents.listen(section.id, () => {});
    for (const [i, pusher] of pushers.entries()) await t.app.documents.push(section.id, paragraphOf(`seul ${i}`), pusher);

    statements.length = 0;
    const ids = await Promise.all(
      pushers.map((pusher, i) => t.app.documents.push(section.id, paragraphOf(`ensemble ${i}`), pusher)),
    );
    // Before: the first push's batch was started at once, alone (its statement runs on this thread on the
    // embedded database), and each of the others went in a batch of its own: 3 statements (15 on PostgreSQL).
    expect(statements, statements.join('\n')).toHaveLength(t.db.kind === 'pglite' ? 1 : 5);
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO "SectionUpdate"'))).toHaveLength(1);
    expect(new Set(ids.map(String)).size).toBe(3);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    for (const i of [0, 1, 2]) expect(textOf(stored.getXmlFragment('body'))).toContain(`ensemble ${i}`);
    listening.close();
  });

  it('reads the rights again in the storing transaction once anything was written since the last push: a section marked done refuses the next push, then a reopened one stores it', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 1 });
    const editor = new CollabClient(url, await t.tokenFor((members[0] as { id: string }).id), section.id);
    clients.push(editor);
    await editor.connect();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('un')]);
    editor.body.insert(0, [paragraph]);
    await editor.settled();
    textNode(editor).insert(0, 'deux ');
    await editor.settled();
    expect(editor.rejected).toEqual([]);

    // Behind the server's back (no event): only the database knows.
    await t.db.prisma.tenderSection.update({ where: { id: section.id }, data: { status: 'DONE' } });
    textNode(editor).insert(0, 'trois ');
    await editor.settled();
    expect(editor.rejected).toHaveLength(1);
    expect(editor.rejected[0]).toContain('SECTION_DONE');

    await t.db.prisma.tenderSection.update({ where: { id: section.id }, data: { status: 'DRAFT' } });
    // A new editor (the first one's document holds the refused 'trois ', which its next pushes build on).
    const again = new CollabClient(url, await t.tokenFor((members[0] as { id: string }).id), section.id);
    clients.push(again);
    await again.connect();
    statements.length = 0;
    textNode(again).insert(0, 'quatre ');
    await again.settled();
    expect(again.rejected).toEqual([]);
    // Read again: on PostgreSQL as always; on the embedded database because something was written since.
    expect(statements[0]).toBe('BEGIN');
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    expect(textOf(stored.getXmlFragment('body'))).toContain('quatre');
    expect(textOf(stored.getXmlFragment('body'))).not.toContain('trois');
  });

  it('refuses the next push on the same socket once the pusher’s membership ended, read in the storing transaction', async () => {
    const { members, section, collective } = await sectionScenario(t.db.prisma, { members: 2 });
    const [, member] = members as [unknown, { id: string }];
    const editor = new CollabClient(url, await t.tokenFor(member.id), section.id);
    clients.push(editor);
    await editor.connect();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('avant')]);
    editor.body.insert(0, [paragraph]);
    await editor.settled();
    expect(editor.rejected).toEqual([]);

    // Ended behind the server's back (no event): only a read in the push's own transaction can know.
    await t.db.prisma.membership.updateMany({
      where: { collectiveId: collective.id, memberId: member.id },
      data: { status: 'LEFT' },
    });
    textNode(editor).insert(0, 'après ');
    await editor.settled();
    expect(editor.rejected).toHaveLength(1);
    expect(editor.rejected[0]).toContain('NotFoundError');
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    expect(textOf(stored.getXmlFragment('body'))).toBe('avant');
  });
});
