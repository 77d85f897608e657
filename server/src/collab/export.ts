import {
  AlignmentType,
  Bookmark,
  BorderStyle,
  Document,
  ExternalHyperlink,
  Footer,
  Header,
  HeadingLevel,
  type ILevelsOptions,
  InternalHyperlink,
  LevelFormat,
  LineRuleType,
  Packer,
  PageNumber,
  Paragraph,
  type ParagraphChild,
  ShadingType,
  Tab,
  Table,
  TableCell,
  TableRow,
  TabStopType,
  TextRun,
  WidthType,
} from 'docx';
import type * as Y from 'yjs';
import {
  type Block,
  blocksToMarkdown,
  type Inline,
  type HeadingLevel as Level,
  type ListItem,
  type ListType,
  toBlocks,
} from './content.js';

/** What the cover page says of the tender a response answers and of the group that answers it. */
export interface ResponseCover {
  /** The opportunity answered (its title), its buyer and reference. */
  tender: string | null;
  buyer: string | null;
  reference: string | null;
  /** « Lot 2 — Vidéo » when the deal answers one lot. */
  lot: string | null;
  /** The submission deadline, an instant (shown in Paris time). */
  deadline: Date | null;
  /** The answering collective. */
  collective: string;
  /** The group: its members (or external companies), the lead first; empty for a response without a deal. */
  partners: Array<{ name: string; isLead: boolean; scopeOfWork: string | null }>;
  /** The group's legal form, in words (« Groupement conjoint »), if any. */
  groupForm: string | null;
}

/** What an export needs of a tender response: its title, its sections with their bodies and, for DOCX, its cover. */
export interface ResponseExport {
  title: string;
  sections: Array<{ position: number; title: string; body: Y.XmlFragment }>;
  cover?: ResponseCover;
  /** When the file is made (the cover's date); now by default. */
  generatedAt?: Date;
}

// In Markdown the response title is level 1 and section titles level 2, so a section's own headings go two levels
// down; in Word sections are level 1 (the title is the cover's), so one.
const SECTION_HEADING_SHIFT = 2;

function shiftHeadings(blocks: readonly Block[], shift = SECTION_HEADING_SHIFT): Block[] {
  const shiftItems = (items: readonly ListItem[]) => items.map((item) => ({ content: shiftHeadings(item.content, shift) }));
  return blocks.map((block): Block => {
    switch (block.type) {
      case 'heading':
        return { ...block, level: Math.min(6, block.level + shift) as Level };
      case 'bulletList':
      case 'orderedList':
        return { ...block, items: shiftItems(block.items) };
      case 'blockquote':
        return { ...block, content: shiftHeadings(block.content, shift) };
      default:
        return block;
    }
  });
}

const inPositionOrder = (sections: ResponseExport['sections']) => [...sections].sort((a, b) => a.position - b.position);

const titleBlock = (level: Level, title: string): Block => ({
  type: 'heading',
  level,
  content: title === '' ? [] : [{ type: 'text', text: title }],
});

/** The whole response as Markdown: its title as `#`, each section (in position order) as `##`, then its body. */
export function responseToMarkdown(response: ResponseExport): string {
  const blocks: Block[] = [titleBlock(1, response.title)];
  for (const section of inPositionOrder(response.sections)) {
    blocks.push(titleBlock(2, section.title));
    // One at a time: a section may hold more blocks than a call takes arguments.
    for (const block of shiftHeadings(toBlocks(section.body))) blocks.push(block);
  }
  return `${blocksToMarkdown(blocks)}\n`;
}

const MONOSPACE = 'Courier New';
const INDENT = 720; // twips: half an inch per list level or quote
const HANGING = 360;
const LEVELS = 9; // Word's list levels, 0 to 8

const HEADINGS = {
  1: HeadingLevel.HEADING_1,
  2: HeadingLevel.HEADING_2,
  3: HeadingLevel.HEADING_3,
  4: HeadingLevel.HEADING_4,
  5: HeadingLevel.HEADING_5,
  6: HeadingLevel.HEADING_6,
} as const;

