import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { isSafeLink } from '../limits/urls.js';
import { MAX_LIST_START, nodeAttributeAllowed } from './editorSchema.js';

// A section body is the Y.XmlFragment that y-prosemirror binds to a Tiptap (StarterKit) editor. This module
// reads it into a small typed tree, and renders that tree as plain text (for counts) and Markdown (for export
// and the content hash).

/** Name of the XmlFragment that holds a section's rich text in its Y.Doc. */
export const SECTION_FRAGMENT = 'body';

/** The rich-text body of a section's Y.Doc. */
export function bodyOf(doc: Y.Doc): Y.XmlFragment {
  return doc.getXmlFragment(SECTION_FRAGMENT);
}

/**
 * Deepest element a section body holds, in levels below the body (a paragraph of the body is at 1; each list
 * level adds 2: the list and its item). The editor's schema never needs more than a few dozen; pushes are
 * refused past it (`judgeUpdate`), and `toBlocks` flattens what a body stored before that rule holds deeper, so
 * no reader walks more levels than this.
 */
export const MAX_BODY_DEPTH = 100;

/** Formatting of a text run; a mark that is absent is off. */
export interface Marks {
  bold?: true;
  italic?: true;
  strike?: true;
  underline?: true;
  code?: true;
  link?: { href: string };
}

export type Inline = { type: 'text'; text: string; marks?: Marks } | { type: 'hardBreak' };

export type HeadingLevel = 1 | 2 | 3 | 4 | 5 | 6;

/** An ordered list's numbering other than decimal: HTML `<ol type>` letters (`a`, `A`) or roman numerals (`i`, `I`). */
export type ListType = 'a' | 'A' | 'i' | 'I';
const LIST_TYPES: ReadonlySet<string> = new Set<ListType>(['a', 'A', 'i', 'I']);

export interface ListItem {
  content: Block[];
}

/**
 * A block of a section. Optional fields are left out when they hold the editor's default (`start` 1, no
 * `listType` (decimal), no `language`), so `toBlocks` returns one canonical tree per document. `listType` is the
 * HTML `<ol type>` the editor keeps (Tiptap's `orderedList.type`: `a`/`A` letters, `i`/`I` roman numerals).
 */
export type Block =
  | { type: 'paragraph'; content: Inline[] }
  | { type: 'heading'; level: HeadingLevel; content: Inline[] }
  | { type: 'bulletList'; items: ListItem[] }
  | { type: 'orderedList'; start?: number; listType?: ListType; items: ListItem[] }
  | { type: 'blockquote'; content: Block[] }
  | { type: 'codeBlock'; language?: string; text: string }
  | { type: 'horizontalRule' };

// Fixed order of the simple marks: the order delimiters open in Markdown, outermost first.
const SIMPLE_MARKS = ['bold', 'italic', 'strike', 'underline', 'code'] as const;
type SimpleMark = (typeof SIMPLE_MARKS)[number];

const attribute = (element: Y.XmlElement, name: string): unknown => (element.getAttributes() as Record<string, unknown>)[name];

// y-prosemirror stores a mark as an attribute holding its attrs (`{}` for most) or `true`; null or false is off.
const isOn = (value: unknown) => value !== undefined && value !== null && value !== false;

function marksOf(attributes: Record<string, unknown> | undefined): Marks | undefined {
  if (!attributes) return undefined;
  const marks: Marks = {};
  for (const [rawName, value] of Object.entries(attributes)) {
    // y-prosemirror suffixes marks that may overlap themselves with `--<hash>`.
    const name = rawName.split('--')[0];
    if (!isOn(value)) continue;
    if (name === 'link') {
      const href = typeof value === 'object' && value !== null ? (value as { href?: unknown }).href : undefined;
      // An unsafe address (`javascript:`, stored before pushes were checked) is no link: its text stays, plain,
      // in every reader (Markdown, DOCX, counts), so no export ever carries it.
      if (typeof href === 'string' && isSafeLink(href)) marks.link = { href };
    } else if ((SIMPLE_MARKS as readonly string[]).includes(name ?? '')) {
      marks[name as SimpleMark] = true;
    }
  }
  return Object.keys(marks).length > 0 ? marks : undefined;
}

