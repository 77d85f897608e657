import { useId, useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { messageOf } from '../../errors';
import { graphql } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActivityList, type FeedEvent, mergeEvents } from '../../ui/ActivityFeed';
import { formatDateTime } from '../../ui/format';
import { Notice } from '../../ui/Notice';

const MY_FEED = graphql(`
  subscription MyFeed($after: String) {
    myFeed(after: $after) {
      __typename
      ... on ActivityEvent {
        position
        type
        createdAt
        subjectId
        collectiveId
        actor {
          id
          displayName
        }
      }
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`);

const ASSIGNED = graphql(`
  query SectionsAssignedToMe {
    sectionsAssignedToMe {
      id
      title
      status
      effectiveDueAt
      response {
        id
        title
      }
    }
  }
`);

/** The member's own feed: what concerns them, live, plus the sections waiting for them. */
export function MyFeed() {
  const id = useId();
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [resynced, setResynced] = useState(false);
  const [{ data: assigned }, refetchAssigned] = useQuery({ query: ASSIGNED });
  const [{ error, data }] = useSubscription({ query: MY_FEED }, (_previous, next) => {
    const message = next.myFeed;
    if (message.__typename === 'ActivityEvent') {
      setEvents((current) => mergeEvents(current, message));
      if (message.type.startsWith('section') || message.type.startsWith('tender'))
        refetchAssigned({ requestPolicy: 'network-only' });
    } else {
      setResynced(true);
      refetchAssigned({ requestPolicy: 'network-only' });
    }
    return next;
  });
  const sections = assigned?.sectionsAssignedToMe ?? [];

  return (
    <section className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <h1 id={`${id}-title`} tabIndex={-1}>
          {fr.feed.title}
        </h1>
        <p className="muted">{fr.feed.intro}</p>
      </header>
      <div className="columns">
        <section className="card" aria-labelledby={`${id}-live`}>
          <h2 id={`${id}-live`}>
            {fr.feed.live} {data || events.length ? <span className="live-dot" aria-hidden="true" /> : null}
          </h2>
          {error ? <Notice tone="error">{messageOf(null, error)}</Notice> : null}
          {resynced ? <Notice>{fr.feed.resync}</Notice> : null}
          <ActivityList events={events} empty={fr.feed.empty} label={fr.feed.title} testId="my-feed" />
        </section>
        <section className="card" aria-labelledby={`${id}-assigned`}>
          <h2 id={`${id}-assigned`}>{fr.feed.assigned}</h2>
          {sections.length === 0 ? <p className="muted">{fr.feed.noAssigned}</p> : null}
          <ul className="links">
            {sections.map((section) => (
              <li key={section.id}>
                <Link to={`/reponses/${section.response.id}`}>{section.title}</Link>
                <span className="muted">
                  {' '}
                  — {section.response.title} · {label(fr.sections.statuses, section.status)} ·{' '}
                  {formatDateTime(section.effectiveDueAt)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </section>
  );
}
