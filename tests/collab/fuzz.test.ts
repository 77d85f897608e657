import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editorSchema } from '../../client/src/features/editor/editorSchema.js';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { setAsideCounter } from '../../server/src/collab/documents.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import type { Actor } from '../../server/src/domain/tenders.js';
import { RuleViolationError } from '../../server/src/errors.js';
import { CollabClient, sectionScenario } from '../support/collab.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { gid } from '../support/scenario.js';

// Issue 10 item 6, "never poisoned, never torn": thousands of mutated valid updates (bit flips, truncations,
// splices, concatenations) go through the storing path; each is refused (MALFORMED_UPDATE) or applied, and after a
// restart the section still loads (nothing set aside), syncs to a fresh editor and exports. Among them, edits
// the editor cannot show (a mark or a node attribute its schema does not know, a node where the schema does not
// place it, a list item not starting with a paragraph or an empty list or quote, which y-tiptap answers by
// deleting the whole text node or element for everyone) are always refused,
// and the web editor renders what is stored without deleting anything.

const RUNS = 2_000;

let db: TestDatabase;
let app: App | null = null;
/** The restarted server's URL (the second test reuses it). */
let url = '';
const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false, compactAfter: 300 };
beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildApp(config, { db });
  app.documents.holdMs = 50;
  url = await app.start();
});
afterAll(async () => {
  await app?.stop();
  await db?.dispose();
});

/** Valid updates of a section body, as an editor makes them: paragraphs, headings, lists, typing, deleting, formatting. */
function editorUpdates(count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const body = doc.getXmlFragment('body');
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  let seed = 11;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; updates.length < count; i += 1) {
    const texts = body
      .toArray()
      .flatMap((node) => (node instanceof Y.XmlElement ? node.toArray() : []))
      .filter((node): node is Y.XmlText => node instanceof Y.XmlText);
    const roll = next();
    if (texts.length === 0 || roll < 0.15) {
      const element = new Y.XmlElement(roll < 0.05 ? 'heading' : 'paragraph');
      if (roll < 0.05) element.setAttribute('level', 2 as never);
      element.insert(0, [new Y.XmlText(`Bloc ${i} `)]);
      body.insert(Math.floor(next() * (body.length + 1)), [element]);
      continue;
    }
    const text = texts[Math.floor(next() * texts.length)] as Y.XmlText;
    const at = Math.floor(next() * (text.length + 1));
    if (roll < 0.7) text.insert(at, ['offre ', 'é', 'mot ', ' '][Math.floor(next() * 4)] as string);
    else if (roll < 0.85 && text.length > 1) text.delete(Math.min(at, text.length - 1), 1);
    else if (text.length > 1) text.format(0, Math.min(3, text.length), { bold: {} });
  }
  return updates;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const paragraphOf = (words: string) => {
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(words)]);
  return paragraph;
};

/**
 * Edits on top of `history` that the web editor cannot show: unknown marks, attributes and attribute shapes,
 * nodes where its schema does not place them, list items not starting with a paragraph and empty lists or quotes
 * (y-tiptap deletes the element holding them, with its text).
 */
