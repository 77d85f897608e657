import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  type Block,
  bodyOf,
  contentHash,
  countCharacters,
  countWords,
  type Inline,
  type Marks,
  SECTION_FRAGMENT,
  textFigures,
  toBlocks,
  toMarkdown,
  toPlainText,
  writeBlocks,
} from '../../server/src/collab/content.js';

// Section bodies as y-prosemirror stores a Tiptap (StarterKit) document: built with writeBlocks, or by hand
// with Y.XmlElement and Y.XmlText the way the editor binding does it. No database.

const text = (value: string, marks?: Marks): Inline =>
  marks ? { type: 'text', text: value, marks } : { type: 'text', text: value };
const p = (...content: Inline[]): Block => ({ type: 'paragraph', content });
const item = (...content: Block[]) => ({ content });

/** A fresh section body holding `blocks`. */
function body(blocks: Block[]): Y.XmlFragment {
  return writeBlocks(bodyOf(new Y.Doc()), blocks);
}

/** Appends an element to `parent` and returns it, integrated, so its children can be added in place. */
function element(parent: Y.XmlFragment, name: string, attributes: Record<string, string | number> = {}): Y.XmlElement {
  const node = new Y.XmlElement<Record<string, string | number>>(name);
  parent.insert(parent.length, [node as Y.XmlElement]);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node as Y.XmlElement;
}

// Y.XmlElement#toString lowercases node names, which ProseMirror's are not: print the tree by hand.
function shape(node: Y.XmlFragment): string {
  return node
    .toArray()
    .map((child) => {
      if (!(child instanceof Y.XmlElement)) return child.toString();
      const attributes = child.getAttributes();
      const inner = child.length > 0 ? `(${shape(child)})` : '';
      return `${child.nodeName}${Object.keys(attributes).length > 0 ? JSON.stringify(attributes) : ''}${inner}`;
    })
    .join(' ');
}

function xmlText(parent: Y.XmlFragment): Y.XmlText {
  const node = new Y.XmlText();
  parent.insert(parent.length, [node]);
  return node;
}

const RICH: Block[] = [
  { type: 'heading', level: 1, content: [text('Mémoire technique')] },
  p(text('Notre coopérative propose une '), text('offre', { bold: true }), text(' complète.')),
  { type: 'heading', level: 2, content: [text('Moyens humains')] },
  {
    type: 'bulletList',
    items: [
      item(p(text('Une équipe de '), text('douze', { italic: true }), text(' entrepreneurs'))),
      item(p(text('Des outils partagés')), {
        type: 'orderedList',
        items: [item(p(text('Planification'))), item(p(text('Suivi')))],
      }),
    ],
  },
  {
    type: 'orderedList',
    start: 3,
    listType: 'i',
    items: [item(p(text('Troisième point'))), item(p(text('Quatrième'), { type: 'hardBreak' }, text('sur deux lignes')))],
  },
  { type: 'blockquote', content: [p(text('Une citation du '), text('CCTP', { code: true }))] },
  { type: 'codeBlock', language: 'ts', text: 'const a = 1;\nconst b = 2;' },
  { type: 'horizontalRule' },
  p(
    text('Voir '),
    text('le site', { link: { href: 'https://exemple.fr/offre' } }),
    text(', '),
    text('barré', { strike: true }),
    text(' et '),
    text('souligné', { underline: true }),
    text('.'),
  ),
];

describe('Section body', () => {
  it('should keep the body in the fragment named "body"', () => {
    const doc = new Y.Doc();
    expect(SECTION_FRAGMENT).toBe('body');
    expect(bodyOf(doc)).toBe(doc.getXmlFragment('body'));
  });
});

