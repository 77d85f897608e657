// Which offline copies of sections this browser holds (see features/editor/offlineStore.ts), and their deletion at
// sign-out and for sections the member can no longer open. Apart from the editor so the app shell can wipe them
// without loading Yjs.

import type { Client } from 'urql';
import { typenameOfGlobalId } from '../client';
import { graphql } from '../graphql';

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

/** The offline stores of `memberId` this browser holds, by section ID (from the index and `indexedDB.databases()`). */
async function storesOf(memberId: string): Promise<Map<string, string>> {
  const names = new Set(readIndex());
  try {
    for (const database of (await indexedDB.databases?.()) ?? []) if (database.name) names.add(database.name);
  } catch {
    // Only the index, then.
  }
  const prefix = `${PREFIX}:${memberId}:`;
  const stores = new Map<string, string>();
  for (const name of names) if (name.startsWith(prefix)) stores.set(name.slice(prefix.length), name);
  return stores;
}

const READABLE_SECTIONS = graphql(`
  query ReadableSections($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

/** Sections asked about per request. */
const SECTIONS_PER_QUERY = 50;

/**
 * Deletes `memberId`'s offline copies of the sections the server no longer lets them open (restricted away, the
 * member gone from the collective or the deal, the section deleted): a section's text is kept only where it may be
 * read. Only an answer that names the section as unreadable (`nodes` gives null) deletes its copy: offline, or on
 * any error, every copy is kept. A copy under a name that is no section ID is deleted too. Edits in a deleted copy
 * could not have been stored anyway (the server refuses them): the caller tells the member. Resolves with how many
 * copies went.
 */
export async function forgetUnreadableStores(client: Client, memberId: string): Promise<number> {
  if (typeof indexedDB === 'undefined') return 0;
  const stores = await storesOf(memberId);
  const gone: string[] = [];
  const sections: string[] = [];
  for (const [sectionId, name] of stores) {
    if (typenameOfGlobalId(sectionId) === 'TenderSection') sections.push(sectionId);
    else gone.push(name);
  }
  for (let start = 0; start < sections.length; start += SECTIONS_PER_QUERY) {
    const ids = sections.slice(start, start + SECTIONS_PER_QUERY);
    const result = await client.query(READABLE_SECTIONS, { ids }, { requestPolicy: 'network-only' }).toPromise();
    const nodes = result.data?.nodes;
    if (result.error || !nodes || nodes.length !== ids.length) continue;
    ids.forEach((id, index) => {
      const name = stores.get(id);
      if (nodes[index] === null && name) gone.push(name);
    });
  }
  if (gone.length === 0) return 0;
  await Promise.all(gone.map((name) => deleteDatabase(name)));
  writeIndex(readIndex().filter((name) => !gone.includes(name)));
  return gone.length;
}
