import { useEffect } from 'react';
import { fr } from '../i18n/fr';

/** Names the browser tab after the page (« Marque Écrire ensemble — Collectifs »); null while it is unknown. */
export function usePageTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} — ${fr.app.name}` : fr.app.name;
  }, [title]);
}
