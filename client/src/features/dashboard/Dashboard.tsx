import { useId } from 'react';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useSubscription } from 'urql';
import { messageOf } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActivityList } from '../../ui/ActivityFeed';
import { formatDateTime, formatEuros, formatRelative } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { usePageTitle } from '../../ui/usePageTitle';

const DASHBOARD = graphql(`
  subscription Dashboard($withinDays: Int) {
    dashboard(withinDays: $withinDays) {
      position
      collectives {
        kind
        status
        count
      }
      deals {
        status
        count
        totalAmountCents
      }
      upcomingDeadlines {
        at
        kind
        title
        buyer
        opportunityId
      }
      recentActivity {
        position
        type
        createdAt
        subjectId
        actor {
          id
          displayName
        }
      }
    }
  }
`);

type Figures = ResultOf<typeof DASHBOARD>['dashboard'];

const DEAL_ORDER = ['WATCH', 'GO', 'PREPARING', 'SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL', 'NO_GO', 'ABANDONED'];

/** The live dashboard: a subscription sends a full snapshot at once, then after every burst of changes. */
export function Dashboard() {
  const id = useId();
  usePageTitle(fr.dashboard.title);
  const [{ data, error, fetching }] = useSubscription({ query: DASHBOARD, variables: { withinDays: 14 } });
  const figures = data?.dashboard;

  return (
    <section className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <h1 id={`${id}-title`} tabIndex={-1}>
          {fr.dashboard.title}
        </h1>
        <p className="muted">
          {fr.dashboard.intro} {figures ? <span className="live-dot">{fr.dashboard.updatedLive}</span> : null}
        </p>
      </header>
      {error ? <Notice tone="error">{messageOf(null, error)}</Notice> : null}
      {!figures ? (
        <p className="muted" role="status">
          {fetching ? fr.common.loading : fr.feed.connecting}
        </p>
      ) : (
        <DashboardView figures={figures} />
      )}
    </section>
  );
}

function DashboardView({ figures }: { figures: Figures }) {
  const id = useId();
  const total = figures.collectives.reduce((sum, row) => sum + row.count, 0);
  const byKind = new Map<string, number>();
  const byStatus = new Map<string, number>();
  for (const row of figures.collectives) {
    byKind.set(row.kind, (byKind.get(row.kind) ?? 0) + row.count);
    byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + row.count);
  }
  const deals = [...figures.deals]
    .sort((a, b) => DEAL_ORDER.indexOf(a.status) - DEAL_ORDER.indexOf(b.status))
    .map((row) => ({ ...row, label: label(fr.deal.statuses, row.status), euros: row.totalAmountCents / 100 }));

  return (
    <div className="dashboard-grid">
      <section className="card" aria-labelledby={`${id}-collectives`}>
        <h2 id={`${id}-collectives`}>{fr.dashboard.collectives}</h2>
        <p className="big-number">
          <span data-testid="dashboard-collectives-count">{total}</span>{' '}
          <span className="muted">{fr.dashboard.collectivesTotal}</span>
        </p>
        <p className="hint">{fr.dashboard.businessNotCounted}</p>
        <div className="two-lists">
          <div>
            <h3>{fr.dashboard.byKind}</h3>
            <dl className="counts">
              {[...byKind].map(([kind, count]) => (
                <div key={kind} data-testid={`dashboard-kind-${kind}`}>
                  <dt>{label(fr.kinds, kind)}</dt>
                  <dd>{count}</dd>
                </div>
              ))}
            </dl>
          </div>
          <div>
            <h3>{fr.dashboard.byStatus}</h3>
            <dl className="counts">
              {[...byStatus].map(([status, count]) => (
                <div key={status} data-testid={`dashboard-status-${status}`}>
                  <dt>{label(fr.statuses, status)}</dt>
                  <dd>{count}</dd>
                </div>
              ))}
            </dl>
          </div>
        </div>
      </section>

      <section className="card" aria-labelledby={`${id}-deadlines`}>
        <h2 id={`${id}-deadlines`}>{fr.dashboard.deadlines}</h2>
        {figures.upcomingDeadlines.length === 0 ? <p className="muted">{fr.dashboard.noDeadlines}</p> : null}
        <ol className="timeline" data-testid="dashboard-deadlines">
          {figures.upcomingDeadlines.map((deadline) => (
            <li
              key={`${deadline.opportunityId}-${deadline.kind}`}
              className={`timeline__item timeline__item--${deadline.kind.toLowerCase()}`}
            >
              <time dateTime={deadline.at}>
                <strong>{formatRelative(deadline.at)}</strong> <span className="muted">{formatDateTime(deadline.at)}</span>
              </time>
              <span>
                {label(fr.dashboard.deadlineKinds, deadline.kind)}&nbsp;:{' '}
                <Link to={`/opportunites/${deadline.opportunityId}`}>{deadline.title}</Link>
              </span>
              <span className="muted">{deadline.buyer}</span>
            </li>
          ))}
        </ol>
      </section>

      <section className="card" aria-labelledby={`${id}-activity`}>
        <h2 id={`${id}-activity`}>{fr.dashboard.activity}</h2>
        <ActivityList
          events={figures.recentActivity}
          empty={fr.dashboard.noActivity}
          label={fr.dashboard.activity}
          testId="dashboard-activity"
        />
      </section>
      <section className="card dashboard-grid__wide" aria-labelledby={`${id}-deals`}>
        <h2 id={`${id}-deals`}>{fr.dashboard.deals}</h2>
        {deals.length === 0 ? <p className="muted">{fr.dashboard.noDeals}</p> : null}
        <figure className="chart" aria-label={fr.dashboard.dealsChartLabel} hidden={deals.length === 0}>
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={deals} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" interval={0} tick={{ fontSize: 12 }} />
              <YAxis tickFormatter={(value: number) => `${Math.round(value / 1000)} k€`} width={56} />
              <Tooltip formatter={(value) => [formatEuros(Number(value) * 100), fr.dashboard.amount]} />
              <Bar dataKey="euros" name={fr.dashboard.amount} fill="var(--accent)" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </figure>
        <table className="table" data-testid="dashboard-deals" hidden={deals.length === 0}>
          <caption className="visually-hidden">{fr.dashboard.deals}</caption>
          <thead>
            <tr>
              <th scope="col">{fr.deal.status}</th>
              <th scope="col">{fr.dashboard.count}</th>
              <th scope="col">{fr.dashboard.amount}</th>
            </tr>
          </thead>
          <tbody>
            {deals.map((row) => (
              <tr key={row.status}>
                <th scope="row">{row.label}</th>
                <td>{row.count}</td>
                <td>{formatEuros(row.totalAmountCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
