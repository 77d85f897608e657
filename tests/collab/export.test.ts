import JSZip from 'jszip';
import mammoth from 'mammoth';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type Block, bodyOf, type Inline, type Marks, writeBlocks } from '../../server/src/collab/content.js';
import { type ResponseExport, responseToDocx, responseToMarkdown } from '../../server/src/collab/export.js';
import { fileNames } from '../../server/src/domain/exports.js';

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

const COVER = {
  tender: 'Production de contenus accessibles',
  buyer: 'Métropole de Lyon',
  reference: '2025-14',
  lot: 'Lot 1 — Rédaction',
  deadline: new Date('2025-03-14T11:00:00Z'),
  collective: 'Appel d’offres Métropole de Lyon',
  groupForm: 'Groupement conjoint',
  partners: [
    { name: 'Accessibilité Conseil SARL', isLead: false, scopeOfWork: 'Audit RGAA' },
    { name: 'Camille Martin', isLead: true, scopeOfWork: 'Rédaction' },
  ],
};
const WITH_COVER: ResponseExport = { ...RESPONSE, cover: COVER, generatedAt: new Date('2025-03-01T10:00:00Z') };

describe('Word export', () => {
  it('should open in mammoth with a cover, a written table of contents, then numbered sections in order', async () => {
    const buffer = await responseToDocx(WITH_COVER);
    const { value: html } = await mammoth.convertToHtml({ buffer });
    // The cover: the response, the tender, its buyer, lot and deadline (Paris time), the group with its lead first.
    expect(html).toContain('Réponse à l’appel d’offres n° 2025-14');
    expect(html).toContain('Production de contenus accessibles');
    expect(html).toContain('Métropole de Lyon');
    expect(html).toContain('Lot 1 — Rédaction');
    expect(html).toContain('14 mars 2025 à 12:00');
    expect(html).toMatch(/<tr><td><p><strong>Camille Martin<\/strong><\/p><\/td><td><p>Mandataire<\/p><\/td>/);
    expect(html.indexOf('Camille Martin')).toBeLessThan(html.indexOf('Accessibilité Conseil SARL'));
    // The table of contents is written out: its entries link to the sections, the empty one is flagged.
    const contents = html.slice(html.indexOf('<h1>Sommaire</h1>'));
    expect(contents).toMatch(/<a href="#section_1">1\. Présentation<\/a>/);
    expect(contents).toMatch(/<a href="#section_3">3\. Annexes<\/a><em>\s*\(à rédiger\)<\/em>/);
    const body = contents.slice(contents.indexOf('</p><h1>'));
    const expected = [
      '<h1><a id="section_1"></a>1. Présentation</h1>',
      '<p>La coopérative <strong>Collectifs</strong> réunit des <em>artisans</em>.</p>',
      '<h3>Références</h3>',
      '<ul><li>Mairie de Lyon</li><li>Région<s> Bretagne</s></li></ul>',
      '<p>Un partenaire fiable.</p>',
      '<p>Site : <a href="https://exemple.fr">exemple.fr</a></p>',
      '<h1><a id="section_2"></a>2. Moyens techniques</h1>',
      '<h2>Matériel</h2>',
      '<ol><li>Atelier partagé</li><li>Véhicules<ul><li>Utilitaire électrique</li></ul></li></ol>',
      '<h6>Détail</h6>',
      '<p>GET /api/lots</p>',
      '<h1><a id="section_3"></a>3. Annexes</h1>',
      '<p><em>Section vide : rien n’a encore été rédigé.</em></p>',
    ];
    expect(body).toBe(`</p>${expected.join('')}`);
  });

  it('should give the text in section order', async () => {
    const { value } = await mammoth.extractRawText({ buffer: await responseToDocx(RESPONSE) });
    const lines = value.split('\n').filter((line) => line !== '');
    expect(lines.at(0)).toBe('Réponse à l’appel d’offres n° 2025-14');
    expect(lines.lastIndexOf('1. Présentation')).toBeLessThan(lines.lastIndexOf('2. Moyens techniques'));
    expect(lines.lastIndexOf('2. Moyens techniques')).toBeLessThan(lines.lastIndexOf('3. Annexes'));
  });

  it('should start each section on a page, with headers, page numbers and footers everywhere but on the cover', async () => {
    const zip = await JSZip.loadAsync(await responseToDocx(WITH_COVER));
    const document = (await zip.file('word/document.xml')?.async('string')) ?? '';
    const core = (await zip.file('docProps/core.xml')?.async('string')) ?? '';
    const numbering = (await zip.file('word/numbering.xml')?.async('string')) ?? '';

    const paragraphs = document.match(/<w:p>.*?<\/w:p>|<w:p .*?<\/w:p>/g) ?? [];
    const headings1 = paragraphs.filter((paragraph) => paragraph.includes('<w:pStyle w:val="Heading1"/>'));
    const text = (paragraph: string) => [...paragraph.matchAll(/<w:t[^>]*>([^<]*)<\/w:t>/g)].map((m) => m[1]).join('');
    expect(headings1.map(text)).toEqual(['Sommaire', '1. Présentation', '2. Moyens techniques', '3. Annexes']);
    expect(headings1.every((paragraph) => paragraph.includes('<w:pageBreakBefore/>'))).toBe(true);
    expect(document).toContain('<w:pStyle w:val="Title"/>');
    expect(document).toContain('<w:titlePg/>');
    // No field for the reader to update: the contents are plain hyperlinks to bookmarks.
    expect(document).not.toMatch(/TOC \\/);
    expect(document).toContain('w:anchor="section_2"');
    expect(document).toContain('w:name="section_2"');

    const footers = await Promise.all(
      Object.keys(zip.files)
        .filter((name) => /^word\/footer\d+\.xml$/.test(name))
        .map((name) => zip.file(name)?.async('string') ?? ''),
    );
    const pageFooter = footers.find((footer) => footer.includes('PAGE')) ?? '';
    expect(pageFooter).toContain('NUMPAGES');
    expect(pageFooter).toContain('Appel d’offres Métropole de Lyon');
    const headers = await Promise.all(
      Object.keys(zip.files)
        .filter((name) => /^word\/header\d+\.xml$/.test(name))
        .map((name) => zip.file(name)?.async('string') ?? ''),
    );
    expect(headers.some((header) => header.includes('Réponse à l’appel d’offres n° 2025-14 — Métropole de Lyon'))).toBe(true);

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

  it('should number a list in letters or roman numerals as the editor shows it', async () => {
    const buffer = await responseToDocx({
      title: 'Réponse',
      sections: [
        {
          position: 1,
          title: 'Suite',
          body: body([
            { type: 'orderedList', start: 3, listType: 'i', items: [item(p(text('Trois')))] },
            { type: 'orderedList', listType: 'A', items: [item(p(text('Premier')))] },
            { type: 'orderedList', items: [item(p(text('Un')))] },
          ]),
        },
      ],
    });
    const zip = await JSZip.loadAsync(buffer);
    const numbering = (await zip.file('word/numbering.xml')?.async('string')) ?? '';
    // One definition per list kind, its first level in the list's own numbering.
    const firstLevels = [...numbering.matchAll(/<w:lvl w:ilvl="0"[^>]*>(.*?)<\/w:lvl>/gs)].map((match) => match[1] ?? '');
    const formatOf = (level: string) => /<w:numFmt w:val="(\w+)"\/>/.exec(level)?.[1];
    const startOf = (level: string) => /<w:start w:val="(\d+)"\/>/.exec(level)?.[1];
    expect(firstLevels.map((level) => `${formatOf(level)} ${startOf(level)}`)).toEqual(
      expect.arrayContaining(['lowerRoman 3', 'upperLetter 1', 'decimal 1']),
    );
  });
});

describe('File names', () => {
  it('should keep accents, spaces and apostrophes, and give an ASCII twin', () => {
    expect(fileNames('Réponse à l’appel d’offres n° 2025/14', 'docx')).toEqual({
      filename: 'Réponse à l’appel d’offres n° 2025 14.docx',
      asciiFilename: "Reponse a l'appel d'offres n- 2025 14.docx",
    });
    expect(fileNames('  \u0000  ', 'md').filename).toBe('Réponse.md');
  });
});
