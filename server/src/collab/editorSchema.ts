import { isSafeLink } from '../limits/urls.js';

// What the web editor's ProseMirror schema knows (Tiptap StarterKit as configured in
// client/src/features/editor/editorSchema.ts), as y-tiptap stores it in Yjs: nodes are XmlElements named after
// their type with their attributes as element attributes; marks are formatting attributes of text whose value is
// the mark's attributes. y-tiptap cannot build a node or a mark it does not know, and then deletes the whole text
// node or element for everyone (`createTextNodesFromYText`): what is not listed here is refused before it is
// stored. tests/collab/editor-schema.test.ts compares these lists with the client's schema so they cannot drift.

/** Whether one attribute's value is one the editor renders: its type and range. */
export type AttributeCheck = (value: unknown) => boolean;

const optionalString: AttributeCheck = (value) => value === null || (typeof value === 'string' && value.length <= 2_048);
const integerIn =
  (min: number, max: number): AttributeCheck =>
  (value) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const oneOf =
  (...values: readonly unknown[]): AttributeCheck =>
  (value) =>
    values.includes(value);

/**
 * Largest `orderedList.start`: a CommonMark list marker has 1 to 9 digits (0 to 999,999,999), and each item
 * counts on from the start, so 8 digits leave room for any list a body can hold. The editor's input rule writes
 * the number typed before `. ` (digits, so never negative); Tiptap's HTML parsing reads `<ol start>`.
 */
export const MAX_LIST_START = 99_999_999;

/**
 * A code block's language: what Tiptap reads from a `language-…` class (one class name, so no white space) and
 * the Markdown export writes after the opening fence of backticks (its info string may hold neither a backtick
 * nor a line break, else the fence breaks and the code spills into the document).
 */
