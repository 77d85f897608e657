import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkUpdate, InvalidUpdateError } from '../../server/src/collab/documents.js';
import { testAppForFile } from '../support/app.js';
import { pushOverHttp, sectionScenario, textOf } from '../support/collab.js';
import { subscribe } from '../support/live.js';
import { gid } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack findings on co-editing (ATTACK.md 2, 7): one large push used to stall the server (judging it scanned a
// list per lookup: quadratic in its structs); it must be judged and applied whole. Yjs bytes a client sends
// that do not decode are its mistake (BAD_USER_INPUT, MALFORMED_UPDATE), never the server's.
const t = testAppForFile();
beforeAll(() => {
  // Word counts are recounted after pushes on a timer: not what these tests look at.
  t.app.documents.onStored = null;
});

const push = (token: string, sectionId: string, update: Uint8Array) => pushOverHttp(t, token, sectionId, update);

describe('Large and crafted updates', () => {
  it('stores and applies one push of 9,000 paragraphs whole', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const editor = new Y.Doc();
    const body = editor.getXmlFragment('body');
    editor.transact(() => {
      for (let i = 0; i < 9_000; i += 1) {
        const paragraph = new Y.XmlElement(i % 100 === 0 ? 'heading' : 'paragraph');
        paragraph.insert(0, [new Y.XmlText(`Paragraphe ${i}.`)]);
        body.insert(body.length, [paragraph]);
      }
    });
    const update = Y.encodeStateAsUpdate(editor);
    expect(update.byteLength).toBeGreaterThan(200_000);

    expect(await push(token, section.id, update)).toEqual({ __typename: 'MutationPushSectionUpdateSuccess' });

    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    expect(stored.getXmlFragment('body').length).toBe(9_000);
    expect(stored.getXmlFragment('body').toString()).toBe(body.toString());
    expect(textOf(stored.getXmlFragment('body')).split('\n').at(-1)).toBe('Paragraphe 8999.');
    // A later push builds on it (its structs are found in the document).
    const before = Y.encodeStateVector(editor);
    ((body.get(8_999) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'Fin : ');
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor, before))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    const again = new Y.Doc();
    Y.applyUpdate(again, await t.app.documents.storedState(section.id));
    expect(textOf(again.getXmlFragment('body')).split('\n').at(-1)).toBe('Fin : Paragraphe 8999.');
  });

  it('refuses a paragraph inside a paragraph (the editor would delete both), storing nothing', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const editor = new Y.Doc();
    const outer = new Y.XmlElement('paragraph');
    outer.insert(0, [new Y.XmlText('Notre offre. ')]);
    editor.getXmlFragment('body').insert(0, [outer]);
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    const before = Y.encodeStateVector(editor);
    const inner = new Y.XmlElement('paragraph');
    inner.insert(0, [new Y.XmlText('Dedans.')]);
    outer.insert(1, [inner]);
    const stored = await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } });

    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor, before))).toMatchObject({
      __typename: 'RuleViolationError',
      field: 'input.update',
      rule: 'MALFORMED_UPDATE',
    });
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(stored);
    const after = new Y.Doc();
    Y.applyUpdate(after, await t.app.documents.storedState(section.id));
    expect(after.getXmlFragment('body').toString()).toBe('<paragraph>Notre offre. </paragraph>');
  });

  it('refuses an update listing one client twice (Yjs would apply only the second list)', async () => {
    const doc = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('deux fois')]);
    doc.getXmlFragment('body').insert(0, [paragraph]);
    const update = Y.encodeStateAsUpdate(doc);
    // One client, no deletion: [1 client] [its structs] [0 deletions]. Listed twice: [2] [structs] [structs] [0].
    expect([update[0], update.at(-1)]).toEqual([1, 0]);
    const structs = update.subarray(1, -1);
    const twice = new Uint8Array([2, ...structs, ...structs, 0]);
    expect(() => checkUpdate(update)).not.toThrow();
    expect(() => checkUpdate(twice)).toThrow(InvalidUpdateError);

    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    expect(await push(token, section.id, twice)).toMatchObject({ field: 'input.update', rule: 'MALFORMED_UPDATE' });
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(0);
  });

  it('refuses a sync state vector that does not decode as one, as it refuses one that is not base64', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const client = t.ws(token);
    const sync = (stateVector: string) =>
      subscribe(client, 'subscription($s: ID!, $v: String) { sectionSync(sectionId: $s, stateVector: $v) { kind } }', {
        s: gid('TenderSection', section.id),
        v: stateVector,
      });
    try {
      const garbage = [
        '***', // not base64 (refused before)
        '////', // base64 of 0xff 0xff 0xff: lib0 "Unexpected end of array"
        Buffer.from(new Uint8Array(1_000_000).fill(0x81)).toString('base64'), // lib0 "Integer out of Range"
      ];
      for (const stateVector of garbage) {
        const { inbox, stop } = sync(stateVector);
        await inbox.waitForEnd();
        stop();
        expect(inbox.received).toEqual([]);
        const [error] = inbox.errors.flat() as Array<{ message: string; extensions?: Record<string, unknown> }>;
        expect(error?.extensions, stateVector.slice(0, 8)).toMatchObject({
          code: 'BAD_USER_INPUT',
          rule: 'MALFORMED_UPDATE',
          field: 'stateVector',
        });
      }
      // A real state vector still syncs.
      const { inbox, stop } = sync(Buffer.from(Y.encodeStateVector(new Y.Doc())).toString('base64'));
      expect(await inbox.waitFor(1)).toEqual([{ sectionSync: { kind: 'SYNC' } }]);
      stop();
    } finally {
      await client.dispose();
    }
  });
});

