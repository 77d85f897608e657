import { Extension } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { EditorContent, useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useEffect, useState } from 'react';
import { EditorToolbar } from './EditorToolbar';
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

/** Tiptap bound to the section's Yjs document (`body` fragment), with everyone else's caret and selection. */
export function CollaborativeEditor({
  sync,
  title,
  editable,
  viewerId = null,
}: {
  sync: SectionSync;
  title: string;
  editable: boolean;
  viewerId?: string | null;
}) {
  const [linkRequests, setLinkRequests] = useState(0);
  const editor = useEditor(
    {
      extensions: [
        // Collaboration brings its own (Yjs) undo history.
        StarterKit.configure({ undoRedo: false, link: { openOnClick: false, autolink: true } }),
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

  return (
    <div className="editor-frame" data-testid="editor">
      {editor && editable ? <EditorToolbar editor={editor} linkRequests={linkRequests} /> : null}
      <EditorContent editor={editor} />
    </div>
  );
}
