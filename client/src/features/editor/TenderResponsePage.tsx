import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { type FragmentOf, readFragment } from '../../graphql';
import { fr } from '../../i18n/fr';
import { changesMoreThanFigures, type Figures, figuresOf } from '../../liveFigures';
import { NotFound } from '../../ui/QueryState';
import { usePageTitle } from '../../ui/usePageTitle';
import { ExportButtons } from './ExportButtons';
import './editor.css';
import { COLLECTIVE_ACTIVITY, SECTION_FIELDS, TENDER_RESPONSE } from './queries';
import { SectionErrorBoundary } from './SectionErrorBoundary';
import { SectionWorkspace } from './SectionWorkspace';
import { editorStrings as t } from './strings';
import { ResponseSettings, SectionSettings } from './TenderForms';

export type EditorSection = FragmentOf<typeof SECTION_FIELDS>;
export type SectionData = ReturnType<typeof readSection>;

function readSection(section: EditorSection) {
  return readFragment(SECTION_FIELDS, section);
}

// Paris time whatever the browser's zone, as every date of the app.
const dateFormat = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/Paris',
});

export function formatDate(value: string | null | undefined): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date);
}

/** Words or characters against the section's limit (words when both or neither are set). */
export function countLabel(section: Pick<SectionData, 'wordCount' | 'characterCount' | 'wordLimit' | 'characterLimit'>) {
  if (section.characterLimit !== null && section.wordLimit === null)
    return t.characters(section.characterCount, section.characterLimit);
  return t.words(section.wordCount, section.wordLimit);
}

/** The deal's events after which the sections the viewer may open are read again (`useSubscription` below). */
const PARTNERS_CHANGED = new Set(['deal.partnersSet', 'deal.partnerSubstituted']);

