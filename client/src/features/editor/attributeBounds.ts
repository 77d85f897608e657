import { Plugin, type Transaction } from '@tiptap/pm/state';
import { ySyncPluginKey } from '@tiptap/y-tiptap';

/**
 * Largest `orderedList.start` the server stores (`MAX_LIST_START` in server/src/collab/editorSchema.ts, checked
 * equal by tests/client/attribute-bounds.test.ts): a Markdown list marker has at most 9 digits.
 */
export const MAX_LIST_START = 99_999_999;

const LIST_TYPES = new Set(['1', 'a', 'A', 'i', 'I']);

/** A code block language the server stores: one word of at most 64 characters, no backtick (else null). */
function codeLanguage(value: unknown): string | null {
  return typeof value === 'string' && value.length <= 64 && /^[^\s`]*$/.test(value) ? value : null;
}

/** The attributes `node` should have to be stored, or null when it already has them. */
function bounded(name: string, attrs: Record<string, unknown>): Record<string, unknown> | null {
  if (name === 'orderedList') {
    const raw = Number(attrs.start);
    const start = Number.isInteger(raw) ? Math.min(Math.max(raw, 0), MAX_LIST_START) : 1;
    const type = attrs.type === null || LIST_TYPES.has(attrs.type as string) ? attrs.type : null;
    return start === attrs.start && type === attrs.type ? null : { ...attrs, start, type };
  }
  if (name === 'codeBlock') {
    const language = codeLanguage(attrs.language);
    return language === attrs.language ? null : { ...attrs, language };
  }
  return null;
}

/**
 * Keeps the attributes the editor writes within what the server stores (server/src/collab/editorSchema.ts
 * `BODY_NODES`): Tiptap's input rule writes any number typed before `. ` as a list's start (1234567890), and
 * pasted HTML can bring `<ol start="-3">`, an unknown `type` or a `language-…` class with a backtick. Unbounded,
 * such an edit is refused by the server and everything typed after it with it. Only nodes in the ranges this
 * page's own transactions changed are looked at, so typing pays nothing on a long body.
 */
export function attributeBounds(): Plugin {
  return new Plugin({
    appendTransaction(transactions: readonly Transaction[], _old, state) {
      // What y-tiptap writes from the Yjs document (a co-author's stored edit, undo) replaces the whole document:
      // walking it at every remote keystroke would cost the size of the body; the server judged it already.
      const local = (tr: Transaction) => tr.docChanged && !tr.getMeta(ySyncPluginKey)?.isChangeOrigin;
      if (!transactions.some(local)) return null;
      // Changed ranges in the new document: each step's map, carried through the later steps and transactions.
      const ranges: Array<[number, number]> = [];
      transactions.forEach((tr, at) => {
        if (!local(tr)) return;
        const later = transactions.slice(at + 1);
        tr.mapping.maps.forEach((map, index) => {
          const rest = tr.mapping.slice(index + 1);
          map.forEach((_from, _to, start, end) => {
            let [from, to] = [rest.map(start, -1), rest.map(end, 1)];
            for (const next of later) [from, to] = [next.mapping.map(from, -1), next.mapping.map(to, 1)];
            ranges.push([from, to]);
          });
        });
      });
      const fix = state.tr;
      const size = state.doc.content.size;
      for (const [from, to] of ranges) {
        state.doc.nodesBetween(Math.max(0, Math.min(from, size)), Math.max(0, Math.min(to, size)), (node, pos) => {
          const attrs = bounded(node.type.name, node.attrs);
          if (attrs) fix.setNodeMarkup(pos, undefined, attrs);
        });
      }
      return fix.docChanged ? fix : null;
    },
  });
}
