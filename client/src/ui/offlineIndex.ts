// Which offline copies of sections this browser holds (see features/editor/offlineStore.ts), and their deletion at
// sign-out. Apart from the editor so the app shell can wipe them without loading Yjs.

const PREFIX = 'collectifs-offline';
/** The stores this browser holds, so sign-out can delete them where `indexedDB.databases()` is missing. */
const INDEX_KEY = 'collectifs.offlineStores';

/** The IndexedDB database of one member's copy of one section. */
export function offlineStoreName(memberId: string, sectionId: string): string {
  return `${PREFIX}:${memberId}:${sectionId}`;
}

/** The stores listed in this browser (empty when unreadable). */
export function readIndex(): string[] {
  try {
    const value = JSON.parse(window.localStorage.getItem(INDEX_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}

/** Lists the stores this browser holds (deduplicated; none removes the list). */
export function writeIndex(names: readonly string[]): void {
  try {
    if (names.length) window.localStorage.setItem(INDEX_KEY, JSON.stringify([...new Set(names)]));
    else window.localStorage.removeItem(INDEX_KEY);
  } catch {
    // Storage full or denied: sign-out still finds the stores through indexedDB.databases().
  }
}

/** Deletes one IndexedDB database; resolves whatever happens (blocked or failed, it goes when the page closes). */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => resolve();
    request.onblocked = () => resolve();
  });
}

/** Deletes every offline copy this browser holds (sign-out, session over). */
export async function wipeOfflineStores(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  const names = new Set(readIndex());
  try {
    for (const database of (await indexedDB.databases?.()) ?? [])
      if (database.name?.startsWith(`${PREFIX}:`)) names.add(database.name);
  } catch {
    // Only the index, then.
  }
  await Promise.all([...names].map((name) => deleteDatabase(name)));
  writeIndex([]);
}
