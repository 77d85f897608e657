import { EditorState, TextSelection } from '@tiptap/pm/state';
import { prosemirrorToYXmlFragment } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { attributeBounds, MAX_LIST_START } from '../../client/src/features/editor/attributeBounds.js';
import { editorSchema } from '../../client/src/features/editor/editorSchema.js';
import { checkUpdate } from '../../server/src/collab/documents.js';
import { MAX_LIST_START as SERVER_MAX_LIST_START } from '../../server/src/collab/editorSchema.js';

// What a person types or pastes stays within what the server stores (attack of 2026-11-30: "1234567890. " typed in
// the editor, or a pasted <ol start="-3">, made an edit the server refuses, and every edit after it with it).

const schema = editorSchema();

/** A state holding one paragraph, with the bounds plugin. */
function start(): EditorState {
  return EditorState.create({ schema, doc: schema.node('doc', null, [schema.node('paragraph')]), plugins: [attributeBounds()] });
}

/** Whether the server's judge accepts the document as a section body. */
function storable(state: EditorState): boolean {
  const doc = new Y.Doc();
  prosemirrorToYXmlFragment(state.doc, doc.getXmlFragment('body'));
  try {
    checkUpdate(Y.encodeStateAsUpdate(doc));
    return true;
  } catch {
    return false;
  }
}

describe('Attribute bounds in the editor', () => {
  it('should bound the limits the server applies, with the same figures', () => {
    expect(MAX_LIST_START).toBe(SERVER_MAX_LIST_START);
  });

  it.each([
    [1_234_567_890, null, MAX_LIST_START, null],
    [-3, 'z', 0, null],
    [7, 'a', 7, 'a'],
  ])('should keep an ordered list starting at %s (type %s) storable: %s, %s', (startAt, type, expected, expectedType) => {
    const state = start();
    const list = schema.node('orderedList', { start: startAt, type }, [
      schema.node('listItem', null, [schema.node('paragraph', null, [schema.text('Lot')])]),
    ]);
    const pasted = state.apply(state.tr.replaceWith(0, state.doc.content.size, list));
    const node = pasted.doc.firstChild;
    expect(node?.attrs.start).toBe(expected);
    expect(node?.attrs.type).toBe(expectedType);
    expect(storable(pasted)).toBe(true);
  });

  it('should drop a code block language the Markdown fence cannot hold, and leave typing alone', () => {
    const state = start();
    const block = schema.node('codeBlock', { language: 'js`\nrm' }, [schema.text('x = 1')]);
    const pasted = state.apply(state.tr.replaceWith(0, state.doc.content.size, block));
    expect(pasted.doc.firstChild?.attrs.language).toBe(null);
    expect(storable(pasted)).toBe(true);
    const typed = pasted.apply(pasted.tr.setSelection(TextSelection.create(pasted.doc, 2)).insertText('y'));
    expect(typed.doc.firstChild?.textContent).toBe('xy = 1');
  });

  it('should refuse, on the server, what the editor would have written without it', () => {
    const doc = new Y.Doc();
    const list = schema.node('orderedList', { start: 1_234_567_890 }, [
      schema.node('listItem', null, [schema.node('paragraph', null, [schema.text('Lot')])]),
    ]);
    prosemirrorToYXmlFragment(schema.node('doc', null, [list]), doc.getXmlFragment('body'));
    expect(() => checkUpdate(Y.encodeStateAsUpdate(doc))).toThrow(/start/);
  });
});
