import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editorSchema } from '../../client/src/features/editor/editorSchema.js';
import { testAppForFile } from '../support/app.js';
import { pushOverHttp, sectionScenario } from '../support/collab.js';

// Attack on issue 10 (session 7): an update may re-send the ID of a struct the section already stores, with other
// content and another place. Yjs keeps the stored struct and skips the copy, so what builds on that ID lands beside
// the stored one, while the judge placed it beside the copy: a heading was stored first in a list item, text
// straight in the body, a paragraph inside another. Each body below renders in y-tiptap with a deletion, or not at
// all, if stored. Now the copies are cut before judging (`judgePush`), and what is stored and relayed is what Yjs
// applies.

const t = testAppForFile();
const schema = editorSchema();
const OK = { __typename: 'MutationPushSectionUpdateSuccess' };

/** The section's stored body before and after y-tiptap builds it (equal when nothing is deleted), and its text. */
async function rendered(sectionId: string) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await t.app.documents.storedState(sectionId));
  const body = doc.getXmlFragment('body');
  const before = body.toString();
  const text = yXmlFragmentToProseMirrorRootNode(body, schema).textContent;
  return { before, after: body.toString(), text };
}

/** A section holding what `build` writes (as clients `ids`, in turn) and a token of one of its writers. */
async function stored(build: (doc: Y.Doc) => void) {
  const { members, section } = await sectionScenario(t.db.prisma);
  const token = await t.tokenFor((members[0] as { id: string }).id);
  const doc = new Y.Doc();
  build(doc);
  expect(await pushOverHttp(t, token, section.id, Y.encodeStateAsUpdate(doc))).toEqual(OK);
  return { sectionId: section.id, token, doc };
}

/** Pushes `attack` to `s`'s section: refused as malformed, and the stored body still renders without a deletion. */
async function refusedUnchanged(s: { sectionId: string; token: string }, attack: Y.Doc) {
  const result = await pushOverHttp(t, s.token, s.sectionId, Y.encodeStateAsUpdate(attack));
  expect(result).toMatchObject({ __typename: 'RuleViolationError', rule: 'MALFORMED_UPDATE' });
  const body = await rendered(s.sectionId);
  expect(body.after).toBe(body.before);
  return body;
}

function paragraph(text: string): Y.XmlElement {
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText(text)]);
  return p;
}

describe('Structs re-sent under a stored ID', () => {
  it('should refuse a heading placed before a stored list item’s paragraph through a copy of that paragraph', async () => {
    const s = await stored((doc) => {
      doc.clientID = 7000;
      const list = new Y.XmlElement('bulletList');
      doc.getXmlFragment('body').insert(0, [list]);
      const item = new Y.XmlElement('listItem');
      list.insert(0, [item]);
      doc.clientID = 7001;
      item.insert(0, [paragraph('Prix confidentiel : 12 000 €')]);
    });
    const attack = new Y.Doc();
    attack.clientID = 7001; // the stored paragraph's ID, as a paragraph "in the body"
    attack.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')]);
    attack.clientID = 8000;
    attack.getXmlFragment('body').insert(0, [new Y.XmlElement('heading')]); // right origin: 7001:0
    const body = await refusedUnchanged(s, attack);
    expect(body.text).toBe('Prix confidentiel : 12 000 €');
  });

  it('should refuse text that lands in the body beside a stored paragraph whose copy is inside another', async () => {
    const s = await stored((doc) => {
      doc.clientID = 1000;
      doc.getXmlFragment('body').insert(0, [paragraph('Texte de Alice.')]);
    });
    const attack = new Y.Doc();
    attack.clientID = 2000;
    const fresh = new Y.XmlElement('paragraph');
    attack.getXmlFragment('body').insert(0, [fresh]);
    attack.clientID = 1000; // 1000:0 again, now a hard break inside the new paragraph
    fresh.insert(0, [new Y.XmlElement('hardBreak')]);
    attack.clientID = 2000;
    fresh.insert(1, [new Y.XmlText('POISON')]); // origin 1000:0: Yjs puts it in the body
    const body = await refusedUnchanged(s, attack);
    expect(body.text).toBe('Texte de Alice.');
  });

  it('should refuse a quote left empty because its only child is a copy of a stored paragraph', async () => {
    const s = await stored((doc) => {
      doc.clientID = 5000;
      doc.getXmlFragment('body').insert(0, [paragraph('Texte de Alice.')]);
    });
    const attack = new Y.Doc();
    attack.clientID = 6000;
    const quote = new Y.XmlElement('blockquote');
    attack.getXmlFragment('body').insert(0, [quote]);
    attack.clientID = 5000;
    quote.insert(0, [new Y.XmlElement('paragraph')]);
    await refusedUnchanged(s, attack);
  });

  it('should store an honest re-send of a stored push merged with what was typed since, keeping only what is new', async () => {
    const s = await stored((doc) => {
      doc.clientID = 9000;
      doc.getXmlFragment('body').insert(0, [paragraph('Bonjour')]);
    });
    // The author's push was stored but its acknowledgement lost: it sends it again with what it typed since.
    const first = Y.encodeStateAsUpdate(s.doc);
    const known = Y.getState(s.doc.store, 9000);
    const text = (s.doc.getXmlFragment('body').get(0) as Y.XmlElement).get(0) as Y.XmlText;
    text.insert(text.length, ' à tous');
    const resend = Y.mergeUpdates([first, Y.encodeStateAsUpdate(s.doc, Y.encodeStateVector(new Y.Doc()))]);
    expect(await pushOverHttp(t, s.token, s.sectionId, resend)).toEqual(OK);
    const body = await rendered(s.sectionId);
    expect(body.text).toBe('Bonjour à tous');
    expect(body.after).toBe(body.before);
    // The row stored (and relayed to co-authors) holds only the new clocks: a co-author who missed the first push
    // cannot integrate a copy in its place.
    const row = await t.db.prisma.sectionUpdate.findFirstOrThrow({ where: { sectionId: s.sectionId }, orderBy: { id: 'desc' } });
    const structs = Y.decodeUpdate(new Uint8Array(row.update)).structs;
    expect(structs.length).toBeGreaterThan(0);
    for (const struct of structs) expect(struct.id.clock).toBeGreaterThanOrEqual(known);
  });
});
