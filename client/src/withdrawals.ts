// Sections restricted away from the viewer while the app runs (`tenderSection.withdrawn`, seen by client.ts in any
// live event): the app shell deletes its offline copies of them then (ui/OfflineStoresNotice.tsx), not at the next
// load. Apart from both so neither imports the other.

const withdrawals = new EventTarget();

/** Says a live event withdrew a section from the viewer (client.ts, `applyLiveEvent`). */
export function sectionWithdrawn(): void {
  withdrawals.dispatchEvent(new Event('withdrawn'));
}

/** Calls `listener` after each withdrawal; returns what stops it. */
export function onSectionWithdrawn(listener: () => void): () => void {
  withdrawals.addEventListener('withdrawn', listener);
  return () => withdrawals.removeEventListener('withdrawn', listener);
}
