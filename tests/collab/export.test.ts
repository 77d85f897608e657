import JSZip from 'jszip';
import mammoth from 'mammoth';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type Block, bodyOf, type Inline, type Marks, writeBlocks } from '../../server/src/collab/content.js';
import { type ResponseExport, responseToDocx, responseToMarkdown } from '../../server/src/collab/export.js';

// A tender response with its sections given out of order, exported to Markdown and to Word. The Word file is
// read back with mammoth (as HTML) and unzipped with JSZip. No database.

const text = (value: string, marks?: Marks): Inline =>
  marks ? { type: 'text', text: value, marks } : { type: 'text', text: value };
const p = (...content: Inline[]): Block => ({ type: 'paragraph', content });
const item = (...content: Block[]) => ({ content });
const body = (blocks: Block[]) => writeBlocks(bodyOf(new Y.Doc()), blocks);

const RESPONSE: ResponseExport = {
  title: 'Réponse à l’appel d’offres n° 2025-14',
  sections: [
    {
      position: 2,
      title: 'Moyens techniques',
      body: body([
        { type: 'heading', level: 1, content: [text('Matériel')] },
        {
          type: 'orderedList',
          items: [
            item(p(text('Atelier partagé'))),
            item(p(text('Véhicules')), { type: 'bulletList', items: [item(p(text('Utilitaire électrique')))] }),
          ],
        },
        { type: 'heading', level: 5, content: [text('Détail')] },
        { type: 'codeBlock', text: 'GET /api/lots' },
      ]),
    },
    {
      position: 1,
      title: 'Présentation',
      body: body([
        p(
          text('La coopérative '),
          text('Collectifs', { bold: true }),
          text(' réunit des '),
          text('artisans', { italic: true }),
          text('.'),
        ),
        { type: 'heading', level: 2, content: [text('Références')] },
        {
          type: 'bulletList',
          items: [item(p(text('Mairie de Lyon'))), item(p(text('Région'), text(' Bretagne', { strike: true })))],
        },
        { type: 'blockquote', content: [p(text('Un partenaire fiable.'))] },
        p(text('Site : '), text('exemple.fr', { link: { href: 'https://exemple.fr' } })),
      ]),
    },
    { position: 3, title: 'Annexes', body: body([]) },
  ],
};

describe('Markdown export', () => {
  it('should put the title, then each section in position order with its headings shifted down', () => {
    expect(responseToMarkdown(RESPONSE)).toBe(
      [
        '# Réponse à l’appel d’offres n° 2025-14',
        '',
        '## Présentation',
        '',
        'La coopérative **Collectifs** réunit des _artisans_.',
        '',
        '#### Références',
        '',
        '- Mairie de Lyon',
        '- Région ~~Bretagne~~',
        '',
        '> Un partenaire fiable.',
        '',
        'Site : [exemple.fr](https://exemple.fr)',
        '',
        '## Moyens techniques',
        '',
        '### Matériel',
        '',
        '1. Atelier partagé',
        '2. Véhicules',
        '   - Utilitaire électrique',
        '',
        '###### Détail',
        '',
        '```',
        'GET /api/lots',
        '```',
        '',
        '## Annexes',
        '',
      ].join('\n'),
    );
  });

  it('should escape titles', () => {
    const markdown = responseToMarkdown({ title: 'Lot *1*', sections: [{ position: 1, title: '1. Contexte', body: body([]) }] });
    expect(markdown).toBe('# Lot \\*1\\*\n\n## 1. Contexte\n');
  });
});

describe('Word export', () => {
  it('should open in mammoth with the headings, lists and emphasis in section order', async () => {
    const buffer = await responseToDocx(RESPONSE);
    const { value: html } = await mammoth.convertToHtml({ buffer });
    const expected = [
      '<h1>Réponse à l’appel d’offres n° 2025-14</h1>',
      '<h2>Présentation</h2>',
      '<p>La coopérative <strong>Collectifs</strong> réunit des <em>artisans</em>.</p>',
      '<h4>Références</h4>',
      '<ul><li>Mairie de Lyon</li><li>Région<s> Bretagne</s></li></ul>',
      '<p>Un partenaire fiable.</p>',
      '<p>Site : <a href="https://exemple.fr">exemple.fr</a></p>',
      '<h2>Moyens techniques</h2>',
      '<h3>Matériel</h3>',
      '<ol><li>Atelier partagé</li><li>Véhicules<ul><li>Utilitaire électrique</li></ul></li></ol>',
      '<h6>Détail</h6>',
      '<p>GET /api/lots</p>',
      '<h2>Annexes</h2>',
    ];
    expect(html).toBe(expected.join(''));
  });

  it('should give the text in section order', async () => {
    const { value } = await mammoth.extractRawText({ buffer: await responseToDocx(RESPONSE) });
    const lines = value.split('\n').filter((line) => line !== '');
    expect(lines.indexOf('Présentation')).toBeLessThan(lines.indexOf('Moyens techniques'));
    expect(lines.indexOf('Moyens techniques')).toBeLessThan(lines.indexOf('Annexes'));
    expect(lines.at(0)).toBe('Réponse à l’appel d’offres n° 2025-14');
  });

  it('should style section titles as Heading 2 and write the metadata and list definitions', async () => {
    const zip = await JSZip.loadAsync(await responseToDocx(RESPONSE));
    const document = (await zip.file('word/document.xml')?.async('string')) ?? '';
    const core = (await zip.file('docProps/core.xml')?.async('string')) ?? '';
    const numbering = (await zip.file('word/numbering.xml')?.async('string')) ?? '';

    const paragraphs = document.match(/<w:p>.*?<\/w:p>|<w:p .*?<\/w:p>/g) ?? [];
    const headings2 = paragraphs.filter((paragraph) => paragraph.includes('<w:pStyle w:val="Heading2"/>'));
    expect(headings2.map((paragraph) => /<w:t[^>]*>([^<]*)<\/w:t>/.exec(paragraph)?.[1])).toEqual([
      'Présentation',
      'Moyens techniques',
      'Annexes',
    ]);
    expect(document).toContain('<w:pStyle w:val="Heading1"/>');
    expect(document).toContain('w:ascii="Courier New"');
    expect(core).toContain('<dc:title>Réponse à l’appel d’offres n° 2025-14</dc:title>');
    expect(core).toContain('<dc:creator>Collectifs</dc:creator>');
    expect(numbering).toContain('<w:numFmt w:val="bullet"/>');
    expect(numbering).toContain('<w:numFmt w:val="decimal"/>');
  });

  it('should number an ordered list from its start', async () => {
    const buffer = await responseToDocx({
      title: 'Réponse',
      sections: [
        { position: 1, title: 'Suite', body: body([{ type: 'orderedList', start: 4, items: [item(p(text('Quatre')))] }]) },
      ],
    });
    const zip = await JSZip.loadAsync(buffer);
    const numbering = (await zip.file('word/numbering.xml')?.async('string')) ?? '';
    expect(numbering).toContain('<w:start w:val="4"/>');
    const { value: html } = await mammoth.convertToHtml({ buffer });
    expect(html).toContain('<ol><li>Quatre</li></ol>');
  });
});