const BULLET_LIST = 'bullet';
const BULLETS = ['\u2022', '\u25E6', '\u25AA'];
const NUMBER_FORMATS = [LevelFormat.DECIMAL, LevelFormat.LOWER_LETTER, LevelFormat.LOWER_ROMAN];
/** Word's format for an ordered list's `<ol type>` (content.ts `ListType`). */
const LIST_TYPE_FORMATS: Readonly<Record<ListType, (typeof LevelFormat)[keyof typeof LevelFormat]>> = {
  a: LevelFormat.LOWER_LETTER,
  A: LevelFormat.UPPER_LETTER,
  i: LevelFormat.LOWER_ROMAN,
  I: LevelFormat.UPPER_ROMAN,
};

const levelIndent = (level: number) => ({ left: INDENT * (level + 1), hanging: HANGING });

function bulletLevels(): ILevelsOptions[] {
  return Array.from({ length: LEVELS }, (_, level) => ({
    level,
    format: LevelFormat.BULLET,
    text: BULLETS[level % BULLETS.length],
    alignment: AlignmentType.LEFT,
    style: { paragraph: { indent: levelIndent(level) } },
  }));
}

// One definition per start number and list type, every level starting there (and numbered in that type, when the
// list has one): each list is an instance of its own, and uses one level.
function orderedLevels(start: number, listType: ListType | undefined): ILevelsOptions[] {
  return Array.from({ length: LEVELS }, (_, level) => ({
    level,
    format: listType ? LIST_TYPE_FORMATS[listType] : NUMBER_FORMATS[level % NUMBER_FORMATS.length],
    text: `%${level + 1}.`,
    start,
    alignment: AlignmentType.LEFT,
    style: { paragraph: { indent: levelIndent(level) } },
  }));
}

interface Place {
  /** Enclosing blockquotes. */
  quotes: number;
  /** Nesting level of the enclosing list item, -1 outside lists. */
  level: number;
}

/** Turns blocks into Word paragraphs, collecting the list definitions they use. */
class DocxWriter {
  /** The ordered-list definitions the paragraphs use, by reference. */
  readonly orderedDefinitions = new Map<string, { start: number; listType: ListType | undefined }>();
  private instances = 0;

  blocks(blocks: readonly Block[], place: Place): Paragraph[] {
    return blocks.flatMap((block) => this.block(block, place));
  }

  private indent(place: Place) {
    const left = INDENT * (place.quotes + place.level + 1);
    return left > 0 ? { left } : undefined;
  }

  private quoteBorder(place: Place) {
    return place.quotes > 0 ? { left: { style: BorderStyle.SINGLE, size: 12, color: 'A6A6A6', space: 8 } } : undefined;
  }

  private block(block: Block, place: Place): Paragraph[] {
    switch (block.type) {
      case 'paragraph':
        return [new Paragraph({ children: runs(block.content), indent: this.indent(place), border: this.quoteBorder(place) })];
      case 'heading':
        return [
          new Paragraph({
            heading: HEADINGS[block.level],
            children: runs(block.content),
            indent: this.indent(place),
          }),
        ];
      case 'bulletList':
      case 'orderedList':
        return this.list(block, place);
      case 'blockquote':
        return this.blocks(block.content, { ...place, quotes: place.quotes + 1 });
      case 'codeBlock':
        return [
          new Paragraph({
            children: block.text
              .split('\n')
              .map((line, index) => new TextRun({ text: line, font: MONOSPACE, break: index > 0 ? 1 : undefined })),
            shading: { type: ShadingType.CLEAR, fill: 'F2F2F2', color: 'auto' },
            indent: this.indent(place),
          }),
        ];
      case 'horizontalRule':
        return [new Paragraph({ border: { bottom: { style: BorderStyle.SINGLE, size: 6, color: 'auto', space: 1 } } })];
    }
  }

