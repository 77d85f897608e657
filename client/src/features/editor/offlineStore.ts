import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';
import { offlineStoreName, readIndex, writeIndex } from '../../ui/offlineIndex';

// Offline edits survive a closed tab: each section's Yjs document is also kept in the browser (IndexedDB, through
// y-indexeddb), in a store named after the member, so another member signing in on the same browser never reads it.
// On the next visit the stored state merges into the document before the handshake, which hands the server what
// it lacks. The stores go at sign-out and when the section's access is lost.

/**
 * Keeps `doc` in the member's store for the section; resolves once what was stored is merged into the document
 * (at once when IndexedDB is unavailable, as in some private modes: the editor then works without it).
 */
export async function keepOffline(
  doc: Y.Doc,
  memberId: string,
  sectionId: string,
): Promise<{ forget(): Promise<void>; close(): Promise<void> } | null> {
  if (typeof indexedDB === 'undefined') return null;
  const name = offlineStoreName(memberId, sectionId);
  writeIndex([...readIndex(), name]);
  try {
    const persistence = new IndexeddbPersistence(name, doc);
    await persistence.whenSynced;
    return {
      /** Deletes the stored copy (access lost). */
      async forget() {
        await persistence.clearData();
        writeIndex(readIndex().filter((stored) => stored !== name));
      },
      /** Stops storing (the section is closed on this page); the copy stays for the next visit. */
      close: () => persistence.destroy(),
    };
  } catch {
    return null;
  }
}
