/**
 * A section's recount (`tenderSection.figuresChanged`) while someone types: it comes every half second, and its
 * figures are in the event. Re-querying on each one, every page open on the response re-read the whole response (its
 * sections, approvals, partners), its settings and versions: on the embedded database, which runs on the server's
 * one thread, that work kept co-authors' keystrokes waiting 100–350 ms at a time (issue 11). The figures are written
 * where they show instead; only what they do not carry sends the page back to the server: an approval's staleness,
 * and the response's count of sections over their limit when a section crosses it.
 */

/** A section's figures as `tenderSection.figuresChanged` carries them. */
export interface Figures {
  wordCount: number;
  characterCount: number;
  isOverLimit: boolean;
}

/** One live event (`ActivityEvent`), as the subscriptions select it. */
export interface FiguresEvent {
  type?: string | null;
  payload?: unknown;
}

/** The figures a recount event carries; null for any other event (or one without them). */
export function figuresOf(event: FiguresEvent): Figures | null {
  if (event.type !== 'tenderSection.figuresChanged') return null;
  const payload = (event.payload ?? {}) as Partial<Record<keyof Figures, unknown>>;
  if (typeof payload.wordCount !== 'number' || typeof payload.characterCount !== 'number') return null;
  if (typeof payload.isOverLimit !== 'boolean') return null;
  return { wordCount: payload.wordCount, characterCount: payload.characterCount, isOverLimit: payload.isOverLimit };
}

/**
 * Whether a section's recount (`figures`) changes more than its figures, as the client knows the section: it has an
 * approval (which may have gone stale, or fresh again), or it crosses its limit (the response's checklist counts
 * it). Unknown (`undefined`, not loaded) counts as more.
 */
export function changesMoreThanFigures(
  figures: Figures,
  known: { isOverLimit: boolean | undefined; hasApproval: boolean | undefined },
): boolean {
  return known.hasApproval !== false || known.isOverLimit !== figures.isOverLimit;
}
