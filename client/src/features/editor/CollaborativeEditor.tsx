import { Extension } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { type EditorState, Plugin, PluginKey } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';
import { EditorContent, useEditor } from '@tiptap/react';
import { relativePositionToAbsolutePosition, ySyncPluginKey, yUndoPluginKey } from '@tiptap/y-tiptap';
import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import { EditorToolbar } from './EditorToolbar';
import { schemaExtensions } from './editorSchema';
import type { SectionSync } from './sectionSync';
import { editorStrings as t } from './strings';

/**
 * A remote person's caret: a coloured bar with their name. The viewer's own other tabs draw nothing: one's own
 * caret is never shown as someone else's.
 */
function renderCaret(
  user: { name?: string | null; color?: string | null; memberId?: string },
  viewerId: string | null,
): HTMLElement {
  const caret = document.createElement('span');
  if (viewerId && user.memberId === viewerId) return caret;
  caret.classList.add('collaboration-carets__caret');
  caret.dataset.testid = 'remote-caret';
  caret.style.borderColor = user.color ?? '#1971c2';
  const label = document.createElement('span');
  label.classList.add('collaboration-carets__label');
  label.style.backgroundColor = user.color ?? '#1971c2';
  label.textContent = user.name ?? '';
  caret.append(label);
  return caret;
}

const unsavedKey = new PluginKey('unsavedEdits');

/** Where the character with this Yjs item ID sits in the editor now, or null when it is not in the text. */
function positionOf(state: EditorState, client: number, clock: number): number | null {
  const ystate = ySyncPluginKey.getState(state);
  if (!ystate?.binding) return null;
  const relative = Y.createRelativePositionFromJSON({ item: { client, clock }, assoc: 0 });
  return relativePositionToAbsolutePosition(ystate.doc, ystate.type, relative, ystate.binding.mapping);
}

/**
 * The text the server refused, highlighted as not saved (`data-testid="unsaved-edit"`), character runs as the
 * sync recorded them; text deleted since is simply no longer there to mark.
 */
function unsavedDecorations(state: EditorState, sync: SectionSync): DecorationSet {
  const runs = sync.refusedRuns;
  if (runs.length === 0) return DecorationSet.empty;
  const decorations: Decoration[] = [];
  for (const run of runs) {
    const from = positionOf(state, run.client, run.clock);
    const last = positionOf(state, run.client, run.clock + run.length - 1);
    if (from === null || last === null || last + 1 <= from) continue;
    decorations.push(
      Decoration.inline(from, Math.min(last + 1, state.doc.content.size), {
        class: 'unsaved-edit',
        'data-testid': 'unsaved-edit',
        title: t.unsaved.mark,
      }),
    );
  }
  return DecorationSet.create(state.doc, decorations);
}

/** Tiptap bound to the section's Yjs document (`body` fragment), with everyone else's caret and selection. */
export function CollaborativeEditor({
  sync,
  title,
  editable,
  viewerId = null,
  unsaved = false,
}: {
  sync: SectionSync;
  title: string;
  editable: boolean;
  viewerId?: string | null;
  /** Some edits typed here were refused: their text is marked (and the frame too). */
  unsaved?: boolean;
}) {
  const [linkRequests, setLinkRequests] = useState(0);
  const editor = useEditor(
    {
      extensions: [
        // The schema the server judges pushes against (editorSchema.ts).
        ...schemaExtensions(),
        // Ctrl/⌘+K asks the toolbar for the link field.
        Extension.create({
          name: 'linkShortcut',
          addKeyboardShortcuts: () => ({
            'Mod-k': () => {
              setLinkRequests((count) => count + 1);
              return true;
            },
          }),
        }),
        Collaboration.configure({ document: sync.doc, field: 'body' }),
        Extension.create({
          name: 'unsavedEdits',
          addProseMirrorPlugins: () => [
            new Plugin({ key: unsavedKey, props: { decorations: (state) => unsavedDecorations(state, sync) } }),
          ],
        }),
        CollaborationCaret.configure({
          provider: { awareness: sync.awareness },
          user: { name: '', color: '' },
          render: (user) => renderCaret(user, viewerId),
          // A co-author's selection in their colour, not only their caret.
          selectionRender: (user) =>
            viewerId && user.memberId === viewerId
              ? {}
              : {
                  class: 'collaboration-carets__selection',
                  style: `background-color: ${user.color || '#1971c2'}33`,
                  'data-testid': 'remote-selection',
                },
        }),
      ],
      editable,
      editorProps: {
        attributes: {
          'aria-label': t.editorLabel(title),
          'aria-multiline': 'true',
          role: 'textbox',
          class: 'prose-editor',
        },
      },
    },
    [sync],
  );

  useEffect(() => {
    if (editor && editor.isEditable !== editable) editor.setEditable(editable);
  }, [editor, editable]);

  // The refused runs changed: redraw the marks (the decorations are read on every view update).
  useEffect(() => {
    if (editor && !editor.isDestroyed) editor.view.dispatch(editor.state.tr.setMeta(unsavedKey, unsaved));
  }, [editor, unsaved]);
  // The editor repaired a shape it could not build (sectionSync.ts, `isEditorRepair`): the view is drawn again
  // from the document, which no longer holds the item, and the undo history, which holds the repair, is forgotten
  // (undoing it wrote the item's deletion out as an edit: its text lost on the server, measured in
  // tests/browser/editor-repair.test.ts).
  useEffect(() => {
    if (!editor) return;
    return sync.onRepaired(() => {
      if (editor.isDestroyed) return;
      yUndoPluginKey.getState(editor.state)?.undoManager?.clear();
      ySyncPluginKey.getState(editor.state)?.binding?._forceRerender();
    });
  }, [editor, sync]);
  useEffect(() => {
    if (!editor) return;
    return sync.onUnsavedChanged(() => {
      if (!editor.isDestroyed) editor.view.dispatch(editor.state.tr.setMeta(unsavedKey, true));
    });
  }, [editor, sync]);

  return (
    <div className={`editor-frame${unsaved ? ' editor-frame--unsaved' : ''}`} data-testid="editor" data-unsaved={unsaved}>
      {editor && editable ? <EditorToolbar editor={editor} linkRequests={linkRequests} /> : null}
      <EditorContent editor={editor} />
    </div>
  );
}