function unknownToEditor(history: readonly Uint8Array[]): Uint8Array[] {
  const edits: Array<(text: Y.XmlText, block: Y.XmlElement, body: Y.XmlFragment) => void> = [
    (_text, block) => block.insert(block.length, [paragraphOf('Paragraphe dans un paragraphe.')]),
    (_text, _block, body) => {
      const code = new Y.XmlElement('codeBlock');
      code.insert(0, [new Y.XmlText('const x = 1;'), paragraphOf('Paragraphe dans du code.')]);
      body.insert(0, [code]);
    },
    (_text, _block, body) => {
      const code = new Y.XmlElement('codeBlock');
      const text = new Y.XmlText('const x = 1;');
      code.insert(0, [text]);
      body.insert(0, [code]);
      text.format(0, 5, { bold: {} });
    },
    (_text, _block, body) => {
      const item = new Y.XmlElement('listItem');
      item.insert(0, [paragraphOf('Point hors liste.')]);
      body.insert(0, [item]);
    },
    (_text, _block, body) => {
      const list = new Y.XmlElement('bulletList');
      list.insert(0, [new Y.XmlText('Texte dans la liste.')]);
      body.insert(0, [list]);
    },
    // Out of order or empty (StarterKit's listItem `paragraph block*`, lists `listItem+`, blockquote `block+`):
    // y-tiptap deletes such a node with its text.
    (_text, _block, body) => {
      const inner = new Y.XmlElement('bulletList');
      const innerItem = new Y.XmlElement('listItem');
      innerItem.insert(0, [paragraphOf('Sous-point sans point.')]);
      inner.insert(0, [innerItem]);
      const item = new Y.XmlElement('listItem');
      item.insert(0, [inner]);
      const list = new Y.XmlElement('bulletList');
      list.insert(0, [item]);
      body.insert(0, [list]);
    },
    (_text, _block, body) => {
      // A sound list whose item then loses its paragraph, its sub-list kept (in the same update).
      const inner = new Y.XmlElement('orderedList');
      const innerItem = new Y.XmlElement('listItem');
      innerItem.insert(0, [paragraphOf('Sous-point.')]);
      inner.insert(0, [innerItem]);
      const item = new Y.XmlElement('listItem');
      item.insert(0, [paragraphOf('Point.'), inner]);
      const list = new Y.XmlElement('bulletList');
      list.insert(0, [item]);
      body.insert(0, [list]);
      item.delete(0, 1);
    },
    (_text, _block, body) => body.insert(0, [new Y.XmlElement('orderedList')]),
    (_text, _block, body) => body.insert(0, [new Y.XmlElement('blockquote')]),
    (_text, _block, body) => {
      const list = new Y.XmlElement('bulletList');
      list.insert(0, [new Y.XmlElement('listItem')]);
      body.insert(0, [list]);
    },
    (text) => text.format(0, 1, { surligne: true }),
    (text) => text.format(0, 1, { 'couleur--abcdefgh': { valeur: 'rouge' } }),
    (text) => text.format(0, 1, { bold: { poids: 900 } }),
    (text) => text.format(0, 1, { link: { href: 'https://a.fr', cible: 'x' } }),
    (_text, block) => block.setAttribute('style', 'display:none'),
    (_text, block) => block.setAttribute('level', 42 as never),
  ];
  return edits.map((edit) => {
    const doc = new Y.Doc();
    for (const update of history) Y.applyUpdate(doc, update);
    const before = Y.encodeStateVector(doc);
    const block = doc
      .getXmlFragment('body')
      .toArray()
      .find((node) => node instanceof Y.XmlElement && (node.get(0) as Y.XmlText | undefined)?.length) as Y.XmlElement;
    edit(block.get(0) as Y.XmlText, block, doc.getXmlFragment('body'));
    const update = Y.encodeStateAsUpdate(doc, before);
    expect(update.byteLength).toBeGreaterThan(2);
    return update;
  });
}

