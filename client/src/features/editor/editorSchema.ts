import { type AnyExtension, Extension, getSchema } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import { attributeBounds } from './attributeBounds';
import { isSafeLink } from './links';

/**
 * The extensions that make the editor's document schema (nodes and marks): Tiptap StarterKit without its own
 * undo history (Collaboration brings Yjs's). The server accepts only what this schema knows
 * (server/src/collab/editorSchema.ts, compared with it by tests/collab/editor-schema.test.ts): add a node or a
 * mark here and there together.
 */
export function schemaExtensions(): AnyExtension[] {
  return [
    StarterKit.configure({
      undoRedo: false,
      // Only web and e-mail links, as the server keeps (links.ts): checked when a link is set, pasted,
      // auto-linked or rendered.
      link: {
        openOnClick: false,
        autolink: true,
        isAllowedUri: (url, { defaultValidate }) => isSafeLink(url) && defaultValidate(url),
      },
    }),
    // Attributes typed or pasted kept within what the server stores (a list's start, a code block's language).
    Extension.create({ name: 'attributeBounds', addProseMirrorPlugins: () => [attributeBounds()] }),
  ];
}

/** The editor's ProseMirror schema, as `schemaExtensions` make it (for the check against the server's list). */
export function editorSchema() {
  return getSchema(schemaExtensions());
}
