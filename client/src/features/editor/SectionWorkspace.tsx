import { useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { fr, label } from '../../i18n/fr';
import { useConfirm } from '../../ui/form/ConfirmDialog';
import { CollaborativeEditor } from './CollaborativeEditor';
import { keepOffline } from './offlineStore';
import { SectionSidePanels } from './SectionPanels';
import { type ConnectionState, type PresenceEntry, type Refusal, type RefusedKinds, SectionSync } from './sectionSync';
import { editorStrings as t } from './strings';
import type { SectionData } from './TenderResponsePage';

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? '')
    .join('');
}

/** The refusal in French: the rule's sentence when the server named one, never the server's own words. */
function reasonOf(refusal: Refusal | null): string {
  if (!refusal) return '';
  return refusal.rule && Object.hasOwn(fr.rules, refusal.rule) ? label(fr.rules, refusal.rule) : fr.errors.refused;
}

/** One section: who is there, the connection, the live editor, its status, approval and versions. */
export function SectionWorkspace({
  section,
  viewerId,
  submitted,
  canChange = true,
  onChanged,
  onClosed,
}: {
  section: SectionData;
  viewerId: string | null;
  submitted: boolean;
  /** False for a reader only (the support staff): no editing, no status or approval buttons. */
  canChange?: boolean;
  onChanged(): void;
  /**
   * The section closed for good on this page (access revoked, section gone, session over): its text and this
   * browser's copy are gone; `lostEdits` when edits typed here were never stored.
   */
  onClosed?(closed: { code: string | null; lostEdits: boolean }): void;
}) {
  const client = useClient();
  const [sync, setSync] = useState<SectionSync | null>(null);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [presence, setPresence] = useState<PresenceEntry[]>([]);
  const [rejection, setRejection] = useState<Refusal | null>(null);
  // Some edits typed here were refused and are not stored: the page says so until a later push stores them.
  const [unsaved, setUnsaved] = useState(false);
  // What they are, listed in the notice (a snapshot taken at each change).
  const [refused, setRefused] = useState<{ typed: number; kinds: RefusedKinds } | null>(null);
  // The editor shows once the section's text is loaded (or after a short wait when offline).
  const [ready, setReady] = useState(false);
  // Bumped to start again from the server's text (refused edits discarded): a fresh document and editor.
  const [generation, setGeneration] = useState(0);
  const [discarded, setDiscarded] = useState(false);
  /** An edit of this page could not be placed beside a co-author's and was not saved (`editDropped`). */
  const [dropped, setDropped] = useState(false);
  /** The section closed for good (see `SectionSync` `closedCode`): no editor any more, the page says why. */
  const [closed, setClosed] = useState<{ code: string | null; lostEdits: boolean } | null>(null);
  const offlineCopy = useRef<Awaited<ReturnType<typeof keepOffline>>>(null);
  // Read when the section closes, not when the effect ran.
  const closedHandlers = useRef({ onChanged, onClosed });
  closedHandlers.current = { onChanged, onClosed };
  const { ask, dialog } = useConfirm();

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation starts a fresh document on purpose
  useEffect(() => {
    let stored: Awaited<ReturnType<typeof keepOffline>> = null;
    let ended = false;
    const next = new SectionSync(client, section.id, {
      state: (state) => {
        setConnection(state);
        // Refused or ended for good (access lost, session over): this browser's copy goes too, the editor with its
        // text, and the section list is read again (a section restricted away from the viewer leaves it).
        if (state === 'closed') {
          void stored?.forget();
          const info = { code: next.closedCode, lostEdits: next.lostEdits };
          setClosed(info);
          closedHandlers.current.onClosed?.(info);
          closedHandlers.current.onChanged();
        }
      },
      presence: setPresence,
      rejected: setRejection,
      unsavedChanged: () => {
        setUnsaved(next.hasRefusedEdits);
        setRefused({ typed: next.refusedCharacters, kinds: next.refusedKinds });
        if (next.hasRefusedEdits) setDiscarded(false);
      },
      firstSync: () => setReady(true),
      editDropped: () => setDropped(true),
    });
    const fallback = setTimeout(() => setReady(true), 4_000);
    // What was typed here on an earlier visit (even offline, tab closed) is merged first; the handshake sends it.
    const begin = viewerId ? keepOffline(next, viewerId, section.id) : Promise.resolve(null);
    void begin.then((persistence) => {
      stored = persistence;
      offlineCopy.current = persistence;
      if (ended) void persistence?.close();
      else next.start();
    });
    setSync(next);
    setConnection(next.state);
    return () => {
      ended = true;
      offlineCopy.current = null;
      clearTimeout(fallback);
      setReady(false);
      void stored?.close();
      next.destroy();
      setSync(null);
      setPresence([]);
      setUnsaved(false);
      setRefused(null);
      setRejection(null);
      setClosed(null);
    };
  }, [client, section.id, viewerId, generation]);

  /** Drops the refused edits after asking: this browser's copy goes, and the document starts again from the server's. */
  async function discardRefused() {
    const ok = await ask({
      title: t.unsaved.discardTitle,
      body: <p>{t.unsaved.discardBody}</p>,
      confirmLabel: t.unsaved.discard,
      danger: true,
    });
    if (!ok) return;
    await offlineCopy.current?.forget();
    setDiscarded(true);
    setGeneration((current) => current + 1);
  }
  const kinds = refused?.kinds;
  const typed = refused?.typed ?? 0;

  // Closing the page with edits the server has not acknowledged asks first (they stay in this browser anyway).
  useEffect(() => {
    if (!sync) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (!sync.hasUnsentEdits) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [sync]);

  // One avatar per person (a person may have several tabs open).
  const people = new Map<string, PresenceEntry & { self: boolean }>();
  for (const entry of presence) {
    const key = entry.memberId;
    const self = entry.you || (!!viewerId && entry.memberId === viewerId);
    if (!people.has(key) || self) people.set(key, { ...entry, self });
  }

  const readOnly = !canChange || submitted || section.status === 'DONE';

  return (
    <section className="section-workspace" aria-labelledby="section-title">
      <div className="section-workspace__bar">
        <h2 id="section-title">{section.title}</h2>
        <ul className="presence" aria-label={t.present}>
          {[...people.values()].map((person) => (
            <li
              key={person.memberId}
              className="presence__avatar"
              data-testid="presence-avatar"
              style={{ backgroundColor: person.colour }}
              title={`${person.name}${person.self ? ` ${t.you}` : ''}`}
            >
              <span aria-hidden="true">{initials(person.name)}</span>
              <span className="visually-hidden">
                {person.name}
                {person.self ? ` ${t.you}` : ''}
              </span>
            </li>
          ))}
        </ul>
        <p
          className={`connection connection--${connection}`}
          data-testid="connection-status"
          data-state={connection}
          role="status"
        >
          <span className="connection__dot" aria-hidden="true" />
          {t.connection[connection]}
        </p>
      </div>
      {closed ? (
        <div role="alert" className="unsaved-notice" data-testid="section-closed" data-code={closed.code ?? ''}>
          <p className="unsaved-notice__line">
            <strong>{closed.code === 'NOT_FOUND' ? t.sectionClosed.notFound : t.sectionClosed.title}</strong>
          </p>
          <p className="unsaved-notice__line">{t.sectionClosed.body}</p>
          {closed.lostEdits ? (
            <p className="unsaved-notice__line" data-testid="section-closed-lost">
              {t.sectionClosed.lostEdits}
            </p>
          ) : null}
          <p className="unsaved-notice__line">{t.sectionClosed.reopenHint}</p>
          <div className="row-actions">
            <button
              type="button"
              className="button button--small"
              data-testid="section-reopen"
              onClick={() => setGeneration((current) => current + 1)}
            >
              {t.sectionClosed.reopen}
            </button>
          </div>
        </div>
      ) : unsaved ? (
        <div role="alert" className="unsaved-notice" data-testid="unsaved-notice">
          <p className="unsaved-notice__line">
            <strong>{t.unsaved.title}</strong>
          </p>
          <p className="unsaved-notice__line">{t.unsaved.body(reasonOf(rejection))}</p>
          {/* A deletion or a formatting change leaves nothing to highlight: the notice says what is not saved. */}
          <p className="unsaved-notice__line">{t.unsaved.listTitle}</p>
          <ul className="unsaved-notice__list" data-testid="unsaved-list">
            {typed > 0 ? <li data-kind="typed">{t.unsaved.typed(typed)}</li> : null}
            {kinds?.deletions ? <li data-kind="deletions">{t.unsaved.deletions}</li> : null}
            {kinds?.formatting ? <li data-kind="formatting">{t.unsaved.formatting}</li> : null}
            {kinds?.blocks ? <li data-kind="blocks">{t.unsaved.blocks}</li> : null}
          </ul>
          <div className="row-actions">
            {!readOnly ? (
              <button type="button" className="button button--small" onClick={() => sync?.retryRefused()}>
                {t.unsaved.retry}
              </button>
            ) : null}
            <button
              type="button"
              className="button button--small button--danger"
              data-testid="discard-unsaved"
              onClick={() => void discardRefused()}
            >
              {t.unsaved.discard}
            </button>
          </div>
          {dialog}
        </div>
      ) : discarded ? (
        <p role="status" className="tender-editor__notice" data-testid="unsaved-discarded">
          {t.unsaved.discarded}
        </p>
      ) : rejection ? (
        <p role="alert" className="field-error">
          {t.rejected(reasonOf(rejection))}
        </p>
      ) : null}
      {dropped ? (
        <p role="status" className="tender-editor__notice" data-testid="edit-dropped">
          {t.editDropped.body}{' '}
          <button type="button" className="button button--small" onClick={() => setDropped(false)}>
            {t.editDropped.dismiss}
          </button>
        </p>
      ) : null}
      {!canChange ? (
        <p className="tender-editor__notice">{t.readOnlyViewer}</p>
      ) : readOnly && !submitted ? (
        <p className="tender-editor__notice">{t.readOnlyDone}</p>
      ) : null}
      {closed ? null : sync && ready ? (
        <CollaborativeEditor sync={sync} title={section.title} editable={!readOnly} viewerId={viewerId} unsaved={unsaved} />
      ) : (
        <p className="editor-frame editor-frame--loading" aria-busy="true">
          {t.loadingText}
        </p>
      )}
      <SectionSidePanels section={section} viewerId={viewerId} submitted={submitted || !canChange} onChanged={onChanged} />
    </section>
  );
}
