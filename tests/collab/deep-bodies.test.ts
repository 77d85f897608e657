import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_BODY_DEPTH, toBlocks, toMarkdown } from '../../server/src/collab/content.js';
import { checkUpdate, deepSectionsRewritten, InvalidUpdateError } from '../../server/src/collab/documents.js';
import { MAX_ATTRIBUTE_DEPTH } from '../../server/src/collab/updates.js';
import { testAppForFile } from '../support/app.js';
import { nestedLists, nestingOf, pushOverHttp, sectionScenario } from '../support/collab.js';
import { gid } from '../support/scenario.js';

// ATTACK.md (second run) 5: one accepted push of lists nested 3,000 deep made the section's content, the response's
// exports and its versions fail for everyone (every reader recursed once per level and ran out of stack). Pushes
// are now refused past MAX_BODY_DEPTH levels; a body stored that deep before still reads, flattened past the bound.
const t = testAppForFile();
beforeAll(() => {
  // Word counts are recounted after pushes on a timer: not what these tests look at.
  t.app.documents.onStored = null;
});

const push = (token: string, sectionId: string, update: Uint8Array) => pushOverHttp(t, token, sectionId, update);

describe('Nesting in pushed updates', () => {
  it('refuses lists nested past the bound, whole and changing nothing, and accepts them up to it', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    // The attack's shape: 3,000 levels (6,000 elements deep), well under the size limit.
    const deep = Y.encodeStateAsUpdate(nestedLists(3_000, 'Tout au fond.'));
    expect(await push(token, section.id, deep)).toEqual({
      __typename: 'RuleViolationError',
      field: 'input.update',
      rule: 'MALFORMED_UPDATE',
      message: `Les listes et citations s’imbriquent sur ${MAX_BODY_DEPTH} niveaux au plus.`,
    });
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(0);

    // The deepest the bound allows: 49 lists (98 levels) and the paragraph at 99, its text at 100.
    const editor = nestedLists(49, 'Au fond permis.');
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    // One level further, built on the stored document: a quote's paragraph at level 100 is allowed, a list item
    // at 101 is not. Each item holds its (empty) paragraph, then its sub-list.
    let item = (editor.getXmlFragment('body').get(0) as Y.XmlElement).get(0) as Y.XmlElement;
    for (let level = 1; level < 49; level += 1) item = (item.get(1) as Y.XmlElement).get(0) as Y.XmlElement;
    // `item` is the 49th list's item, at level 98.
    let vector = Y.encodeStateVector(editor);
    const quote = new Y.XmlElement('blockquote');
    const quoted = new Y.XmlElement('paragraph');
    item.insert(item.length, [quote]);
    quote.insert(0, [quoted]);
    quoted.insert(0, [new Y.XmlText('Citée au fond.')]);
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor, vector))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    vector = Y.encodeStateVector(editor);
    const list = new Y.XmlElement('bulletList');
    const listItem = new Y.XmlElement('listItem');
    quote.insert(1, [list]);
    list.insert(0, [listItem]);
    listItem.insert(0, [new Y.XmlElement('paragraph')]);
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor, vector))).toMatchObject({
      rule: 'MALFORMED_UPDATE',
      message: `Les listes et citations s’imbriquent sur ${MAX_BODY_DEPTH} niveaux au plus.`,
    });
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(2);
    const content = await t.gql(
      'query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown words } } } }',
      { id: gid('TenderSection', section.id) },
      token,
    );
    expect(content.errors).toBeUndefined();
    expect(content.data?.node.content.markdown).toContain('Au fond permis.');
  });

  it('refuses attribute and formatting values nested past their bound', () => {
    const nested = (levels: number): unknown => {
      let value: unknown = 'x';
      for (let level = 0; level < levels; level += 1) value = { v: value };
      return value;
    };
    const heading = (value: unknown) => {
      const doc = new Y.Doc();
      const element = new Y.XmlElement('heading');
      doc.getXmlFragment('body').insert(0, [element]);
      element.setAttribute('level', value as string);
      return Y.encodeStateAsUpdate(doc);
    };
    const link = (value: unknown) => {
      const doc = new Y.Doc();
      const paragraph = new Y.XmlElement('paragraph');
      const text = new Y.XmlText();
      doc.getXmlFragment('body').insert(0, [paragraph]);
      paragraph.insert(0, [text]);
      text.insert(0, 'lien', { link: value });
      return Y.encodeStateAsUpdate(doc);
    };
    expect(() => checkUpdate(heading(2))).not.toThrow();
    expect(() => checkUpdate(link({ href: 'https://example.org' }))).not.toThrow();
    // A heading's level is a number the editor knows: any object there is refused, however shallow (the editor's
    // schema check), and one past the depth bound too.
    expect(() => checkUpdate(heading(nested(1)))).toThrow(InvalidUpdateError);
    expect(() => checkUpdate(heading(nested(MAX_ATTRIBUTE_DEPTH + 1)))).toThrow(InvalidUpdateError);
    expect(() => checkUpdate(link(nested(MAX_ATTRIBUTE_DEPTH + 1)))).toThrow(InvalidUpdateError);
    expect(() => checkUpdate(link([nested(1_000)]))).toThrow(InvalidUpdateError);
  });
});