const sameMarks = (a: Marks | undefined, b: Marks | undefined) =>
  SIMPLE_MARKS.every((mark) => a?.[mark] === b?.[mark]) && a?.link?.href === b?.link?.href;

function readInline(children: ReadonlyArray<unknown>): Inline[] {
  const inline: Inline[] = [];
  const push = (text: string, marks: Marks | undefined) => {
    if (text === '') return;
    const last = inline.at(-1);
    if (last?.type === 'text' && sameMarks(last.marks, marks)) last.text += text;
    else inline.push(marks ? { type: 'text', text, marks } : { type: 'text', text });
  };
  // Depth first with a stack of child lists, not recursion: inline elements may nest as deep as a body was stored.
  const stack: Array<{ children: ReadonlyArray<unknown>; next: number }> = [{ children, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { children: ReadonlyArray<unknown>; next: number };
    if (top.next >= top.children.length) {
      stack.pop();
      continue;
    }
    const child = top.children[top.next];
    top.next += 1;
    if (child instanceof Y.XmlText) {
      for (const op of child.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>) {
        if (typeof op.insert === 'string') push(op.insert, marksOf(op.attributes));
      }
    } else if (child instanceof Y.XmlElement && child.nodeName === 'hardBreak') {
      inline.push({ type: 'hardBreak' });
    } else if (child instanceof Y.XmlElement) {
      // An inline node StarterKit doesn't have (a mention, say): keep its text.
      stack.push({ children: child.toArray(), next: 0 });
    }
  }
  return inline;
}

/** Elements whose children are inline content: past `MAX_BODY_DEPTH` each becomes one paragraph of its text. */
const TEXT_BLOCKS = new Set(['paragraph', 'heading', 'codeBlock']);

/**
 * What a body stored before the depth rule holds past `MAX_BODY_DEPTH`: its text, one paragraph per text block
 * (or text straight under a container), in document order, with no list or quote structure left. Iterative.
 */
function flatten(element: Y.XmlElement): Block[] {
  const blocks: Block[] = [];
  const stack: unknown[] = [element];
  while (stack.length > 0) {
    const node = stack.pop();
    let content: Inline[] = [];
    if (node instanceof Y.XmlText) content = readInline([node]);
    else if (node instanceof Y.XmlElement && TEXT_BLOCKS.has(node.nodeName)) content = readInline(node.toArray());
    else if (node instanceof Y.XmlElement) {
      const children = node.toArray();
      for (let index = children.length - 1; index >= 0; index -= 1) stack.push(children[index]);
    }
    if (content.length > 0) blocks.push({ type: 'paragraph', content });
  }
  return blocks;
}

function headingLevel(value: unknown): HeadingLevel {
  const level = Math.trunc(Number(value));
  return (Number.isFinite(level) ? Math.min(6, Math.max(1, level)) : 1) as HeadingLevel;
}

// `depth` is the level of the children read (1 for the body's). Each level is a few frames of recursion, and
// there are at most MAX_BODY_DEPTH of them: deeper elements are flattened.
function readBlocks(parent: Y.XmlFragment | Y.XmlElement, depth: number): Block[] {
  const blocks: Block[] = [];
  for (const child of parent.toArray()) {
    if (child instanceof Y.XmlText) {
      // Text straight under a block container isn't a Tiptap shape, but its words must not be lost.
      const content = readInline([child]);
      if (content.length > 0) blocks.push({ type: 'paragraph', content });
    } else if (child instanceof Y.XmlElement) {
      // One at a time: a flattened element may give more blocks than a call takes arguments.
      for (const block of readBlock(child, depth)) blocks.push(block);
    }
  }
  return blocks;
}

function readItems(list: Y.XmlElement, depth: number): ListItem[] {
  return list
    .toArray()
    .filter((child): child is Y.XmlElement => child instanceof Y.XmlElement)
    .map((item) => ({
      content:
        depth + 1 > MAX_BODY_DEPTH
          ? flatten(item)
          : item.nodeName === 'listItem'
            ? readBlocks(item, depth + 2)
            : readBlock(item, depth + 1),
    }));
}

/** Reads `element`, at level `depth` of the body. */
function readBlock(element: Y.XmlElement, depth: number): Block[] {
  // A list or quote here would hold elements past the bound (a text block's inline content is read iteratively).
  if (depth >= MAX_BODY_DEPTH && !TEXT_BLOCKS.has(element.nodeName) && element.nodeName !== 'horizontalRule')
    return flatten(element);
  // A list this deep would hold its items' blocks past the bound (an item is one level, its blocks the next).
  if (depth + 2 > MAX_BODY_DEPTH && (element.nodeName === 'bulletList' || element.nodeName === 'orderedList'))
    return flatten(element);
  switch (element.nodeName) {
    case 'paragraph':
      return [{ type: 'paragraph', content: readInline(element.toArray()) }];
    case 'heading':
      return [{ type: 'heading', level: headingLevel(attribute(element, 'level')), content: readInline(element.toArray()) }];
    case 'bulletList':
      return [{ type: 'bulletList', items: readItems(element, depth) }];
    case 'orderedList': {
      // Pushes keep the start within what a Markdown list can start at; rows stored before that rule are read
      // within it too, so every export renders a list.
      const read = Math.trunc(Number(attribute(element, 'start') ?? 1));
      const start = Number.isFinite(read) ? Math.min(MAX_LIST_START, Math.max(0, read)) : 1;
      const items = readItems(element, depth);
      const listType = attribute(element, 'type');
      return [
        {
          type: 'orderedList',
          ...(Number.isFinite(start) && start !== 1 ? { start } : {}),
          ...(typeof listType === 'string' && LIST_TYPES.has(listType) ? { listType: listType as ListType } : {}),
          items,
        },
      ];
    }
    case 'blockquote':
      return [{ type: 'blockquote', content: readBlocks(element, depth + 1) }];
    case 'codeBlock': {
      // A language that would break the Markdown fence (stored before pushes were checked) is left out.
      const given = attribute(element, 'language');
      const language = nodeAttributeAllowed('codeBlock', 'language', given) ? given : undefined;
      const text = readInline(element.toArray())
        .map((run) => (run.type === 'text' ? run.text : '\n'))
        .join('');
      return [
        typeof language === 'string' && language !== '' ? { type: 'codeBlock', language, text } : { type: 'codeBlock', text },
      ];
    }
    case 'horizontalRule':
      return [{ type: 'horizontalRule' }];
    default:
      // A node StarterKit doesn't have (a table, a task list): keep the blocks inside it.
      return readBlocks(element, depth + 1);
  }
}

/**
 * Reads a section body into the block tree. Adjacent runs with the same marks are merged; empty runs dropped.
 * Lists and quotes deeper than `MAX_BODY_DEPTH` (only in a body stored before pushes were bounded) come out
 * flattened into paragraphs of their text at that level, so the tree, and every walk over it, stays that shallow.
 */
export function toBlocks(fragment: Y.XmlFragment): Block[] {
  return readBlocks(fragment, 1);
}

function markAttributes(marks: Marks | undefined): Record<string, object> {
  const attributes: Record<string, object> = {};
  for (const mark of SIMPLE_MARKS) if (marks?.[mark]) attributes[mark] = {};
  if (marks?.link) attributes.link = { href: marks.link.href };
  return attributes;
}

function writeInline(element: Y.XmlElement, content: readonly Inline[]) {
  let text: Y.XmlText | null = null;
  for (const run of content) {
    if (run.type === 'hardBreak') {
      element.insert(element.length, [new Y.XmlElement('hardBreak')]);
      text = null;
      continue;
    }
    if (!text) {
      text = new Y.XmlText();
      element.insert(element.length, [text]);
    }
    // Explicit attributes, even `{}`: without them Yjs would extend the formatting of the run before.
    text.insert(text.length, run.text, markAttributes(run.marks));
  }
}

function writeBlock(parent: Y.XmlFragment | Y.XmlElement, block: Block, index = parent.length) {
  const element = new Y.XmlElement<{ [key: string]: string | number }>(block.type);
  parent.insert(index, [element as Y.XmlElement]);
  switch (block.type) {
    case 'paragraph':
      writeInline(element as Y.XmlElement, block.content);
      break;
    case 'heading':
      element.setAttribute('level', block.level);
      writeInline(element as Y.XmlElement, block.content);
      break;
    case 'orderedList':
      element.setAttribute('start', block.start ?? 1);
      if (block.listType) element.setAttribute('type', block.listType);
      writeItems(element as Y.XmlElement, block.items);
      break;
    case 'bulletList':
      writeItems(element as Y.XmlElement, block.items);
      break;
    case 'blockquote':
      for (const child of block.content) writeBlock(element as Y.XmlElement, child);
      break;
    case 'codeBlock':
      if (block.language) element.setAttribute('language', block.language);
      if (block.text !== '') element.insert(0, [new Y.XmlText(block.text)]);
      break;
    case 'horizontalRule':
      break;
  }
}

function writeItems(list: Y.XmlElement, items: readonly ListItem[]) {
  for (const item of items) {
    const element = new Y.XmlElement('listItem');
    list.insert(list.length, [element]);
    for (const child of item.content) writeBlock(element, child);
  }
}

/**
 * Appends blocks to a fragment, in the shape y-prosemirror gives a Tiptap document (for tests and the seed).
 * `toBlocks(writeBlocks(fragment, blocks))` equals `blocks` when the tree is canonical, as `toBlocks` returns it.
 */
export function writeBlocks(fragment: Y.XmlFragment, blocks: readonly Block[]): Y.XmlFragment {
  const write = () => {
    for (const block of blocks) writeBlock(fragment, block);
  };
  if (fragment.doc) fragment.doc.transact(write);
  else write();
  return fragment;
}

/**
 * Levels of nesting whose deletion one transaction takes when a deep body is rewritten: Yjs deletes a type's children,
 * and collects them (gc) at the end of the transaction, recursively, a few stack frames per level, so a body nested
 * thousands deep deleted at once overflows the stack. Deleted from the deepest level up, a chunk at a time, each
 * transaction recurses at most this many levels.
 */
const DELETED_LEVELS_PER_TRANSACTION = 50;

/** The elements under `element` (itself first), level by level, read iteratively: `[[element], its children, …]`. */
function levelsOf(element: Y.XmlElement): Y.XmlElement[][] {
  const levels: Y.XmlElement[][] = [];
  for (let level = [element]; level.length > 0; ) {
    levels.push(level);
    level = level.flatMap((parent) => parent.toArray().filter((child): child is Y.XmlElement => child instanceof Y.XmlElement));
  }
  return levels;
}

/** Whether a body holds an element deeper than `MAX_BODY_DEPTH` (one stored before pushes were bounded). Iterative. */
export function nestsTooDeep(fragment: Y.XmlFragment): boolean {
  return fragment.toArray().some((child) => child instanceof Y.XmlElement && levelsOf(child).length > MAX_BODY_DEPTH);
}

/**
 * Rewrites each block of a body that nests deeper than `MAX_BODY_DEPTH` (stored before pushes were bounded) as
 * `toBlocks` reads it: the same block, its part past the bound flattened into paragraphs of its text, in order. The
 * old block is deleted from its deepest level up, `DELETED_LEVELS_PER_TRANSACTION` levels per transaction, so Yjs
 * never recurses through the whole depth (which overflows the stack, as a restore or a co-author's deletion of it
 * would); the doc must collect deleted content (`gc`, the default), so that what it encodes holds none of the old
 * nesting. Returns how many blocks were rewritten (0: nothing was that deep, nothing changed).
 */
export function rewriteDeepBlocks(doc: Y.Doc): number {
  const body = bodyOf(doc);
  const children = body.toArray();
  let rewritten = 0;
  for (let index = children.length - 1; index >= 0; index -= 1) {
    const child = children[index];
    if (!(child instanceof Y.XmlElement)) continue;
    const levels = levelsOf(child);
    if (levels.length <= MAX_BODY_DEPTH) continue;
    const blocks = readBlock(child, 1);
    for (let level = levels.length - 1; level >= 0; level -= DELETED_LEVELS_PER_TRANSACTION) {
      doc.transact(() => {
        for (let emptied = level; emptied > level - DELETED_LEVELS_PER_TRANSACTION && emptied >= 0; emptied -= 1)
          for (const element of levels[emptied] ?? []) if (element.length > 0) element.delete(0, element.length);
      });
    }
    doc.transact(() => {
      body.delete(index, 1);
      for (const [offset, block] of blocks.entries()) writeBlock(body, block, index + offset);
    });
    rewritten += 1;
  }
  return rewritten;
}

const inlineText = (content: readonly Inline[]) => content.map((run) => (run.type === 'text' ? run.text : '\n')).join('');

function blockLines(block: Block): string[] {
  switch (block.type) {
    case 'paragraph':
    case 'heading':
      return [inlineText(block.content)];
    case 'bulletList':
    case 'orderedList':
      return block.items.flatMap((item) => item.content.flatMap(blockLines));
    case 'blockquote':
      return block.content.flatMap(blockLines);
    case 'codeBlock':
      return [block.text];
    case 'horizontalRule':
      return [];
  }
}

/**
 * The text of a section: one line per paragraph, heading, code block and list item paragraph (no list
 * markers), a hard break as a line break. Horizontal rules give no line.
 */
export function toPlainText(fragment: Y.XmlFragment): string {
  return toBlocks(fragment).flatMap(blockLines).join('\n');
}

// Letters and digits (with their combining accents), joined by apostrophes (' ’ ʼ) or hyphens (- ‐ ‑) into
// one word, and digits joined by a decimal comma or point: "aujourd'hui", "mémoire-technique", "12,5".
const WORD_PART = '[\\p{L}\\p{N}]\\p{M}*(?:[\\p{L}\\p{N}]\\p{M}*)*';
const WORD = new RegExp(`${WORD_PART}(?:(?:['\u2019\u02BC\\-\u2010\u2011]|(?<=\\p{N})[.,](?=\\p{N}))${WORD_PART})*`, 'gu');

/**
 * Counts words: runs of letters and digits, joined by apostrophes or hyphens ("l'offre", "sous-traitance" are
 * one word each) or, between digits, by a decimal comma or point ("12,5"). Symbols and punctuation alone ("%",
 * "€", "—") are no word. Every space, non-breaking ones included, separates words: "10 000" is two.
 */
export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

/**
 * Counts characters as tenders do ("espaces compris"): Unicode code points after NFC normalization (so "é" is
 * one, typed composed or not), spaces of every kind included, line breaks (\n, \r) excluded, whether they
 * separate blocks or come from a hard break.
 */
export function countCharacters(text: string): number {
  let count = 0;
  for (const char of text.normalize('NFC')) if (char !== '\n' && char !== '\r') count += 1;
  return count;
}

/** Word and character counts of a section body, on its plain text. */
export function textFigures(fragment: Y.XmlFragment): { words: number; characters: number } {
  const text = toPlainText(fragment);
  return { words: countWords(text), characters: countCharacters(text) };
}

const MARK_DELIMITERS: Record<Exclude<SimpleMark, 'code'>, [open: string, close: string]> = {
  bold: ['**', '**'],
  italic: ['_', '_'],
  strike: ['~~', '~~'],
  // Markdown has no underline: inline HTML keeps it, and keeps the content hash sensitive to it.
  underline: ['<u>', '</u>'],
};

function escapeText(text: string): string {
  return text.replace(/[\\`*_[\]<>~]/g, '\\$&').replace(/&(?=#?[a-z0-9]+;)/gi, '\\&');
}

// What would turn the start of a line into a heading, quote, list item, rule or setext underline.
function escapeLineStart(line: string): string {
  return line.replace(/^(\s*)([#+=-])/, '$1\\$2').replace(/^(\s*\d{1,9})([.)])/, '$1\\$2');
}

function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space on each side when both are there, and a backtick would join the fence.
  const pad = /^`|`$/.test(text) || (/^ .* $/.test(text) && text.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

const linkDestination = (href: string) =>
  href
    .replace(/[()\\]/g, '\\$&')
    .replace(/ /g, '%20')
    .replace(/</g, '%3C')
    .replace(/>/g, '%3E');

type OpenMark = { mark: Exclude<SimpleMark, 'code'> } | { mark: 'link'; href: string };

const hasMark = (marks: Marks | undefined, open: OpenMark) =>
  open.mark === 'link' ? marks?.link?.href === open.href : marks?.[open.mark] === true;

function keepOpen(marks: Marks | undefined, open: readonly OpenMark[]): Marks | undefined {
  const kept: Marks = {};
  for (const mark of open) {
    if (!hasMark(marks, mark)) continue;
    if (mark.mark === 'link') kept.link = { href: mark.href };
    else kept[mark.mark] = true;
  }
  return kept;
}

/**
 * Renders inline runs. Open marks form a stack: a run closes the marks it lacks (and those opened inside them)
 * and opens its new ones, so "**a _b_ c**" stays one bold span. Whitespace is moved outside the delimiters,
 * which CommonMark would not take as emphasis next to a space.
 */
function renderInline(content: readonly Inline[], hardBreak: string): string {
  let out = '';
  const open: OpenMark[] = [];
  const close = (keep: number) => {
    const trailing = /\s*$/.exec(out)?.[0] ?? '';
    out = out.slice(0, out.length - trailing.length);
    while (open.length > keep) {
      const last = open.pop();
      if (last?.mark === 'link') out += `](${linkDestination(last.href)})`;
      else if (last) out += MARK_DELIMITERS[last.mark][1];
    }
    out += trailing;
  };
  for (const run of content) {
    if (run.type === 'hardBreak') {
      close(0);
      out += hardBreak;
      continue;
    }
    // Delimiters around whitespace alone would render literally: a blank run only keeps the marks already open.
    const marks: Marks | undefined = run.text.trim() === '' && !run.marks?.code ? keepOpen(run.marks, open) : run.marks;
    let keep = 0;
    while (keep < open.length && hasMark(marks, open[keep] as OpenMark)) keep += 1;
    close(keep);
    const wanted: OpenMark[] = [
      ...(marks?.link ? [{ mark: 'link' as const, href: marks.link.href }] : []),
      ...SIMPLE_MARKS.filter((mark): mark is Exclude<SimpleMark, 'code'> => mark !== 'code' && marks?.[mark] === true).map(
        (mark) => ({ mark }),
      ),
    ].filter((mark) => !open.some((already) => already.mark === mark.mark));
    let text = run.text;
    if (wanted.length > 0) {
      const leading = /^\s*/.exec(text)?.[0] ?? '';
      out += leading;
      text = text.slice(leading.length);
      for (const mark of wanted) {
        out += mark.mark === 'link' ? '[' : MARK_DELIMITERS[mark.mark][0];
        open.push(mark);
      }
    }
    out += marks?.code ? codeSpan(text) : escapeText(text);
  }
  close(0);
  return out;
}

const indentLines = (text: string, first: string, rest: string) =>
  text
    .split('\n')
    .map((line, index) => (line === '' ? '' : (index === 0 ? first : rest) + line))
    .join('\n');

function renderParagraph(content: readonly Inline[]): string {
  // A CommonMark hard break is a backslash at the end of the line; each line may start a block of its own.
  return renderInline(content, '\\\n').split('\n').map(escapeLineStart).join('\n');
}

function renderList(block: Extract<Block, { type: 'bulletList' | 'orderedList' }>, alternate: boolean): string {
  // CommonMark numbers lists in decimals only: a list in letters or roman numerals (`listType`) is numbered 1., 2.…
  // here, and as the editor shows it in the Word export.
  return block.items
    .map((item, index) => {
      const marker =
        block.type === 'bulletList' ? (alternate ? '*' : '-') : `${(block.start ?? 1) + index}${alternate ? ')' : '.'}`;
      const body = renderBlocks(item.content, true);
      // Content lines are indented to the width of the marker, as CommonMark needs to keep them in the item.
      return body === '' ? marker : indentLines(body, `${marker} `, ' '.repeat(marker.length + 1));
    })
    .join('\n');
}

function renderBlock(block: Block, alternate: boolean): string {
  switch (block.type) {
    case 'paragraph':
      return renderParagraph(block.content);
    case 'heading': {
      const text = renderInline(block.content, ' ').replace(/(^|\s)(#+)\s*$/, '$1\\$2');
      return `${'#'.repeat(block.level)}${text === '' ? '' : ` ${text}`}`;
    }
    case 'bulletList':
    case 'orderedList':
      return renderList(block, alternate);
    case 'blockquote':
      return renderBlocks(block.content, false)
        .split('\n')
        .map((line) => (line === '' ? '>' : `> ${line}`))
        .join('\n');
    case 'codeBlock': {
      const longest = Math.max(2, ...(block.text.match(/^`{3,}/gm) ?? []).map((run) => run.length));
      const fence = '`'.repeat(longest + 1);
      return `${fence}${block.language ?? ''}\n${block.text}${block.text === '' ? '' : '\n'}${fence}`;
    }
    case 'horizontalRule':
      return '---';
  }
}

