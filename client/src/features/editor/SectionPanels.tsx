import { type FormEvent, useEffect, useId, useState } from 'react';
import { type CombinedError, useMutation, useQuery } from 'urql';
import { type ApiErrorPayload, describeError, messageOf } from '../../errors';
import { INPUT_MAX_LENGTH } from '../../input-limits';
import { useConfirm } from '../../ui/form/ConfirmDialog';
import { APPROVE_SECTION, CHANGE_STATUS, RESTORE_VERSION, SAVE_VERSION, SECTION_VERSIONS } from './queries';
import { editorStrings as t } from './strings';
import { formatDate, type SectionData } from './TenderResponsePage';

type Status = SectionData['status'];

/** Where a section may go from its status (the server has the last word). */
const NEXT: Record<Status, Status[]> = {
  TODO: ['DRAFT'],
  DRAFT: ['REVIEW'],
  REVIEW: ['DONE', 'DRAFT'],
  DONE: ['DRAFT'],
};

function statusAction(from: Status, to: Status): string {
  if (from === 'DONE' && to === 'DRAFT') return t.reopen;
  if (from === 'REVIEW' && to === 'DRAFT') return t.requestChanges;
  return t.statusActions[to] ?? to;
}

/**
 * The French message of a typed error (its rule, its issue, its kind: never the server's own words), of a transport
 * error, or null on success.
 */
function failureOf(outcome: ApiErrorPayload | undefined, error: CombinedError | undefined): string | null {
  if (!outcome) return error ? describeError(error) : null;
  if (outcome.__typename.endsWith('Success')) return null;
  return messageOf(outcome, error);
}

export function SectionSidePanels({
  section,
  viewerId,
  submitted,
  onChanged,
}: {
  section: SectionData;
  viewerId: string | null;
  submitted: boolean;
  onChanged(): void;
}) {
  return (
    <div className="section-panels">
      <StatusPanel section={section} viewerId={viewerId} submitted={submitted} onChanged={onChanged} />
      <ApprovalPanel section={section} viewerId={viewerId} submitted={submitted} onChanged={onChanged} />
      <VersionsPanel section={section} submitted={submitted} onChanged={onChanged} />
    </div>
  );
}