describe('A body stored deeper than the bound (before it existed)', () => {
  it('reads, counts, exports, versions and records, flattened past the bound', async () => {
    const { members, section, response } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    // Written straight into the log, as the push of the attack was stored before the rule.
    await t.db.prisma.sectionUpdate.create({
      data: { sectionId: section.id, update: new Uint8Array(Y.encodeStateAsUpdate(nestedLists(3_000, 'Tout au fond.'))) },
    });

    const content = await t.gql(
      'query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown words characters contentHash } } } }',
      { id: gid('TenderSection', section.id) },
      token,
    );
    expect(content.errors).toBeUndefined();
    const { markdown, words } = content.data?.node.content ?? {};
    expect(markdown).toContain('Tout au fond.');
    expect(markdown).toContain('Après la liste.');
    expect(words).toBe(6);
    // The lists past the bound are gone, their text kept: 50 list markers at most (levels 1, 3, … 99).
    expect((markdown as string).match(/^\s*[-*] /gm)?.length).toBeLessThanOrEqual(MAX_BODY_DEPTH / 2);

    for (const format of ['MARKDOWN', 'DOCX']) {
      const exported = await t.gql(
        'query($id: ID!, $f: ExportFormat!) { exportTenderResponse(responseId: $id, format: $f) { base64 } }',
        { id: gid('TenderResponse', response.id), f: format },
        token,
      );
      expect(exported.errors, format).toBeUndefined();
      expect(exported.data?.exportTenderResponse.base64.length, format).toBeGreaterThan(0);
    }
    const download = await fetch(
      `${t.url}/exports/tender-response?id=${encodeURIComponent(gid('TenderResponse', response.id))}&format=docx`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(0);

    const saved = await t.gql(
      'mutation($i: SaveSectionVersionInput!) { saveSectionVersion(input: $i) { __typename ... on MutationSaveSectionVersionSuccess { data { id markdown contentHash } } } }',
      { i: { sectionId: gid('TenderSection', section.id), name: 'Profonde' } },
      token,
    );
    expect(saved.errors).toBeUndefined();
    expect(saved.data?.saveSectionVersion.data).toMatchObject({ markdown, contentHash: content.data?.node.content.contentHash });

    // The submission record hashes each section's Markdown from the stored state, as the export reads it.
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    expect(toMarkdown(stored.getXmlFragment('body'))).toBe(markdown);
  });

  it('flattens text blocks, quotes and inline nodes nested past the bound into paragraphs, in order', () => {
    const doc = new Y.Doc();
    const body = doc.getXmlFragment('body');
    doc.transact(() => {
      let parent: Y.XmlFragment | Y.XmlElement = body;
      for (let level = 0; level < 2_000; level += 1) {
        const quote = new Y.XmlElement(level % 2 === 0 ? 'blockquote' : 'someTable');
        parent.insert(parent.length, [quote]);
        if (level === 1_500) {
          const heading = new Y.XmlElement('heading');
          heading.insert(0, [new Y.XmlText('Titre profond')]);
          quote.insert(0, [heading]);
        }
        parent = quote;
      }
      // A paragraph holding inline nodes nested 5,000 deep.
      const paragraph = new Y.XmlElement('paragraph');
      parent.insert(0, [paragraph]);
      let inline: Y.XmlElement = paragraph;
      for (let level = 0; level < 5_000; level += 1) {
        const inner = new Y.XmlElement('mention');
        inline.insert(0, [inner]);
        inline = inner;
      }
      inline.insert(0, [new Y.XmlText('mot du fond')]);
      parent.insert(parent.length, [new Y.XmlText('texte nu')]);
    });
    const blocks = toBlocks(body);
    const depthOf = (list: ReturnType<typeof toBlocks>): number =>
      Math.max(0, ...list.map((block) => (block.type === 'blockquote' ? 1 + depthOf(block.content) : 0)));
    expect(depthOf(blocks)).toBeLessThanOrEqual(MAX_BODY_DEPTH);
    const markdown = toMarkdown(body);
    expect(markdown.indexOf('Titre profond')).toBeGreaterThan(-1);
    expect(markdown.indexOf('Titre profond')).toBeLessThan(markdown.indexOf('mot du fond'));
    expect(markdown.indexOf('mot du fond')).toBeLessThan(markdown.indexOf('texte nu'));
  });
});

/**
 * A co-author's deletion of the deep list of `nestedLists`, made by a client holding the stored document: deleted
 * from its deepest level up, a level per transaction, so that this test's own Yjs does not overflow making it.
 */
function deletionOfDeepList(stored: Uint8Array): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, stored);
  const before = Y.encodeStateVector(doc);
  const chain: Y.XmlElement[] = [];
  // Down each list's item and each item's last child (its sub-list, or the innermost paragraph).
  for (let node = doc.getXmlFragment('body').get(0); node instanceof Y.XmlElement; node = node.get(node.length - 1))
    chain.push(node);
  for (const element of chain.reverse()) doc.transact(() => element.delete(0, element.length));
  doc.transact(() => doc.getXmlFragment('body').delete(0, 1));
  return Y.encodeStateAsUpdate(doc, before);
}

