import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { EditorContent, useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useEffect } from 'react';
import type { SectionSync } from './sectionSync';
import { editorStrings as t } from './strings';

/** A remote person's caret: a coloured bar with their name. */
function renderCaret(user: { name?: string | null; color?: string | null }): HTMLElement {
  const caret = document.createElement('span');
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
export function CollaborativeEditor({ sync, title, editable }: { sync: SectionSync; title: string; editable: boolean }) {
  const editor = useEditor(
    {
      extensions: [
        // Collaboration brings its own (Yjs) undo history.
        StarterKit.configure({ undoRedo: false }),
        Collaboration.configure({ document: sync.doc, field: 'body' }),
        CollaborationCaret.configure({
          provider: { awareness: sync.awareness },
          user: { name: '', color: '' },
          render: renderCaret,
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
      <EditorContent editor={editor} />
    </div>
  );
}