describe('Blocks', () => {
  it('should read back exactly the tree writeBlocks wrote', () => {
    expect(toBlocks(body(RICH))).toStrictEqual(RICH);
  });

  it('should write the shape y-prosemirror gives a Tiptap document', () => {
    const fragment = body([
      { type: 'heading', level: 2, content: [text('Titre')] },
      { type: 'orderedList', items: [item(p(text('a'), { type: 'hardBreak' }, text('b')))] },
    ]);
    expect(shape(fragment)).toBe('heading{"level":2}(Titre) orderedList{"start":1}(listItem(paragraph(a hardBreak b)))');
  });

  it('should keep an ordered list’s HTML type (letters, roman numerals) and leave out one no export renders', () => {
    const doc = new Y.Doc();
    const fragment = bodyOf(doc);
    for (const type of ['A', 'disc', '1'])
      xmlText(element(element(element(fragment, 'orderedList', { start: 1, type }), 'listItem'), 'paragraph')).insert(0, type);
    expect(toBlocks(fragment)).toStrictEqual([
      { type: 'orderedList', listType: 'A', items: [item(p(text('A')))] },
      { type: 'orderedList', items: [item(p(text('disc')))] },
      { type: 'orderedList', items: [item(p(text('1')))] },
    ]);
    expect(shape(body([{ type: 'orderedList', listType: 'i', items: [item(p(text('x')))] }]))).toBe(
      'orderedList{"start":1,"type":"i"}(listItem(paragraph(x)))',
    );
  });

  it('should read a document built by hand, marks stored as {} or true and levels as strings', () => {
    const doc = new Y.Doc();
    const fragment = bodyOf(doc);
    xmlText(element(fragment, 'heading', { level: '3' })).insert(0, 'Références');
    const paragraph = element(fragment, 'paragraph');
    const run = xmlText(paragraph);
    run.insert(0, 'Déjà ');
    run.insert(5, 'trois', { bold: {} });
    run.insert(10, ' marchés ', {});
    run.insert(19, 'publics', { italic: true, link: { href: 'https://boamp.fr' } });
    element(paragraph, 'hardBreak');
    xmlText(paragraph).insert(0, 'depuis 2021.');
    const list = element(fragment, 'bulletList');
    xmlText(element(element(list, 'listItem'), 'paragraph')).insert(0, 'Lot 1');

    expect(toBlocks(fragment)).toStrictEqual([
      { type: 'heading', level: 3, content: [text('Références')] },
      p(
        text('Déjà '),
        text('trois', { bold: true }),
        text(' marchés '),
        text('publics', { italic: true, link: { href: 'https://boamp.fr' } }),
        { type: 'hardBreak' },
        text('depuis 2021.'),
      ),
      { type: 'bulletList', items: [item(p(text('Lot 1')))] },
    ]);
  });

  it('should see formatting applied after typing, and merge runs that end up alike', () => {
    const fragment = body([p(text('un deux trois'))]);
    const run = (fragment.get(0) as Y.XmlElement).get(0) as Y.XmlText;
    run.format(3, 4, { bold: {} });
    expect(toBlocks(fragment)).toStrictEqual([p(text('un '), text('deux', { bold: true }), text(' trois'))]);
    run.format(0, 13, { bold: null });
    expect(toBlocks(fragment)).toStrictEqual([p(text('un deux trois'))]);
  });

  it('should clamp heading levels and keep the text of nodes StarterKit does not have', () => {
    const fragment = bodyOf(new Y.Doc());
    xmlText(element(fragment, 'heading', { level: 9 })).insert(0, 'Trop profond');
    xmlText(element(element(fragment, 'taskList'), 'paragraph')).insert(0, 'Tâche');
    expect(toBlocks(fragment)).toStrictEqual([{ type: 'heading', level: 6, content: [text('Trop profond')] }, p(text('Tâche'))]);
  });
});

describe('Plain text', () => {
  it('should put every block and list item on a line of its own, with no list markers', () => {
    expect(toPlainText(body(RICH))).toBe(
      [
        'Mémoire technique',
        'Notre coopérative propose une offre complète.',
        'Moyens humains',
        'Une équipe de douze entrepreneurs',
        'Des outils partagés',
        'Planification',
        'Suivi',
        'Troisième point',
        'Quatrième',
        'sur deux lignes',
        'Une citation du CCTP',
        'const a = 1;',
        'const b = 2;',
        'Voir le site, barré et souligné.',
      ].join('\n'),
    );
  });

  it('should give an empty string for an empty body', () => {
    expect(toPlainText(bodyOf(new Y.Doc()))).toBe('');
    expect(textFigures(bodyOf(new Y.Doc()))).toEqual({ words: 0, characters: 0 });
  });
});

