import { fr } from '../i18n/fr';
import { eventLabel } from './events';
import { formatDateTime } from './format';

/** One event of the log, as every activity subscription and the dashboard send it. */
export interface FeedEvent {
  position: string;
  type: string;
  createdAt: string;
  actor?: { displayName: string } | null;
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

/** A log region listing events; screen readers announce new ones politely. */
export function ActivityList({ events, empty, testId, label }: ActivityListProps) {
  return (
    <div role="log" aria-label={label} data-testid={testId}>
      {events.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ol className="activity">
          {events.map((event) => (
            <li key={event.position} className="activity__item" data-event-type={event.type}>
              <span className="activity__what">{eventLabel(event.type)}</span>
              {event.actor ? <span className="activity__who">{fr.feed.by(event.actor.displayName)}</span> : null}
              <time className="activity__when muted" dateTime={event.createdAt}>
                {formatDateTime(event.createdAt)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