function renderBlocks(blocks: readonly Block[], inListItem: boolean): string {
  let out = '';
  let previous: Block | undefined;
  let alternate = false;
  for (const block of blocks) {
    // Two lists of a kind in a row, with the same marker, would merge into one: every other one gets `*` or `)`.
    const alternates: boolean = previous?.type === block.type && !alternate;
    const text = renderBlock(block, alternates);
    // An empty paragraph has no Markdown.
    if (text === '') continue;
    alternate = alternates;
    // In a list item, a nested list follows its paragraph directly, keeping the list tight.
    const separator = inListItem && (block.type === 'bulletList' || block.type === 'orderedList') ? '\n' : '\n\n';
    out += out === '' ? text : separator + text;
    previous = block;
  }
  return out;
}

/** Renders blocks as CommonMark (with `~~` strikethrough and `<u>` underline), with no trailing newline. */
export function blocksToMarkdown(blocks: readonly Block[]): string {
  return renderBlocks(blocks, false);
}

/** A section body as Markdown; see `blocksToMarkdown`. */
export function toMarkdown(fragment: Y.XmlFragment): string {
  return blocksToMarkdown(toBlocks(fragment));
}

/** SHA-256 (hex) of the body's Markdown: approvals are tied to it, so a change of formatting is a change. */
export function contentHash(fragment: Y.XmlFragment): string {
  return createHash('sha256').update(toMarkdown(fragment)).digest('hex');
}