describe('Never poisoned', () => {
  it('should refuse or apply each of thousands of mutated updates, and load, sync and export the section after a restart', async () => {
    if (!app) throw new Error('No server');
    const { members, collective, response, section } = await sectionScenario(db.prisma, { members: 1 });
    const member = members[0] as Actor['member'];
    const pusher = {
      actor: { member, isSupportStaff: false, insiderOf: new Set([collective.id]) },
      authorId: member.id,
      connectionId: null,
      sessionId: null,
    };
    const valid = editorUpdates(120);
    // The section starts with a real editor's text: mutations then refer to structs that exist.
    for (const update of valid.slice(0, 60)) await app.documents.push(section.id, update, pusher);
    const setAsideBefore = setAsideCounter.count;

    const anyValid = fc.constantFrom(...valid);
    const hostile = unknownToEditor(valid.slice(0, 60));
    const mutated = fc.oneof(
      fc.constantFrom(...hostile),
      fc.record({ update: anyValid, index: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ update, index, bit }) => {
        const copy = new Uint8Array(update);
        copy[index % copy.length] = (copy[index % copy.length] as number) ^ (1 << bit);
        return copy;
      }),
      fc.record({ update: anyValid, length: fc.nat() }).map(({ update, length }) => update.slice(0, length % update.length)),
      fc
        .record({ update: anyValid, at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), cut: fc.nat(8) })
        .map(({ update, at, bytes, cut }) => {
          const i = at % (update.length + 1);
          return concat(update.slice(0, i), bytes, update.slice(Math.min(update.length, i + cut)));
        }),
      fc.tuple(anyValid, anyValid).map(([a, b]) => concat(a, b)),
    );

    let applied = 0;
    let refused = 0;
    let hostileRefused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutated, { minLength: 20, maxLength: 20 }), async (batch) => {
        // Twenty at once: they are group-committed together, refused ones among accepted ones.
        const outcomes = await Promise.allSettled(batch.map((update) => app?.documents.push(section.id, update, pusher)));
        for (const [index, outcome] of outcomes.entries()) {
          // Refused, unless mutations applied before deleted the text it formats (then nothing shows it).
          if (hostile.includes(batch[index] as Uint8Array) && outcome.status === 'rejected') hostileRefused += 1;
          if (outcome.status === 'fulfilled') applied += 1;
          else {
            expect(outcome.reason).toBeInstanceOf(RuleViolationError);
            expect((outcome.reason as RuleViolationError).rule).toBe('MALFORMED_UPDATE');
            refused += 1;
          }
        }
      }),
      { numRuns: RUNS / 20, seed: 20261129 },
    );
    expect(applied + refused).toBe(RUNS);
    expect(hostileRefused).toBeGreaterThan(0);
    process.stdout.write(
      `Fuzz: ${RUNS} mutated updates, ${applied} applied, ${refused} refused (${hostileRefused} unknown to the editor)\n`,
    );
    // The rest of the editor's history still applies on top of whatever was accepted.
    for (const update of valid.slice(60)) await app.documents.push(section.id, update, pusher);
    await app.documents.compact(section.id);

    // Restart: a new server on the same database loads the section from what was stored.
    await app.stop();
    app = await buildApp(config, { db });
    url = await app.start();
    const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
    const editor = new CollabClient(url, token, section.id);
    await editor.connect();
    expect(setAsideCounter.count).toBe(setAsideBefore);
    const reference = new Y.Doc();
    for (const update of valid) Y.applyUpdate(reference, update);
    // Every valid edit is there (mutations may have added text, never removed the editor's structs).
    expect(Y.encodeStateVector(editor.doc).length).toBeGreaterThan(0);
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(reference)))
      expect(Y.decodeStateVector(Y.encodeStateVector(editor.doc)).get(client) ?? 0).toBeGreaterThanOrEqual(clock);
    // It still syncs: an edit goes through and is acknowledged.
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Après le redémarrage.')]);
    editor.body.insert(0, [paragraph]);
    await editor.settled();
    expect(editor.rejected).toEqual([]);
    // The web editor shows all of it: y-tiptap builds every node and mark it holds, deleting none of them (it
    // deletes what it cannot build, for everyone).
    const shown = editor.body.toString();
    yXmlFragmentToProseMirrorRootNode(editor.body, editorSchema());
    expect(editor.body.toString()).toBe(shown);
    await editor.disconnect();
    // And it exports.
    const exported = await app.fetch(
      new Request('http://collectifs.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'query($id: ID!) { exportTenderResponse(responseId: $id, format: MARKDOWN) { base64 } }',
          variables: { id: gid('TenderResponse', response.id) },
        }),
      }),
    );
    const result = (await exported.json()) as { data?: { exportTenderResponse: { base64: string } } };
    expect(Buffer.from(result.data?.exportTenderResponse.base64 ?? '', 'base64').toString('utf8')).toContain(
      'Après le redémarrage.',
    );
  }, 600_000);

  it('should set aside a stored update that cannot be applied (kept, counted), never making the section unreadable', async () => {
    const current = app as App;
    const { members, section } = await sectionScenario(db.prisma, { members: 1 });
    const member = members[0] as { id: string };
    const good = new Y.Doc();
    const paragraph = new Y.XmlElement('paragraph');
    good.getXmlFragment('body').insert(0, [paragraph]);
    paragraph.insert(0, [new Y.XmlText('Texte sain.')]);
    const foreign = new Y.Doc();
    foreign.getMap('secrets').set('x', 1);
    // Written behind the server's back (an older version, a bug): one that does not decode, one off the shape.
    await db.prisma.sectionUpdate.createMany({
      data: [
        { sectionId: section.id, update: new Uint8Array(Y.encodeStateAsUpdate(good)) },
        { sectionId: section.id, update: new Uint8Array([1, 2, 3, 250, 251]) },
        { sectionId: section.id, update: new Uint8Array(Y.encodeStateAsUpdate(foreign)) },
      ],
    });
    const before = setAsideCounter.count;
    const editor = new CollabClient(url, (await openSession(db.prisma, member.id, 3_600_000)).token, section.id);
    await editor.connect();
    expect(editor.body.toString()).toContain('Texte sain.');
    expect(setAsideCounter.count - before).toBe(2);
    await current.documents.compact(section.id);
    // Kept for inspection: the two rows stay in the log, the sound one is folded.
    expect(await db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(2);
    await editor.disconnect();
  });
});