// ATTACK.md 8: a document loaded only to be read (an export, the content, a version saved or restored) used to stay
// loaded for good; it is unloaded once read when no editor has it open, and kept while one does.
describe('Documents loaded by readers', () => {
  it('are unloaded after an export, a content read, and a version saved and restored', async () => {
    const { members, section, response } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const editor = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Lu puis déchargé.')]);
    editor.getXmlFragment('body').insert(0, [paragraph]);
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    const documents = t.app.documents;
    // Only this section counts (an earlier test's section may still be unloading): its writer unloads it just after
    // the push is acknowledged.
    const open = () => documents.isOpen(section.id);
    await until(() => !open(), 'the pushed section to be unloaded');

    for (const format of ['MARKDOWN', 'DOCX']) {
      const exported = await t.gql(
        'query($id: ID!, $f: ExportFormat!) { exportTenderResponse(responseId: $id, format: $f) { base64 } }',
        { id: gid('TenderResponse', response.id), f: format },
        token,
      );
      expect(exported.errors).toBeUndefined();
      expect(open(), format).toBe(false);
    }
    const content = await t.gql(
      'query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown words } } } }',
      { id: gid('TenderSection', section.id) },
      token,
    );
    expect(content.data?.node.content.markdown).toContain('Lu puis déchargé.');
    expect(open()).toBe(false);
    const saved = await t.gql(
      'mutation($i: SaveSectionVersionInput!) { saveSectionVersion(input: $i) { __typename ... on MutationSaveSectionVersionSuccess { data { id } } } }',
      { i: { sectionId: gid('TenderSection', section.id), name: 'Avant' } },
      token,
    );
    const versionId = saved.data?.saveSectionVersion.data?.id;
    expect(versionId, JSON.stringify(saved)).toBeTruthy();
    expect(open()).toBe(false);
    const restored = await t.gql(
      'mutation($i: RestoreSectionVersionInput!) { restoreSectionVersion(input: $i) { __typename } }',
      { i: { versionId } },
      token,
    );
    expect(restored.data?.restoreSectionVersion.__typename, JSON.stringify(restored)).toBe(
      'MutationRestoreSectionVersionSuccess',
    );
    expect(open()).toBe(false);

    // While an editor has it open, a read leaves it loaded; it goes when the editor leaves.
    const listening = await documents.listen(section.id, () => {});
    expect(open()).toBe(true);
    await documents.read(section.id, (doc) => doc.getXmlFragment('body').length);
    expect(open()).toBe(true);
    const loan = await documents.borrow(section.id);
    listening.close();
    expect(open()).toBe(true);
    loan.release();
    loan.release();
    expect(open()).toBe(false);
  });
});
