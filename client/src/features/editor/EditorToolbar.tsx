import type { Editor } from '@tiptap/core';
import { useEditorState } from '@tiptap/react';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { isSafeLink } from './links';
import { editorStrings as t } from './strings';

/** What the toolbar shows as pressed or possible, re-read on every transaction. */
function toolbarState({ editor }: { editor: Editor }) {
  return {
    h2: editor.isActive('heading', { level: 2 }),
    h3: editor.isActive('heading', { level: 3 }),
    bold: editor.isActive('bold'),
    italic: editor.isActive('italic'),
    bullets: editor.isActive('bulletList'),
    numbers: editor.isActive('orderedList'),
    link: editor.isActive('link'),
    href: (editor.getAttributes('link').href as string | undefined) ?? '',
    canUndo: editor.can().undo(),
    canRedo: editor.can().redo(),
  };
}

/**
 * The section editor's toolbar: headings, bold, italic, lists, links, undo and redo (the Yjs history: only one's own
 * changes). Each button says its keyboard shortcut; Ctrl/⌘+K opens the link field (see `openLink`).
 */
export function EditorToolbar({ editor, linkRequests }: { editor: Editor; linkRequests: number }) {
  const id = useId();
  const state = useEditorState({ editor, selector: toolbarState });
  const [linking, setLinking] = useState(false);
  const [href, setHref] = useState('');
  const [refused, setRefused] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  // Ctrl/⌘+K in the text asks for the link field.
  useEffect(() => {
    if (linkRequests > 0) {
      setHref(editor.getAttributes('link').href ?? '');
      setLinking(true);
    }
  }, [linkRequests, editor]);
  useEffect(() => {
    if (linking) input.current?.focus();
  }, [linking]);

  const chain = () => editor.chain().focus();
  const button = (name: string, label: string, shortcut: string, pressed: boolean | null, run: () => void, disabled = false) => (
    <button
      type="button"
      className="editor-toolbar__button"
      data-testid={`toolbar-${name}`}
      aria-pressed={pressed ?? undefined}
      aria-disabled={disabled || undefined}
      title={`${label} (${shortcut})`}
      aria-keyshortcuts={shortcut.replace('Ctrl', 'Control')}
      onMouseDown={(event) => event.preventDefault()}
      onClick={() => {
        if (!disabled) run();
      }}
    >
      {label}
    </button>
  );

  function applyLink(event: FormEvent) {
    event.preventDefault();
    const url = href.trim();
    const target = /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`;
    // A `javascript:` address (or any but web and e-mail) is said, not silently dropped by the editor.
    if (url && !isSafeLink(target)) {
      setRefused(true);
      return;
    }
    setRefused(false);
    if (url) chain().extendMarkRange('link').setLink({ href: target }).run();
    else chain().extendMarkRange('link').unsetLink().run();
    setLinking(false);
  }

  return (
    <div className="editor-toolbar" role="toolbar" aria-label={t.toolbar.label} aria-controls={`${id}-link`}>
      {button('h2', t.toolbar.heading2, 'Ctrl+Alt+2', state.h2, () => chain().toggleHeading({ level: 2 }).run())}
      {button('h3', t.toolbar.heading3, 'Ctrl+Alt+3', state.h3, () => chain().toggleHeading({ level: 3 }).run())}
      {button('bold', t.toolbar.bold, 'Ctrl+B', state.bold, () => chain().toggleBold().run())}
      {button('italic', t.toolbar.italic, 'Ctrl+I', state.italic, () => chain().toggleItalic().run())}
      {button('bullets', t.toolbar.bullets, 'Ctrl+Shift+8', state.bullets, () => chain().toggleBulletList().run())}
      {button('numbers', t.toolbar.numbers, 'Ctrl+Shift+7', state.numbers, () => chain().toggleOrderedList().run())}
      {button('link', t.toolbar.link, 'Ctrl+K', state.link, () => {
        setHref(state.href);
        setLinking((open) => !open);
      })}
      {button('undo', t.toolbar.undo, 'Ctrl+Z', null, () => chain().undo().run(), !state.canUndo)}
      {button('redo', t.toolbar.redo, 'Ctrl+Shift+Z', null, () => chain().redo().run(), !state.canRedo)}
      {linking ? (
        <form className="editor-toolbar__link" onSubmit={applyLink} id={`${id}-link`} noValidate>
          <label htmlFor={`${id}-href`}>{t.toolbar.linkAddress}</label>
          <input
            ref={input}
            id={`${id}-href`}
            data-testid="toolbar-link-href"
            type="text"
            inputMode="url"
            value={href}
            placeholder="https://"
            aria-invalid={refused || undefined}
            aria-describedby={refused ? `${id}-href-error` : undefined}
            onChange={(event) => {
              setHref(event.currentTarget.value);
              setRefused(false);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                setLinking(false);
                editor.commands.focus();
              }
            }}
          />
          <button type="submit" className="editor-toolbar__button" data-testid="toolbar-link-apply">
            {href.trim() ? t.toolbar.linkApply : t.toolbar.linkRemove}
          </button>
          {refused ? (
            <span id={`${id}-href-error`} role="alert" className="field-error" data-testid="toolbar-link-refused">
              {t.toolbar.linkRefused}
            </span>
          ) : null}
        </form>
      ) : null}
    </div>
  );
}