/** The tender response editor: its sections on the side, the chosen one co-edited live. */
export function TenderResponsePage({ responseId }: { responseId: string }) {
  const [{ data: latest, fetching, error }, reexecute] = useQuery({
    query: TENDER_RESPONSE,
    variables: { id: responseId },
    requestPolicy: 'cache-and-network',
  });
  // A live event may invalidate cached fields and leave the result empty while it is re-fetched: keep showing
  // the last full result, so the editor (and its live document) is never torn down by a refresh.
  const lastFull = useRef<typeof latest>(undefined);
  if (latest?.node) lastFull.current = latest;
  const data = latest?.node ? latest : (lastFull.current ?? latest);
  const [selectedId, setSelectedId] = useState<string | null>(() => {
    const fromHash = window.location.hash.replace(/^#section=/, '');
    return fromHash && fromHash !== window.location.hash ? decodeURIComponent(fromHash) : null;
  });
  const [figures, setFigures] = useState<Record<string, Figures>>({});
  /**
   * The section that closed on this page (access revoked…), kept chosen once it leaves the list: the page says so
   * instead of opening another section in its place.
   */
  const [lost, setLost] = useState<{ id: string; lostEdits: boolean } | null>(null);

  const response = data?.node?.__typename === 'TenderResponse' ? data.node : null;
  const sections = useMemo(() => (response ? response.sections.map(readSection) : []), [response]);
  // The subscription's handler reads the sections as they are when an event comes.
  const sectionsNow = useRef(sections);
  sectionsNow.current = sections;
  const selected = sections.find((s) => s.id === selectedId) ?? (lost && lost.id === selectedId ? null : sections[0]) ?? null;
  usePageTitle(response?.title ?? (data ? fr.notFound.title : null));

  // Re-query (debounced) when the server says something about the response changed.
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refetch = useRef(() => {});
  refetch.current = () => {
    clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(() => reexecute({ requestPolicy: 'network-only' }), 400);
  };
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  const collectiveId = response?.collective.id ?? '';
  useSubscription({ query: COLLECTIVE_ACTIVITY, variables: { collectiveId }, pause: !collectiveId }, (_previous, next) => {
    const message = next.collectiveActivity;
    if (message.__typename === 'ResyncRequired') {
      refetch.current();
    } else if (message.__typename === 'ActivityEvent' && PARTNERS_CHANGED.has(message.type)) {
      // A new lead or partner changes who may open the restricted sections, with no event of the sections'.
      refetch.current();
    } else if (message.__typename === 'ActivityEvent' && /^tender(Section|Response)\./.test(message.type)) {
      const live = figuresOf(message);
      if (live) setFigures((previous) => ({ ...previous, [message.subjectId]: live }));
      // A recount's figures are all it changes, most of the time (see liveFigures.ts): no re-query for them.
      const section = sectionsNow.current.find((s) => s.id === message.subjectId);
      const known = { isOverLimit: section?.isOverLimit, hasApproval: section ? section.approval !== null : undefined };
      if (!live || changesMoreThanFigures(live, known)) refetch.current();
    }
    return next;
  });

  // Figures from the last query win once it is newer than the event.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on every fresh query result
  useEffect(() => setFigures({}), [data]);

  if (!data && fetching) return <p aria-busy="true">{t.loading}</p>;
  if (error && !data) return <p role="alert">{t.loadError}</p>;
  if (!response) return <NotFound error={error} retry={() => reexecute({ requestPolicy: 'network-only' })} />;

  const withFigures = (section: SectionData): SectionData => ({ ...section, ...figures[section.id] });

  return (
    <div className="tender-editor">
      <header className="tender-editor__header">
        <div>
          <p className="tender-editor__collective">{response.collective.name}</p>
          <h1>{response.title}</h1>
          <p className="tender-editor__progress">
            {t.progress(response.checklist.done, response.checklist.total)}
            {response.checklist.overLimit > 0 ? ` · ${t.overLimitCount(response.checklist.overLimit)}` : ''}
          </p>
          {response.isSubmitted ? <p className="tender-editor__notice">{t.submitted}</p> : null}
        </div>
        <ExportButtons responseId={response.id} />
      </header>
      {/* The support staff read a response only: its settings and the editor are not offered them. */}
      {response.viewerCanChange ? <ResponseSettings response={response} /> : null}
      <div className="tender-editor__layout">
        <nav className="tender-editor__sidebar" aria-label={t.sections}>
          <h2>{t.sections}</h2>
          {sections.length === 0 ? <p>{t.noSections}</p> : null}
          <ol>
            {sections.map((raw) => {
              const section = withFigures(raw);
              const current = section.id === selected?.id;
              return (
                <li key={section.id}>
                  <button
                    type="button"
                    data-testid="section-item"
                    data-section-id={section.id}
                    className={`section-item${current ? ' section-item--current' : ''}`}
                    aria-current={current ? 'true' : undefined}
                    onClick={() => {
                      setSelectedId(section.id);
                      history.replaceState(null, '', `#section=${encodeURIComponent(section.id)}`);
                    }}
                  >
                    <span className="section-item__title">
                      {section.position}. {section.title}
                      {section.restricted ? <span className="editor-badge"> {t.restricted}</span> : null}
                    </span>
                    <span className={`status status--${section.status.toLowerCase()}`}>{t.status[section.status]}</span>
                    <span className="section-item__meta">
                      {t.assignee} : {section.assignee?.displayName ?? t.nobody} · {t.reviewer} :{' '}
                      {section.reviewer?.displayName ?? t.nobody}
                    </span>
                    <span className="section-item__meta">
                      {t.due} : {section.effectiveDueAt ? formatDate(section.effectiveDueAt) : t.noDue}
                    </span>
                    <span
                      className={`section-item__count${section.isOverLimit ? ' section-item__count--over' : ''}`}
                      data-testid="word-count"
                    >
                      {countLabel(section)}
                      {section.isOverLimit ? ` · ${t.overLimit}` : ''}
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>
        <div className="tender-editor__main">
          {selected && response.viewerCanChange ? (
            <SectionSettings
              key={`settings-${selected.id}`}
              responseId={response.id}
              section={selected}
              count={sections.length}
              submitted={response.isSubmitted}
            />
          ) : null}
          {selected ? (
            // A section the editor cannot show leaves the rest of the page standing.
            <SectionErrorBoundary key={selected.id} sectionId={selected.id}>
              <SectionWorkspace
                section={withFigures(selected)}
                viewerId={data?.viewer?.id ?? null}
                submitted={response.isSubmitted}
                canChange={response.viewerCanChange}
                onChanged={() => refetch.current()}
                onClosed={({ lostEdits }) => {
                  setSelectedId(selected.id);
                  setLost({ id: selected.id, lostEdits });
                }}
              />
            </SectionErrorBoundary>
          ) : lost && lost.id === selectedId ? (
            <div role="alert" className="unsaved-notice" data-testid="section-closed">
              <p className="unsaved-notice__line">
                <strong>{t.sectionClosed.title}</strong>
              </p>
              <p className="unsaved-notice__line">{t.sectionClosed.body}</p>
              {lost.lostEdits ? <p className="unsaved-notice__line">{t.sectionClosed.lostEdits}</p> : null}
            </div>
          ) : (
            <p>{t.selectSection}</p>
          )}
        </div>
      </div>
    </div>
  );
}