  private list(block: Extract<Block, { type: 'bulletList' | 'orderedList' }>, place: Place): Paragraph[] {
    const level = Math.min(LEVELS - 1, place.level + 1);
    let reference = BULLET_LIST;
    if (block.type === 'orderedList') {
      const start = block.start ?? 1;
      reference = `ordered-${start}${block.listType ? `-${block.listType}` : ''}`;
      this.orderedDefinitions.set(reference, { start, listType: block.listType });
    }
    const numbering = {
      reference,
      level,
      // Every list is an instance of its own, so each one counts from its start.
      instance: ++this.instances,
    };
    const inner: Place = { quotes: place.quotes, level };
    return block.items.flatMap((item) => {
      const [first, ...rest] = item.content;
      // The item's marker goes on its first paragraph (an empty one when the item opens on something else).
      const lead = first?.type === 'paragraph' || first?.type === 'heading' ? first : undefined;
      const marked = new Paragraph({
        children: lead ? runs(lead.content) : [],
        heading: lead?.type === 'heading' ? HEADINGS[lead.level] : undefined,
        numbering,
        indent: { left: INDENT * (place.quotes + level + 1), hanging: HANGING },
        border: this.quoteBorder(place),
      });
      return [marked, ...this.blocks(lead ? rest : item.content, inner)];
    });
  }
}

function textRun(run: Extract<Inline, { type: 'text' }>, hyperlink: boolean): TextRun {
  const marks = run.marks;
  return new TextRun({
    text: run.text,
    bold: marks?.bold,
    italics: marks?.italic,
    strike: marks?.strike,
    underline: marks?.underline ? {} : undefined,
    font: marks?.code ? MONOSPACE : undefined,
    style: hyperlink ? 'Hyperlink' : undefined,
  });
}

function runs(content: readonly Inline[]): ParagraphChild[] {
  const children: ParagraphChild[] = [];
  for (let index = 0; index < content.length; index += 1) {
    const run = content[index] as Inline;
    if (run.type === 'hardBreak') {
      children.push(new TextRun({ break: 1 }));
      continue;
    }
    const href = run.marks?.link?.href;
    if (!href) {
      children.push(textRun(run, false));
      continue;
    }
    // Runs of one link in a row make one hyperlink, whatever their other marks.
    const linked = [textRun(run, true)];
    for (let next = content[index + 1]; next?.type === 'text' && next.marks?.link?.href === href; next = content[index + 1]) {
      linked.push(textRun(next, true));
      index += 1;
    }
    children.push(new ExternalHyperlink({ link: href, children: linked }));
  }
  return children;
}

const PARIS_DAY = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const PARIS_DAY_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' });
const GREY = '595959';
const EMPTY_FILL = 'FFF4CE';
/** A section's bookmark, which its table-of-contents entry links to. */
const anchorOf = (index: number) => `section_${index + 1}`;

/** The words of the exported document (it is written for a French buyer). */
const WORDS = {
  answerTo: 'Réponse à',
  buyer: 'Acheteur',
  reference: 'Référence',
  lot: 'Lot',
  deadline: 'Date limite de remise des offres',
  collective: 'Collectif',
  group: 'Groupement',
  partner: 'Membre du groupement',
  role: 'Rôle',
  scope: 'Part de travail',
  lead: 'Mandataire',
  coContractor: 'Cotraitant',
  generated: (day: string) => `Document établi le ${day}`,
  contents: 'Sommaire',
  empty: 'Section vide : rien n’a encore été rédigé.',
  emptyEntry: '(à rédiger)',
  page: 'Page ',
  of: ' sur ',
};

/** A section's title with its number: « 2. Moyens techniques ». */
const numbered = (index: number, title: string) => `${index + 1}. ${title || 'Sans titre'}`;

