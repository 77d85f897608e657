import { fr } from '../../i18n/fr';

/** The editor's strings, from the app's one French catalogue. */
export const editorStrings = fr.editor;
