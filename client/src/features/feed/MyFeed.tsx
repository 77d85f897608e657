import { useId } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActivityPanel } from '../../ui/ActivityFeed';
import { formatDateTime } from '../../ui/format';
import { useActivity } from '../../ui/useActivity';
import { usePageTitle } from '../../ui/usePageTitle';

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
  usePageTitle(fr.feed.title);
  const [{ data: assigned }, refetchAssigned] = useQuery({ query: ASSIGNED });
  const activity = useActivity({ feed: true }, (event) => {
    if (event.type.startsWith('tenderSection') || event.type.startsWith('tenderResponse'))
      refetchAssigned({ requestPolicy: 'network-only' });
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
            {fr.feed.live} {activity.loaded ? <span className="live-dot" aria-hidden="true" /> : null}
          </h2>
          <ActivityPanel state={activity} empty={fr.feed.empty} label={fr.feed.title} testId="my-feed" />
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