/** True when a section has no text at all (not even an empty heading or list). */
function isEmpty(blocks: readonly Block[]): boolean {
  const hasText = (block: Block): boolean => {
    switch (block.type) {
      case 'paragraph':
      case 'heading':
        return block.content.some((run) => run.type === 'text' && run.text.trim() !== '');
      case 'bulletList':
      case 'orderedList':
        return block.items.some((item) => item.content.some(hasText));
      case 'blockquote':
        return block.content.some(hasText);
      case 'codeBlock':
        return block.text.trim() !== '';
      case 'horizontalRule':
        return false;
    }
  };
  return !blocks.some(hasText);
}

const cell = (text: string, bold = false) =>
  new TableCell({ children: [new Paragraph({ children: [new TextRun({ text, bold })] })] });

/** The cover page: the response, the tender and its lot, the deadline, the group with its lead. */
function coverPage(response: ResponseExport, generatedAt: Date): (Paragraph | Table)[] {
  const cover = response.cover;
  const fact = (label: string, value: string | null) =>
    value
      ? [
          new Paragraph({
            spacing: { after: 80 },
            children: [new TextRun({ text: `${label} : `, bold: true }), new TextRun({ text: value })],
          }),
        ]
      : [];
  const children: (Paragraph | Table)[] = [
    new Paragraph({ spacing: { before: 2400 } }),
    new Paragraph({ heading: HeadingLevel.TITLE, alignment: AlignmentType.LEFT, text: response.title }),
  ];
  if (cover) {
    if (cover.tender) {
      children.push(
        new Paragraph({
          spacing: { after: 240 },
          children: [new TextRun({ text: `${WORDS.answerTo} : `, color: GREY }), new TextRun({ text: cover.tender, bold: true })],
        }),
      );
    }
    children.push(
      ...fact(WORDS.buyer, cover.buyer),
      ...fact(WORDS.reference, cover.reference),
      ...fact(WORDS.lot, cover.lot),
      ...fact(WORDS.deadline, cover.deadline ? PARIS_DAY_TIME.format(cover.deadline) : null),
      ...fact(WORDS.collective, cover.collective),
    );
    if (cover.partners.length > 0) {
      children.push(
        new Paragraph({
          spacing: { before: 360, after: 120 },
          children: [new TextRun({ text: cover.groupForm ?? WORDS.group, bold: true, size: 26 })],
        }),
        new Table({
          width: { size: 100, type: WidthType.PERCENTAGE },
          rows: [
            new TableRow({
              tableHeader: true,
              children: [cell(WORDS.partner, true), cell(WORDS.role, true), cell(WORDS.scope, true)],
            }),
            ...[...cover.partners]
              .sort((a, b) => Number(b.isLead) - Number(a.isLead))
              .map(
                (partner) =>
                  new TableRow({
                    children: [
                      cell(partner.name, partner.isLead),
                      cell(partner.isLead ? WORDS.lead : WORDS.coContractor),
                      cell(partner.scopeOfWork ?? '—'),
                    ],
                  }),
              ),
          ],
        }),
      );
    }
  }
  children.push(
    new Paragraph({
      spacing: { before: 720 },
      children: [new TextRun({ text: WORDS.generated(PARIS_DAY.format(generatedAt)), color: GREY, italics: true })],
    }),
  );
  return children;
}

/**
 * The whole response as a Word document a buyer can read as is: a cover page (the tender, its lot and deadline, the
 * group's members and lead), a table of contents written out (no field for the reader to update; each entry links
 * to its section), then each section in position order, numbered, as Heading 1 on a page of its own, its own headings
 * one level down (capped at Heading 6); an empty section says so. Every page but the cover has a header (the
 * response and its buyer) and a footer (the collective, « Page n sur N »).
 */