describe('A body stored deeper than the bound, rewritten at load', () => {
  /** The attack's shape: deleting 3,000 levels at once overflows Yjs's recursion in Node's stack. */
  const LEVELS = 3_000;
  const CONTENT = 'query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }';

  it('takes a version restored onto it, keeps its text flattened, and stores none of the old nesting', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const deep = Y.encodeStateAsUpdate(nestedLists(LEVELS, 'Tout au fond.'));
    await t.db.prisma.sectionUpdate.create({ data: { sectionId: section.id, update: new Uint8Array(deep) } });
    const clean = new Y.Doc();
    clean.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')]);
    (clean.getXmlFragment('body').get(0) as Y.XmlElement).insert(0, [new Y.XmlText('Version propre.')]);
    const version = await t.db.prisma.sectionVersion.create({
      data: { sectionId: section.id, name: 'Propre', state: new Uint8Array(Y.encodeStateAsUpdate(clean)), contentHash: 'h' },
    });
    const rewrittenBefore = deepSectionsRewritten.count;

    // Read first: the load rewrites it, keeping every word.
    const read = await t.gql(CONTENT, { id: gid('TenderSection', section.id) }, token);
    expect(read.errors).toBeUndefined();
    expect(read.data?.node.content.markdown).toContain('Tout au fond.');
    expect(read.data?.node.content.markdown).toContain('Après la liste.');
    expect(deepSectionsRewritten.count).toBe(rewrittenBefore + 1);
    // What is stored now: one snapshot, no element past the bound, the same text.
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    expect(nestingOf(stored.getXmlFragment('body'))).toBeLessThanOrEqual(MAX_BODY_DEPTH);
    expect(toMarkdown(stored.getXmlFragment('body'))).toBe(read.data?.node.content.markdown);
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(0);

    const restored = await t.gql(
      'mutation($i: RestoreSectionVersionInput!) { restoreSectionVersion(input: $i) { __typename ... on MutationRestoreSectionVersionSuccess { data { content { markdown } } } } }',
      { i: { versionId: gid('SectionVersion', version.id) } },
      token,
    );
    expect(restored.errors).toBeUndefined();
    expect(restored.data?.restoreSectionVersion.data.content.markdown).toBe('Version propre.');
    // Loaded again from the database (nobody holds it): not rewritten twice.
    await t.app.documents.compact(section.id);
    expect((await t.gql(CONTENT, { id: gid('TenderSection', section.id) }, token)).data?.node.content.markdown).toBe(
      'Version propre.',
    );
    expect(deepSectionsRewritten.count).toBe(rewrittenBefore + 1);
  });

  it('takes a co-author’s deletion of the deep part and stays editable and exportable', async () => {
    const { members, section, response } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const deep = Y.encodeStateAsUpdate(nestedLists(LEVELS, 'Tout au fond.'));
    await t.db.prisma.sectionUpdate.create({ data: { sectionId: section.id, update: new Uint8Array(deep) } });

    // A co-author whose client held the stored document deletes the deep list: taken (the load rewrote it meanwhile,
    // so its flattened copy, which that client never saw, stays: nothing of the text is lost).
    expect(await push(token, section.id, deletionOfDeepList(deep))).toEqual({ __typename: 'MutationPushSectionUpdateSuccess' });
    const kept = await t.gql(CONTENT, { id: gid('TenderSection', section.id) }, token);
    expect(kept.errors).toBeUndefined();
    expect(kept.data?.node.content.markdown).toContain('Tout au fond.');
    // A co-author with the document as it is now deletes it: gone.
    const current = new Y.Doc();
    Y.applyUpdate(current, await t.app.documents.storedState(section.id));
    const before = Y.encodeStateVector(current);
    current.getXmlFragment('body').delete(0, 1);
    expect(await push(token, section.id, Y.encodeStateAsUpdate(current, before))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    const after = await t.gql(CONTENT, { id: gid('TenderSection', section.id) }, token);
    expect(after.errors).toBeUndefined();
    expect(after.data?.node.content.markdown).toBe('Après la liste.');

    // Still editable: a paragraph typed on the stored document is taken.
    const editor = new Y.Doc();
    Y.applyUpdate(editor, await t.app.documents.storedState(section.id));
    const vector = Y.encodeStateVector(editor);
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Écrit ensuite.')]);
    editor.getXmlFragment('body').insert(1, [paragraph]);
    expect(await push(token, section.id, Y.encodeStateAsUpdate(editor, vector))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    const exported = await t.gql(
      'query($id: ID!) { exportTenderResponse(responseId: $id, format: MARKDOWN) { base64 } }',
      { id: gid('TenderResponse', response.id) },
      token,
    );
    expect(exported.errors).toBeUndefined();
    const markdown = Buffer.from(exported.data?.exportTenderResponse.base64, 'base64').toString('utf8');
    expect(markdown).toContain('Après la liste.');
    expect(markdown).toContain('Écrit ensuite.');
    expect(markdown).not.toContain('Tout au fond.');
  });
});