describe('Word count', () => {
  it('should count elisions and hyphenated compounds as one word', () => {
    expect(countWords("L'offre répond au mémoire-technique")).toBe(4);
    expect(countWords('aujourd’hui, c’est-à-dire jusqu’au 31 mars')).toBe(5);
    expect(countWords('sous‑traitance')).toBe(1); // non-breaking hyphen
  });

  it('should count decimal numbers as one word and leave symbols out', () => {
    expect(countWords('un taux de 12,5 % et 3.75 €')).toBe(6);
    expect(countWords('% € — « » ; : ! ?')).toBe(0);
    expect(countWords('2024-2025 : 1er lot')).toBe(3);
  });

  it('should split words at non-breaking spaces, French punctuation spacing included', () => {
    expect(countWords('Prix\u00A0: 10\u00A0000\u00A0€')).toBe(3);
    expect(countWords('Pourquoi\u202F? Parce\u00A0que')).toBe(3);
  });

  it('should count accented words once, composed or not', () => {
    expect(countWords('été')).toBe(1);
    expect(countWords('e\u0301te\u0301 à Orléans')).toBe(3);
    expect(countWords('')).toBe(0);
  });
});

describe('Character count', () => {
  it('should count code points with every kind of space, and no line breaks', () => {
    expect(countCharacters('Qualité\u00A0!')).toBe(9);
    expect(countCharacters('a b\nc')).toBe(4);
    expect(countCharacters('a\r\nb')).toBe(2);
    expect(countCharacters('👍')).toBe(1);
  });

  it('should count a decomposed accent as one character', () => {
    expect(countCharacters('e\u0301te\u0301')).toBe(3);
  });

  it('should give the figures of a body, block separators left out', () => {
    const fragment = body([
      { type: 'heading', level: 1, content: [text('Présentation')] },
      p(text("L'équipe réunit "), text('12', { bold: true }), text('\u00A0personnes.')),
      { type: 'bulletList', items: [item(p(text('mémoire-technique'))), item(p(text('12,5 %')))] },
    ]);
    // "Présentation" 12 + "L'équipe réunit 12 personnes." 29 + "mémoire-technique" 17 + "12,5 %" 6
    expect(textFigures(fragment)).toEqual({ words: 7, characters: 64 });
  });
});