export async function responseToDocx(response: ResponseExport): Promise<Buffer> {
  const writer = new DocxWriter();
  const outside: Place = { quotes: 0, level: -1 };
  const generatedAt = response.generatedAt ?? new Date();
  const sections = inPositionOrder(response.sections).map((section) => ({
    ...section,
    blocks: shiftHeadings(toBlocks(section.body), 1),
  }));

  const contents: Paragraph[] = [
    new Paragraph({ heading: HeadingLevel.HEADING_1, pageBreakBefore: true, text: WORDS.contents }),
    ...sections.map((section, index) => {
      const empty = isEmpty(section.blocks);
      return new Paragraph({
        spacing: { after: 80 },
        tabStops: [{ type: TabStopType.RIGHT, position: 9000 }],
        children: [
          new InternalHyperlink({
            anchor: anchorOf(index),
            children: [new TextRun({ text: numbered(index, section.title), style: 'Hyperlink' })],
          }),
          ...(empty ? [new TextRun({ children: [new Tab(), WORDS.emptyEntry], italics: true, color: GREY })] : []),
        ],
      });
    }),
  ];

  const body: Paragraph[] = [];
  sections.forEach((section, index) => {
    body.push(
      new Paragraph({
        heading: HeadingLevel.HEADING_1,
        pageBreakBefore: true,
        children: [new Bookmark({ id: anchorOf(index), children: [new TextRun(numbered(index, section.title))] })],
      }),
    );
    if (isEmpty(section.blocks)) {
      body.push(
        new Paragraph({
          shading: { type: ShadingType.CLEAR, fill: EMPTY_FILL, color: 'auto' },
          border: { left: { style: BorderStyle.SINGLE, size: 18, color: 'BF8F00', space: 8 } },
          children: [new TextRun({ text: WORDS.empty, italics: true })],
        }),
      );
    } else for (const paragraph of writer.blocks(section.blocks, outside)) body.push(paragraph);
  });

  // The running header names the response and its buyer (once, when the title already does).
  const buyer = response.cover?.buyer;
  const running = buyer && !response.title.includes(buyer) ? `${response.title} — ${buyer}` : response.title;
  const document = new Document({
    title: response.title,
    subject: response.cover?.tender ?? undefined,
    creator: 'Collectifs',
    // A readable body (11 pt, airy lines) in a font every office suite has or substitutes.
    styles: {
      default: {
        document: {
          run: { font: 'Calibri', size: 22 },
          paragraph: { spacing: { after: 120, line: 276, lineRule: LineRuleType.AUTO } },
        },
        heading1: { run: { size: 32, bold: true, color: '1F3864' }, paragraph: { spacing: { before: 240, after: 200 } } },
        heading2: { run: { size: 26, bold: true, color: '2F5496' }, paragraph: { spacing: { before: 200, after: 120 } } },
        title: { run: { size: 52, bold: true, color: '1F3864' }, paragraph: { spacing: { after: 360 } } },
      },
    },
    numbering: {
      config: [
        { reference: BULLET_LIST, levels: bulletLevels() },
        ...[...writer.orderedDefinitions].map(([reference, { start, listType }]) => ({
          reference,
          levels: orderedLevels(start, listType),
        })),
      ],
    },
    sections: [
      {
        // The cover has no header or footer of its own (Word's "different first page").
        properties: { titlePage: true },
        headers: {
          first: new Header({ children: [new Paragraph('')] }),
          default: new Header({
            children: [
              new Paragraph({
                alignment: AlignmentType.RIGHT,
                children: [new TextRun({ text: running, color: GREY, size: 18 })],
              }),
            ],
          }),
        },
        footers: {
          first: new Footer({ children: [new Paragraph('')] }),
          default: new Footer({
            children: [
              new Paragraph({
                tabStops: [{ type: TabStopType.RIGHT, position: 9000 }],
                children: [
                  new TextRun({ text: response.cover?.collective ?? '', color: GREY, size: 18 }),
                  new TextRun({
                    children: [new Tab(), WORDS.page, PageNumber.CURRENT, WORDS.of, PageNumber.TOTAL_PAGES],
                    color: GREY,
                    size: 18,
                  }),
                ],
              }),
            ],
          }),
        },
        children: [...coverPage(response, generatedAt), ...contents, ...body],
      },
    ],
  });
  return Packer.toBuffer(document);
}
