// Sections the viewer may have lost while the app runs (`tenderSection.withdrawn`, a deal's partners changed: seen by
// client.ts in any live event): the app shell deletes its offline copies of those it can no longer open then
// (ui/OfflineStoresNotice.tsx), not at the next load. Apart from both so neither imports the other.

const withdrawals = new EventTarget();

/** Event types after which a section the viewer held may no longer be theirs to open. */
const NARROWING = new Set(['tenderSection.withdrawn', 'deal.partnersSet', 'deal.partnerSubstituted']);

/** Says a live event of this type may have withdrawn sections from the viewer (client.ts, `applyLiveEvent`). */
export function sawEvent(type: string): void {
  if (NARROWING.has(type)) withdrawals.dispatchEvent(new Event('withdrawn'));
}

/** Calls `listener` after each event that may have withdrawn sections; returns what stops it. */
export function onSectionsWithdrawn(listener: () => void): () => void {
  withdrawals.addEventListener('withdrawn', listener);
  return () => withdrawals.removeEventListener('withdrawn', listener);
}