const codeLanguage: AttributeCheck = (value) =>
  value === null || (typeof value === 'string' && value.length <= 64 && /^[^\s`]*$/.test(value));

/**
 * Node types of the editor's schema that a section body may hold (ProseMirror names), each with the attributes
 * it has and their shapes: `heading.level` 1 to 6, `orderedList.start` an integer 0 to `MAX_LIST_START` (what a
 * Markdown list can start at), `orderedList.type` null or an HTML `<ol type>` (`1`, `a`, `A`, `i`, `I`),
 * `codeBlock.language` null or one word (see `codeLanguage`). Whatever is accepted here, every export renders.
 * `doc` and `text` are not listed: the body is the doc, and text is a Y.XmlText.
 */
export const BODY_NODES: Readonly<Record<string, Readonly<Record<string, AttributeCheck>>>> = {
  paragraph: {},
  heading: { level: integerIn(1, 6) },
  bulletList: {},
  orderedList: { start: integerIn(0, MAX_LIST_START), type: (value) => value === null || oneOf('1', 'a', 'A', 'i', 'I')(value) },
  listItem: {},
  blockquote: {},
  codeBlock: { language: codeLanguage },
  hardBreak: {},
  horizontalRule: {},
};

/** Node types a body may hold (the keys of `BODY_NODES`). */
export const BODY_NODE_TYPES: ReadonlySet<string> = new Set(Object.keys(BODY_NODES));

/**
 * Mark types of the editor's schema, each with its attributes and their shapes. A link goes to a web or e-mail
 * address (a `javascript:` one would run in the browser of whoever follows it, here or in an export).
 */
export const BODY_MARKS: Readonly<Record<string, Readonly<Record<string, AttributeCheck>>>> = {
  bold: {},
  code: {},
  italic: {},
  strike: {},
  underline: {},
  link: {
    href: (value) => isSafeLink(value),
    target: optionalString,
    rel: optionalString,
    class: optionalString,
    title: optionalString,
  },
};

const BLOCK = ['paragraph', 'heading', 'bulletList', 'orderedList', 'blockquote', 'codeBlock', 'horizontalRule'];
const INLINE = ['text', 'hardBreak'];

/** What one node type may hold: its children's types (`text` for a Y.XmlText) and whether their text has marks. */
export interface NodeContent {
  children: ReadonlySet<string>;
  marks: boolean;
}

const content = (children: readonly string[], marks = true): NodeContent => ({ children: new Set(children), marks });

/**
 * Which child types each node type may hold, from the ProseMirror content expressions of StarterKit (`doc`
 * `block+`, paragraph and heading `inline*`, codeBlock `text*` without marks, lists `listItem+`, listItem
 * `paragraph block*`, blockquote `block+`; hardBreak and horizontalRule are leaves). y-tiptap builds each node
 * with `createChecked` and deletes, for everyone, an element whose children it rejects (with all their text),
 * or a text node whose marks it cannot build. `doc` stands for the body. Which child may come first and how many
 * there must be (a listItem starting with a paragraph) is `BODY_ORDER`'s. tests/collab/editor-schema.test.ts
 * walks the client schema's content automata and compares.
 */
export const BODY_CONTENT: Readonly<Record<string, NodeContent>> = {
  doc: content(BLOCK),
  paragraph: content(INLINE),
  heading: content(INLINE),
  bulletList: content(['listItem']),
  orderedList: content(['listItem']),
  listItem: content(BLOCK),
  blockquote: content(BLOCK),
  codeBlock: content(['text'], false),
  hardBreak: content([]),
  horizontalRule: content([]),
};

/** The order a node type's visible children keep: the type its first child must be, if one is required. */
export interface NodeOrder {
  /** The type the first child must have (a listItem's `paragraph`); any allowed child when absent. */
  first?: string;
  /** Fewest children: 1 for the content expressions ending in `+`. */
  min: number;
}

/**
 * The order and minimum of the content expressions of StarterKit, for the node types that have one: listItem
 * `paragraph block*` (a paragraph first, so never empty), lists `listItem+` and blockquote `block+` (never
 * empty); after the first child any allowed child may follow, in any order. y-tiptap builds each node with
 * `createChecked`: a listItem starting with a list or a heading is deleted for everyone with all its text (the
 * list it starts with included), and an empty list or quote is deleted too (by whichever client renders it, which
 * then pushes that deletion as its own edit). `doc` (`block+`) is deliberately absent: every section starts with
 * an empty body, which the editor renders as one empty paragraph (ProseMirror fills the replaced document, see
 * y-tiptap's `_forceRerender`) without deleting anything, and two authors deleting the last blocks at once must
 * not be refused. Paragraph, heading (`inline*`) and codeBlock (`text*`) take any order and may be empty.
 * tests/collab/editor-schema.test.ts compares with the client schema's content automata.
 */
export const BODY_ORDER: Readonly<Record<string, NodeOrder>> = {
  listItem: { first: 'paragraph', min: 1 },
  bulletList: { min: 1 },
  orderedList: { min: 1 },
  blockquote: { min: 1 },
};

/** Whether a node of type `nodeName` has an order or a minimum to keep (see `BODY_ORDER`). */
export function orderMatters(nodeName: string): boolean {
  return Object.hasOwn(BODY_ORDER, nodeName);
}

/**
 * Whether a node of type `nodeName` whose first visible child has type `first` (null when it has none) and which
 * has `count` visible children keeps its order and minimum (see `BODY_ORDER`).
 */
export function orderKept(nodeName: string, first: string | null, count: number): boolean {
  const order = Object.hasOwn(BODY_ORDER, nodeName) ? BODY_ORDER[nodeName] : undefined;
  if (!order) return true;
  if (count < order.min) return false;
  return order.first === undefined || count === 0 || first === order.first;
}

/**
 * Marks of the editor's schema that may overlap themselves (ProseMirror: their type does not exclude itself).
 * y-tiptap stores only those under a hashed key `<name>--<8 chars of hash>` (`marksToAttributes`); every other
 * mark, the link included, is stored under its own name, at most one per character. StarterKit has none: two
 * `link--…` keys on one text would be two links the editor shows while the export keeps one. Compared with the
 * client schema by tests/collab/editor-schema.test.ts.
 */
export const OVERLAPPING_MARKS: ReadonlySet<string> = new Set<string>();

/** Whether a node of type `parent` (`doc` for the body) may hold a child of type `child` (`text` for text). */
export function childAllowed(parent: string, child: string): boolean {
  return Object.hasOwn(BODY_CONTENT, parent) && (BODY_CONTENT[parent] as NodeContent).children.has(child);
}

/** Whether text inside a node of type `parent` may carry marks (a code block's may not). */
export function marksAllowedIn(parent: string): boolean {
  return Object.hasOwn(BODY_CONTENT, parent) && (BODY_CONTENT[parent] as NodeContent).marks;
}

/**
 * The mark a text formatting key stands for: y-tiptap names a mark that may overlap itself `<name>--<8 chars of
 * hash>` (its `yattr2markname`).
 */
export function markNameOf(key: string): string {
  return /(.*)(--[a-zA-Z0-9+/=]{8})$/.exec(key)?.[1] ?? key;
}

function attributesAllowed(attributes: Readonly<Record<string, AttributeCheck>>, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  return Object.entries(value).every(([name, given]) => {
    const check = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    return check !== undefined && (given === undefined || check(given));
  });
}

/**
 * Whether formatting text with `key` = `value` (a Yjs format) gives marks the editor knows, under a key the
 * editor writes (a hashed one only for `OVERLAPPING_MARKS`): `null` removes a mark; a mark without attributes may be set with any object of no keys or `true`/`false` (as `{ bold: true }`
 * written by other Yjs editors); otherwise the value holds only the mark's attributes, each of its shape (a
 * link's `href` is required and safe).
 */
export function formatAllowed(key: string, value: unknown): boolean {
  const name = markNameOf(key);
  // A hashed key only for a mark that may overlap itself: the editor never writes one for any other.
  if (name !== key && !OVERLAPPING_MARKS.has(name)) return false;
  const attributes = Object.hasOwn(BODY_MARKS, name) ? BODY_MARKS[name] : undefined;
  if (attributes === undefined) return false;
  if (value === null) return true;
  const named = Object.keys(attributes).length > 0;
  if (typeof value === 'boolean') return !named;
  if (!attributesAllowed(attributes, value)) return false;
  return name !== 'link' || isSafeLink((value as { href?: unknown }).href);
}

/** Whether element `nodeName` may carry attribute `name` = `value` (a value the editor renders). */
export function nodeAttributeAllowed(nodeName: string, name: string, value: unknown): boolean {
  const attributes = Object.hasOwn(BODY_NODES, nodeName) ? BODY_NODES[nodeName] : undefined;
  const check = attributes && Object.hasOwn(attributes, name) ? attributes[name] : undefined;
  return check !== undefined && check(value);
}