describe('Markdown', () => {
  it('should render every block and mark', () => {
    expect(toMarkdown(body(RICH))).toBe(
      [
        '# Mémoire technique',
        '',
        'Notre coopérative propose une **offre** complète.',
        '',
        '## Moyens humains',
        '',
        '- Une équipe de _douze_ entrepreneurs',
        '- Des outils partagés',
        '  1. Planification',
        '  2. Suivi',
        '',
        '3. Troisième point',
        '4. Quatrième\\',
        '   sur deux lignes',
        '',
        '> Une citation du `CCTP`',
        '',
        '```ts',
        'const a = 1;',
        'const b = 2;',
        '```',
        '',
        '---',
        '',
        'Voir [le site](https://exemple.fr/offre), ~~barré~~ et <u>souligné</u>.',
      ].join('\n'),
    );
  });

  it('should indent content under an ordered item by the width of its marker', () => {
    const items = Array.from({ length: 10 }, (_, index) => item(p(text(`Point ${index + 1}`))));
    items[9] = item(p(text('Point 10')), { type: 'bulletList', items: [item(p(text('détail')))] }, p(text('suite')));
    expect(toMarkdown(body([{ type: 'orderedList', start: 1, items }]))).toBe(
      [
        ...Array.from({ length: 9 }, (_, index) => `${index + 1}. Point ${index + 1}`),
        '10. Point 10',
        '    - détail',
        '',
        '    suite',
      ].join('\n'),
    );
  });

  it('should nest lists and blockquotes', () => {
    const fragment = body([
      {
        type: 'bulletList',
        items: [
          item(p(text('Niveau 1')), {
            type: 'bulletList',
            items: [item(p(text('Niveau 2')), { type: 'orderedList', items: [item(p(text('Niveau 3')))] })],
          }),
        ],
      },
      { type: 'blockquote', content: [p(text('Premier')), { type: 'bulletList', items: [item(p(text('cité')))] }] },
    ]);
    expect(toMarkdown(fragment)).toBe(
      ['- Niveau 1', '  - Niveau 2', '    1. Niveau 3', '', '> Premier', '>', '> - cité'].join('\n'),
    );
  });

  it('should combine marks without reopening them and keep spaces outside delimiters', () => {
    const fragment = body([
      p(
        text('gras ', { bold: true }),
        text('et italique', { bold: true, italic: true }),
        text(' ', { bold: true }),
        text('fin', { bold: true }),
        text(' normal'),
      ),
    ]);
    expect(toMarkdown(fragment)).toBe('**gras _et italique_ fin** normal');
  });

  it('should escape what Markdown would read as syntax', () => {
    const fragment = body([
      p(text('*pas* d’emphase, snake_case, [crochets], <balise>, ~tilde~, \\ et &amp;')),
      p(text('# pas un titre')),
      p(text('- pas une liste')),
      p(text('2024. Pas une liste numérotée')),
      p(text('+ plus'), { type: 'hardBreak' }, text('> ni une citation')),
      { type: 'heading', level: 2, content: [text('Langage C #')] },
      p(text('du `code`', { code: true })),
    ]);
    expect(toMarkdown(fragment)).toBe(
      [
        '\\*pas\\* d’emphase, snake\\_case, \\[crochets\\], \\<balise\\>, \\~tilde\\~, \\\\ et \\&amp;',
        '',
        '\\# pas un titre',
        '',
        '\\- pas une liste',
        '',
        '2024\\. Pas une liste numérotée',
        '',
        '\\+ plus\\',
        '\\> ni une citation',
        '',
        '## Langage C \\#',
        '',
        '`` du `code` ``',
      ].join('\n'),
    );
  });

  it('should escape link destinations', () => {
    const fragment = body([p(text('cahier', { link: { href: 'https://exemple.fr/a b(1).pdf' } }))]);
    expect(toMarkdown(fragment)).toBe('[cahier](https://exemple.fr/a%20b\\(1\\).pdf)');
  });

  it('should alternate markers so that lists in a row stay apart', () => {
    const list: Block = { type: 'bulletList', items: [item(p(text('x')))] };
    const numbered: Block = { type: 'orderedList', items: [item(p(text('y')))] };
    expect(toMarkdown(body([list, list, p(), list, numbered, numbered]))).toBe(
      ['- x', '', '* x', '', '- x', '', '1. y', '', '1) y'].join('\n'),
    );
  });

  it('should fence code that holds a fence with a longer one', () => {
    expect(toMarkdown(body([{ type: 'codeBlock', text: '```\nx\n```' }]))).toBe('````\n```\nx\n```\n````');
  });
});

describe('Content hash', () => {
  it('should be the SHA-256 of the Markdown, the same however the document was built', () => {
    const written = body([p(text('Bonjour '), text('à tous', { bold: true }))]);
    const fragment = bodyOf(new Y.Doc());
    const run = xmlText(element(fragment, 'paragraph'));
    run.insert(0, 'Bonjour à tous');
    run.format(8, 6, { bold: true });
    expect(contentHash(written)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(fragment)).toBe(contentHash(written));
    expect(contentHash(bodyOf(new Y.Doc()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('should be the same on every replica', () => {
    const doc = new Y.Doc();
    writeBlocks(bodyOf(doc), RICH);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
    expect(contentHash(bodyOf(replica))).toBe(contentHash(bodyOf(doc)));
  });

  it('should change when the formatting changes, not only the words', () => {
    const fragment = body([p(text('Offre économiquement avantageuse'))]);
    const before = contentHash(fragment);
    const run = (fragment.get(0) as Y.XmlElement).get(0) as Y.XmlText;
    run.format(0, 5, { italic: {} });
    const italic = contentHash(fragment);
    expect(italic).not.toBe(before);
    run.format(0, 5, { underline: {} });
    expect(contentHash(fragment)).not.toBe(italic);
    run.format(0, 5, { italic: null, underline: null });
    expect(contentHash(fragment)).toBe(before);
  });

  it('should change with the heading level', () => {
    const fragment = body([{ type: 'heading', level: 2, content: [text('Titre')] }]);
    const before = contentHash(fragment);
    (fragment.get(0) as Y.XmlElement).setAttribute('level', '3');
    expect(contentHash(fragment)).not.toBe(before);
  });
});
