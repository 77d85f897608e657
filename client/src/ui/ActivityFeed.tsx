import { Link } from 'react-router';
import { fr } from '../i18n/fr';
import { eventItemName, eventLabel, subjectPath } from './events';
import { formatDateTime } from './format';
import { Notice } from './Notice';
import type { ActivityState } from './useActivity';

/** One event of the log, as the history query, every activity subscription and the dashboard send it. */
export interface FeedEvent {
  position: string;
  type: string;
  createdAt: string;
  subjectId?: string;
  actor?: { displayName: string } | null;
  /** The event's payload: its item's name is read from it (`eventItemName`). */
  payload?: unknown;
}

/** Events newest first, at most `limit`, without duplicates (a resubscription may replay some). */
export function mergeEvents(current: readonly FeedEvent[], incoming: FeedEvent, limit = 50): FeedEvent[] {
  if (current.some((event) => event.position === incoming.position)) return current as FeedEvent[];
  return [incoming, ...current].slice(0, limit);
}

interface ActivityListProps {
  events: readonly FeedEvent[];
  empty: string;
  testId?: string;
  label: string;
}

/** A log region listing events, each with its French label and a link to what it is about; new ones are announced. */
export function ActivityList({ events, empty, testId, label }: ActivityListProps) {
  return (
    <div role="log" aria-label={label} data-testid={testId}>
      {events.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ol className="activity">
          {events.map((event) => {
            const path = event.subjectId ? subjectPath(event.subjectId) : null;
            const name = eventItemName(event.payload);
            const text = name ? fr.feed.named(eventLabel(event.type), name) : eventLabel(event.type);
            return (
              <li key={event.position} className="activity__item" data-event-type={event.type}>
                <span className="activity__what">{path ? <Link to={path}>{text}</Link> : text}</span>
                {event.actor ? <span className="activity__who">{fr.feed.by(event.actor.displayName)}</span> : null}
                <time className="activity__when muted" dateTime={event.createdAt}>
                  {formatDateTime(event.createdAt)}
                </time>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

/** The history then live events of `useActivity`, with « older » paging and what went wrong. */
export function ActivityPanel({
  state,
  empty,
  label,
  testId,
  hidden,
}: { state: ActivityState /** Said when the viewer may not follow it: hidden, which is not « none ». */; hidden?: string } & Omit<
  ActivityListProps,
  'events'
>) {
  if (state.forbidden && hidden)
    return (
      <p className="muted" data-testid={testId ? `${testId}-hidden` : undefined}>
        {hidden}
      </p>
    );
  if (!state.loaded && !state.error)
    return (
      <p className="muted" role="status">
        {fr.common.loading}
      </p>
    );
  return (
    <div className="stack">
      {state.error ? <Notice tone="error">{fr.feed.liveError}</Notice> : null}
      {state.resynced ? <Notice>{fr.feed.resync}</Notice> : null}
      <ActivityList events={state.events} empty={empty} label={label} testId={testId} />
      {state.hasOlder ? (
        <button
          type="button"
          className="button button--small"
          aria-disabled={state.loadingOlder}
          data-testid={testId ? `${testId}-older` : undefined}
          onClick={state.loadOlder}
        >
          {state.loadingOlder ? fr.common.loading : fr.feed.older}
        </button>
      ) : null}
    </div>
  );
}
