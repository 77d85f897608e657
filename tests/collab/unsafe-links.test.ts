import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { bodyOf, toMarkdown, writeBlocks } from '../../server/src/collab/content.js';
import { responseToDocx, responseToMarkdown } from '../../server/src/collab/export.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { pushOverHttp, sectionScenario } from '../support/collab.js';

// A `javascript:` link pushed in a section's text was stored, written into the Markdown and Word exports and
// rendered as a link by the editor: whoever followed it ran the attacker's script. Pushes holding a link to
// anything but http, https or mailto are now refused (MALFORMED_UPDATE), and a body stored before that rule is
// exported with such a link as plain text.
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  t.app.documents.onStored = null;
});
afterAll(async () => {
  await t.close();
});

/** Browsers read all of these as a script, a document of the link's choosing, or a local file. */
const UNSAFE = [
  'javascript:alert(document.cookie)',
  ' JavaScript:alert(1)',
  'java\tscript:alert(1)',
  '\u0001javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
];
const SAFE = ['https://exemple.fr/page', 'http://exemple.fr', 'mailto:contact@exemple.fr', '/chemin/relatif'];

/** A Yjs update of an editor that types `Cliquez ici` with a link mark to `href` (as y-prosemirror stores it). */
function linkUpdate(href: string): Uint8Array {
  const doc = new Y.Doc();
  const paragraph = new Y.XmlElement('paragraph');
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  bodyOf(doc).insert(0, [paragraph]);
  text.insert(0, 'Cliquez ici', { link: { href } });
  return Y.encodeStateAsUpdate(doc);
}

describe('Links pushed into a section', () => {
  it('should refuse a link to anything but http, https and mailto with MALFORMED_UPDATE, storing nothing', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    for (const href of UNSAFE) {
      expect(await pushOverHttp(t, token, section.id, linkUpdate(href)), JSON.stringify(href)).toEqual({
        __typename: 'RuleViolationError',
        field: 'input.update',
        rule: 'MALFORMED_UPDATE',
        message: 'Un lien mène à une adresse http, https ou mailto.',
      });
    }
    expect(await t.db.prisma.sectionUpdate.count({ where: { sectionId: section.id } })).toBe(0);
    for (const href of SAFE) {
      expect(await pushOverHttp(t, token, section.id, linkUpdate(href)), href).toEqual({
        __typename: 'MutationPushSectionUpdateSuccess',
      });
    }
  });

  it('should refuse a safe link turned unsafe by a later formatting change', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, linkUpdate('https://exemple.fr'));
    expect(await pushOverHttp(t, token, section.id, Y.encodeStateAsUpdate(doc))).toEqual({
      __typename: 'MutationPushSectionUpdateSuccess',
    });
    const vector = Y.encodeStateVector(doc);
    const text = (bodyOf(doc).get(0) as Y.XmlElement).get(0) as Y.XmlText;
    text.format(0, 7, { link: { href: 'javascript:alert(1)' } });
    expect(await pushOverHttp(t, token, section.id, Y.encodeStateAsUpdate(doc, vector))).toMatchObject({
      rule: 'MALFORMED_UPDATE',
    });
  });
});

describe('Links in exports', () => {
  // As a body stored before pushes were checked would hold them.
  const fragment = writeBlocks(bodyOf(new Y.Doc()), [
    {
      type: 'paragraph',
      content: [
        ...UNSAFE.map((href, index) => ({ type: 'text' as const, text: `piège${index} `, marks: { link: { href } } })),
        { type: 'text', text: 'exemple', marks: { link: { href: 'https://exemple.fr' } } },
      ],
    },
  ]);
  const response = { title: 'Réponse', sections: [{ position: 1, title: 'Présentation', body: fragment }] };

  it('should keep the text of an unsafe link, as plain text, in Markdown', () => {
    const markdown = responseToMarkdown(response);
    for (const scheme of ['javascript', 'data:', 'vbscript', 'file:']) expect(markdown.toLowerCase()).not.toContain(scheme);
    expect(markdown).toContain('piège0 piège1');
    expect(markdown).toContain('[exemple](https://exemple.fr)');
    expect(toMarkdown(fragment)).not.toMatch(/javascript/i);
  });

  it('should write no unsafe address anywhere in the Word file', async () => {
    const zip = await JSZip.loadAsync(await responseToDocx(response));
    const files = await Promise.all(Object.values(zip.files).map((file) => file.async('string')));
    const all = files.join('\n').toLowerCase();
    for (const scheme of ['javascript', 'vbscript', 'data:text', 'file:///']) expect(all).not.toContain(scheme);
    expect(all).toContain('https://exemple.fr');
  });
});