function StatusPanel({ section, viewerId, submitted, onChanged }: Parameters<typeof SectionSidePanels>[0]) {
  const [{ fetching }, change] = useMutation(CHANGE_STATUS);
  const [error, setError] = useState<string | null>(null);
  const isReviewer = !!viewerId && section.reviewer?.id === viewerId;
  const targets = NEXT[section.status].filter((to) => to !== 'DONE' || isReviewer);

  async function go(status: Status) {
    const result = await change({ input: { sectionId: section.id, status } });
    const failure = failureOf(result.data?.changeTenderSectionStatus, result.error);
    setError(failure);
    if (!failure) onChanged();
  }

  return (
    <div className="panel">
      <h3>{t.status[section.status]}</h3>
      {submitted ? null : (
        <div className="panel__actions">
          {targets.map((to) => (
            <button
              key={to}
              type="button"
              className="button button--small"
              data-testid="section-status-action"
              disabled={fetching}
              onClick={() => void go(to)}
            >
              {statusAction(section.status, to)}
            </button>
          ))}
        </div>
      )}
      {error ? (
        <p role="alert" className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function ApprovalPanel({ section, viewerId, submitted, onChanged }: Parameters<typeof SectionSidePanels>[0]) {
  const [{ fetching }, approve] = useMutation(APPROVE_SECTION);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const approval = section.approval;
  const isReviewer = !!viewerId && section.reviewer?.id === viewerId;
  // A confirmation no longer holds once the approval changes (stale, or approved again).
  const approvalKey = `${approval?.approvedAt ?? ''}:${approval?.isStale ?? ''}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the approval changes
  useEffect(() => setMessage((previous) => (previous?.error ? previous : null)), [approvalKey]);

  async function onApprove() {
    const result = await approve({ input: { sectionId: section.id } });
    const failure = failureOf(result.data?.approveSection, result.error);
    setMessage(failure ? { text: failure, error: true } : { text: t.approved, error: false });
    if (!failure) onChanged();
  }

  return (
    <div className="panel" data-testid="approval">
      <h3>{t.approval}</h3>
      {approval ? (
        <p>
          {t.approvedBy(approval.reviewer?.displayName ?? t.nobody, formatDate(approval.approvedAt))}
          {approval.isStale ? (
            <>
              {' '}
              <strong className="editor-badge editor-badge--warning" title={t.staleHint} data-testid="approval-stale">
                {t.stale}
              </strong>
            </>
          ) : null}
        </p>
      ) : (
        <p>{t.notApproved}</p>
      )}
      {!section.reviewer ? <p>{t.noReviewer}</p> : null}
      {isReviewer && !submitted && (!approval || approval.isStale) ? (
        <button
          type="button"
          className="button button--small button--primary"
          disabled={fetching}
          onClick={() => void onApprove()}
          data-testid="approve-button"
        >
          {t.approve}
        </button>
      ) : null}
      {message ? (
        <p role={message.error ? 'alert' : 'status'} className={message.error ? 'field-error' : undefined}>
          {message.text}
        </p>
      ) : null}
    </div>
  );
}

function VersionsPanel({ section, submitted, onChanged }: { section: SectionData; submitted: boolean; onChanged(): void }) {
  const [{ data }, refetch] = useQuery({
    query: SECTION_VERSIONS,
    variables: { id: section.id },
    requestPolicy: 'cache-and-network',
  });
  const [{ fetching: saving }, save] = useMutation(SAVE_VERSION);
  const [{ fetching: restoring }, restore] = useMutation(RESTORE_VERSION);
  const [name, setName] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const inputId = useId();
  const errorId = useId();
  const versions = data?.node?.__typename === 'TenderSection' ? data.node.versions.edges.map((edge) => edge.node) : [];
  // Restoring replaces everyone's text: asked in the app's own dialog (French, styled, testable), not window.confirm.
  const { ask, dialog } = useConfirm();

  async function onSave(event: FormEvent) {
    event.preventDefault();
    const result = await save({ input: { sectionId: section.id, name: name.trim() } });
    const failure = failureOf(result.data?.saveSectionVersion, result.error);
    setFieldError(failure);
    if (failure) return;
    setName('');
    setNotice(t.versionSaved);
    refetch({ requestPolicy: 'network-only' });
  }

  async function onRestore(id: string, label: string) {
    const ok = await ask({ title: t.restoreTitle(label), body: <p>{t.restoreBody}</p>, confirmLabel: t.restore });
    if (!ok) return;
    const result = await restore({ input: { versionId: id } });
    const failure = failureOf(result.data?.restoreSectionVersion, result.error);
    setNotice(failure ?? t.restored);
    if (failure) return;
    refetch({ requestPolicy: 'network-only' });
    onChanged();
  }

  return (
    <div className="panel" data-testid="versions">
      <h3>{t.versions}</h3>
      {submitted ? null : (
        <form className="panel__form" onSubmit={(event) => void onSave(event)}>
          <label htmlFor={inputId}>{t.versionName}</label>
          <input
            id={inputId}
            value={name}
            required
            maxLength={INPUT_MAX_LENGTH['SaveSectionVersionInput.name']}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={fieldError ? errorId : undefined}
          />
          {fieldError ? (
            <p id={errorId} className="field-error" data-testid="field-error">
              {fieldError}
            </p>
          ) : null}
          <button type="submit" className="button button--small" disabled={saving || !name.trim()}>
            {t.saveVersion}
          </button>
        </form>
      )}
      {notice ? <p role="status">{notice}</p> : null}
      {versions.length === 0 ? <p>{t.noVersions}</p> : null}
      <ul className="versions">
        {versions.map((version) => {
          const label = version.name ?? (version.automatic ? t.automaticVersion : t.unnamed);
          return (
            <li key={version.id} data-testid="version-item">
              <span className="versions__name">
                {label}
                {version.automatic && version.name ? <span className="editor-badge"> ({t.automatic})</span> : null}
              </span>
              <span className="versions__meta">
                {formatDate(version.createdAt)}
                {version.author ? ` · ${t.by(version.author.displayName)}` : ''}
              </span>
              {submitted ? null : (
                <button
                  type="button"
                  className="button button--small"
                  disabled={restoring}
                  onClick={() => void onRestore(version.id, label)}
                >
                  {t.restore}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {dialog}
    </div>
  );
}
