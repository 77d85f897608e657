import {
  AlignmentType,
  BorderStyle,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  type ILevelsOptions,
  LevelFormat,
  Packer,
  Paragraph,
  type ParagraphChild,
  ShadingType,
  TextRun,
} from 'docx';
import type * as Y from 'yjs';
import { type Block, blocksToMarkdown, type Inline, type HeadingLevel as Level, type ListItem, toBlocks } from './content.js';

/** What an export needs of a tender response: its title and its sections with their bodies. */
export interface ResponseExport {
  title: string;
  sections: Array<{ position: number; title: string; body: Y.XmlFragment }>;
}

// The response title is level 1 and section titles level 2, so a section's own headings go two levels down.
const SECTION_HEADING_SHIFT = 2;

const shiftLevel = (level: Level): Level => Math.min(6, level + SECTION_HEADING_SHIFT) as Level;

function shiftHeadings(blocks: readonly Block[]): Block[] {
  const shiftItems = (items: readonly ListItem[]) => items.map((item) => ({ content: shiftHeadings(item.content) }));
  return blocks.map((block): Block => {
    switch (block.type) {
      case 'heading':
        return { ...block, level: shiftLevel(block.level) };
      case 'bulletList':
      case 'orderedList':
        return { ...block, items: shiftItems(block.items) };
      case 'blockquote':
        return { ...block, content: shiftHeadings(block.content) };
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
    blocks.push(titleBlock(2, section.title), ...shiftHeadings(toBlocks(section.body)));
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

// One definition per start number, every level starting there: each list is an instance of its own, and uses one level.
function orderedLevels(start: number): ILevelsOptions[] {
  return Array.from({ length: LEVELS }, (_, level) => ({
    level,
    format: NUMBER_FORMATS[level % NUMBER_FORMATS.length],
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
  readonly orderedStarts = new Set<number>();
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
    const start = block.type === 'orderedList' ? (block.start ?? 1) : 1;
    if (block.type === 'orderedList') this.orderedStarts.add(start);
    const numbering = {
      reference: block.type === 'orderedList' ? `ordered-${start}` : BULLET_LIST,
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

/**
 * The whole response as a Word document: its title as Heading 1, each section (in position order) as Heading 2
 * followed by its body, whose headings go two levels down (capped at Heading 6).
 */
export async function responseToDocx(response: ResponseExport): Promise<Buffer> {
  const writer = new DocxWriter();
  const outside: Place = { quotes: 0, level: -1 };
  const children: Paragraph[] = [new Paragraph({ heading: HeadingLevel.HEADING_1, text: response.title })];
  for (const section of inPositionOrder(response.sections)) {
    children.push(new Paragraph({ heading: HeadingLevel.HEADING_2, text: section.title }));
    children.push(...writer.blocks(shiftHeadings(toBlocks(section.body)), outside));
  }
  const document = new Document({
    title: response.title,
    creator: 'Collectifs',
    numbering: {
      config: [
        { reference: BULLET_LIST, levels: bulletLevels() },
        ...[...writer.orderedStarts].map((start) => ({ reference: `ordered-${start}`, levels: orderedLevels(start) })),
      ],
    },
    sections: [{ children }],
  });
  return Packer.toBuffer(document);
}
