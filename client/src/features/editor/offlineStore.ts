import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { offlineStoreName, readIndex, writeIndex } from '../../ui/offlineIndex';
import type { SectionSync } from './sectionSync';

// Offline edits survive a closed tab: each section's Yjs document is also kept in the browser (IndexedDB, through
// y-indexeddb), in a store named after the member, so another member signing in on the same browser never reads it.
// On the next visit the stored state merges into the document before the handshake, which hands the server what
// it lacks. The stores go at sign-out and when the section's access is lost.
//
// y-indexeddb keeps a copy of the document, not the document itself: the copy gets every update except the
// editor's repairs (`SectionSync.onKeptUpdate`). Bound to the document, it would store a repair and, compacting,
// the document's whole delete set: the next visit's handshake would push the repair, deleting for every co-author
// text the server holds.

/** Origin of what the offline copy merges into the section's document (an edit of this browser: pushed). */
export const OFFLINE_ORIGIN = 'offline';

/**
 * Keeps `sync`'s document in the member's store for the section; resolves once what was stored is merged into the
 * document (at once when IndexedDB is unavailable, as in some private modes: the editor then works without it).
 */
export async function keepOffline(
  sync: SectionSync,
  memberId: string,
  sectionId: string,
): Promise<{ forget(): Promise<void>; close(): Promise<void> } | null> {
  if (typeof indexedDB === 'undefined') return null;
  const name = offlineStoreName(memberId, sectionId);
  writeIndex([...readIndex(), name]);
  const copy = new Y.Doc();
  try {
    const persistence = new IndexeddbPersistence(name, copy);
    await persistence.whenSynced;
    Y.applyUpdate(sync.doc, Y.encodeStateAsUpdate(copy), OFFLINE_ORIGIN);
    const stop = sync.onKeptUpdate((update) => Y.applyUpdate(copy, update, OFFLINE_ORIGIN));
    const end = async () => {
      stop();
      await persistence.destroy();
      copy.destroy();
    };
    return {
      /** Deletes the stored copy (access lost). */
      async forget() {
        stop();
        await persistence.clearData();
        copy.destroy();
        writeIndex(readIndex().filter((stored) => stored !== name));
      },
      /** Stops storing (the section is closed on this page); the copy stays for the next visit. */
      close: end,
    };
  } catch {
    copy.destroy();
    return null;
  }
}
