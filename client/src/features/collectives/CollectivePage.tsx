import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useSubscription } from 'urql';
import { messageOf } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActivityList, type FeedEvent, mergeEvents } from '../../ui/ActivityFeed';
import { formatDay, formatEuros } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { NotFound, QueryState } from '../../ui/QueryState';
import { useLatest } from '../../ui/useLatest';
import { JOIN_COLLECTIVE } from './Directory';

const COLLECTIVE_PAGE = graphql(`
  query CollectivePage($slug: String!) {
    viewer {
      id
      kind
    }
    collective(slug: $slug) {
      id
      slug
      name
      kind
      horizon
      status
      openness
      purpose
      objective
      targetDate
      sector
      needsAnimator
      memberCount
      animator {
        id
        displayName
      }
      coAnimator {
        id
        displayName
      }
      viewerMembership {
        id
        role
        status
        origin
      }
      memberships(first: 200) {
        totalCount
        edges {
          node {
            id
            role
            status
            origin
            joinedAt
            requestedAt
            member {
              id
              displayName
              trade
            }
          }
        }
      }
      deals(first: 50) {
        edges {
          node {
            id
            title
            status
            totalAmountCents
            tenderResponse {
              id
              title
              checklist {
                done
                total
              }
            }
          }
        }
      }
      tenderResponses(first: 50) {
        edges {
          node {
            id
            title
            isSubmitted
            checklist {
              done
              total
            }
          }
        }
      }
      stands(first: 50) {
        edges {
          node {
            id
            eventName
            venue
            totalCostCents
          }
        }
      }
      brands(first: 50) {
        edges {
          node {
            id
            name
            legalKind
          }
        }
      }
      products(first: 50) {
        edges {
          node {
            id
            name
          }
        }
      }
    }
  }
`);

const COLLECTIVE_ACTIVITY = graphql(`
  subscription CollectiveActivity($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) {
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

const LEAVE = graphql(`
  mutation LeaveCollective($collectiveId: ID!) {
    leaveCollective(input: { collectiveId: $collectiveId }) {
      __typename
      ... on Error {
        message
      }
      ... on RuleViolationError {
        field
        rule
      }
      ... on MutationLeaveCollectiveSuccess {
        data {
          id
          status
          collective {
            id
            memberCount
            viewerMembership {
              id
              role
              status
              origin
            }
          }
        }
      }
    }
  }
`);

const APPROVE = graphql(`
  mutation ApproveMembership($membershipId: ID!) {
    approveMembership(input: { membershipId: $membershipId }) {
      __typename
      ... on Error {
        message
      }
      ... on RuleViolationError {
        field
        rule
      }
      ... on MutationApproveMembershipSuccess {
        data {
          id
          status
          collective {
            id
            memberCount
            viewerMembership {
              id
              role
              status
              origin
            }
          }
        }
      }
    }
  }
`);

const DECLINE = graphql(`
  mutation DeclineMembership($membershipId: ID!) {
    declineMembership(input: { membershipId: $membershipId }) {
      __typename
      ... on Error {
        message
      }
      ... on RuleViolationError {
        field
        rule
      }
      ... on MutationDeclineMembershipSuccess {
        data {
          id
          status
          collective {
            id
            memberCount
            viewerMembership {
              id
              role
              status
              origin
            }
          }
        }
      }
    }
  }
`);

type Collective = NonNullable<ResultOf<typeof COLLECTIVE_PAGE>['collective']>;

export function CollectivePage() {
  const { slug = '' } = useParams();
  const [result, refetch] = useQuery({ query: COLLECTIVE_PAGE, variables: { slug } });
  const { fetching, error } = result;
  const data = useLatest(result, slug, 'collective');
  if (!data)
    return (
      <QueryState fetching={fetching} error={error} hasData={false} retry={() => refetch({ requestPolicy: 'network-only' })} />
    );
  if (!data.collective) return <NotFound />;
  return (
    <CollectiveView
      key={data.collective.id}
      collective={data.collective}
      viewer={data.viewer}
      onResync={() => refetch({ requestPolicy: 'network-only' })}
    />
  );
}

interface ViewProps {
  collective: Collective;
  viewer: ResultOf<typeof COLLECTIVE_PAGE>['viewer'];
  onResync(): void;
}

function CollectiveView({ collective, viewer, onResync }: ViewProps) {
  const id = useId();
  const memberships = collective.memberships.edges.map((edge) => edge.node);
  const active = memberships.filter((membership) => membership.status === 'ACTIVE');
  const pending = memberships.filter((membership) => membership.status === 'PENDING');
  const mine = collective.viewerMembership;
  const canDecide =
    viewer?.kind === 'SUPPORT_STAFF' || (mine?.status === 'ACTIVE' && (mine.role === 'ANIMATOR' || mine.role === 'CO_ANIMATOR'));
  const kindText = collective.horizon
    ? `${label(fr.kinds, collective.kind)} ${label(fr.horizons, collective.horizon)}`
    : label(fr.kinds, collective.kind);

  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to="/">{fr.nav.directory}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {collective.name}
        </h1>
        <p className="badges">
          <span className={`badge badge--${collective.kind.toLowerCase()}`}>{kindText}</span>
          <span className="badge">{label(fr.statuses, collective.status)}</span>
          <span className="badge">{label(fr.openness, collective.openness)}</span>
          {collective.sector ? <span className="badge">{label(fr.sectors, collective.sector)}</span> : null}
        </p>
      </header>

      <div className="columns">
        <div className="stack">
          <section className="card" aria-labelledby={`${id}-purpose`}>
            <h2 id={`${id}-purpose`}>{fr.collective.purpose}</h2>
            <p>{collective.purpose}</p>
            {collective.objective ? (
              <p>
                <strong>{fr.collective.objective}&nbsp;: </strong>
                {collective.objective}
              </p>
            ) : null}
            {collective.targetDate ? (
              <p>
                <strong>{fr.collective.targetDate}&nbsp;: </strong>
                {formatDay(collective.targetDate)}
              </p>
            ) : null}
            <dl className="facts">
              <div>
                <dt>{fr.collective.animator}</dt>
                <dd>{collective.animator?.displayName ?? fr.common.nobody}</dd>
              </div>
              {collective.coAnimator || collective.kind === 'COMMONS' ? (
                <div>
                  <dt>{fr.collective.coAnimator}</dt>
                  <dd>{collective.coAnimator?.displayName ?? fr.common.nobody}</dd>
                </div>
              ) : null}
              <div>
                <dt>{fr.directory.membersLabel}</dt>
                <dd>{fr.directory.memberCount(collective.memberCount)}</dd>
              </div>
            </dl>
            {collective.needsAnimator ? <Notice tone="error">{fr.collective.noAnimator}</Notice> : null}
          </section>

          <MembershipPanel collective={collective} />

          <section className="card" aria-labelledby={`${id}-members`}>
            <h2 id={`${id}-members`}>{fr.collective.members}</h2>
            {active.length === 0 ? <p className="muted">{fr.collective.noMembers}</p> : null}
            <ul className="people">
              {active.map((membership) => (
                <li key={membership.id}>
                  <span className="people__name">{membership.member.displayName}</span>
                  <span className="muted"> — {membership.member.trade}</span>{' '}
                  <span className="badge">{label(fr.roles, membership.role)}</span>
                </li>
              ))}
            </ul>
          </section>

          {canDecide || pending.some((membership) => membership.member.id === viewer?.id) ? (
            <section className="card" aria-labelledby={`${id}-pending`}>
              <h2 id={`${id}-pending`}>{fr.collective.pendingRequests}</h2>
              {pending.length === 0 ? <p className="muted">{fr.collective.noPending}</p> : null}
              <ul className="people">
                {pending.map((membership) => (
                  <PendingRow key={membership.id} membership={membership} canDecide={canDecide} />
                ))}
              </ul>
            </section>
          ) : null}

          <Resources collective={collective} />
        </div>

        <aside className="card" aria-labelledby={`${id}-activity`}>
          <h2 id={`${id}-activity`}>{fr.collective.activity}</h2>
          <LiveActivity collectiveId={collective.id} onResync={onResync} />
        </aside>
      </div>
    </article>
  );
}

function LiveActivity({ collectiveId, onResync }: { collectiveId: string; onResync(): void }) {
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [{ error }] = useSubscription({ query: COLLECTIVE_ACTIVITY, variables: { collectiveId } }, (_previous, data) => {
    const message = data.collectiveActivity;
    if (message.__typename === 'ActivityEvent') setEvents((current) => mergeEvents(current, message));
    else onResync();
    return data;
  });
  return (
    <>
      {error ? <Notice tone="error">{messageOf(null, error)}</Notice> : null}
      <ActivityList events={events} empty={fr.feed.empty} label={fr.collective.activity} testId="collective-activity" />
    </>
  );
}

type MembershipNode = Collective['memberships']['edges'][number]['node'];

function PendingRow({ membership, canDecide }: { membership: MembershipNode; canDecide: boolean }) {
  const [approveState, approve] = useMutation(APPROVE);
  const [declineState, decline] = useMutation(DECLINE);
  const [problem, setProblem] = useState<string | null>(null);
  const busy = approveState.fetching || declineState.fetching;
  const name = membership.member.displayName;

  async function act(kind: 'approve' | 'decline') {
    if (busy) return;
    setProblem(null);
    const result =
      kind === 'approve' ? await approve({ membershipId: membership.id }) : await decline({ membershipId: membership.id });
    const payload = result.data ? Object.values(result.data)[0] : null;
    if (!payload?.__typename.endsWith('Success')) setProblem(messageOf(payload, result.error));
  }

  return (
    <li>
      <span className="people__name">{name}</span>{' '}
      <span className="muted">
        {membership.origin === 'INVITED' ? fr.collective.invited : fr.collective.requestedOn(formatDay(membership.requestedAt))}
      </span>
      {canDecide && membership.origin !== 'INVITED' ? (
        <span className="row-actions">
          <button
            type="button"
            className="button"
            aria-disabled={busy}
            aria-label={fr.collective.approveNamed(name)}
            onClick={() => act('approve')}
          >
            {fr.collective.approve}
          </button>
          <button
            type="button"
            className="button"
            aria-disabled={busy}
            aria-label={fr.collective.declineNamed(name)}
            onClick={() => act('decline')}
          >
            {fr.collective.decline}
          </button>
        </span>
      ) : null}
      {problem ? <Notice tone="error">{problem}</Notice> : null}
    </li>
  );
}

function MembershipPanel({ collective }: { collective: Collective }) {
  const id = useId();
  const [joinState, join] = useMutation(JOIN_COLLECTIVE);
  const [leaveState, leave] = useMutation(LEAVE);
  const [approveState, approve] = useMutation(APPROVE);
  const [declineState, decline] = useMutation(DECLINE);
  const [feedback, setFeedback] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const busy = joinState.fetching || leaveState.fetching || approveState.fetching || declineState.fetching;
  const mine = collective.viewerMembership;
  const isActive = mine?.status === 'ACTIVE';
  const isPending = mine?.status === 'PENDING';
  const invited = isPending && mine?.origin === 'INVITED';
  const closed = collective.status === 'CLOSED';

  async function run(action: () => Promise<{ data?: object | undefined; error?: import('urql').CombinedError | undefined }>) {
    if (busy) return;
    setFeedback(null);
    const result = await action();
    const payload = result.data
      ? (Object.values(result.data)[0] as { __typename: string; message?: string; rule?: string } | null)
      : null;
    if (payload?.__typename.endsWith('Success')) return;
    setFeedback({ tone: 'error', text: messageOf(payload, result.error) });
  }

  let status: string;
  if (!mine || mine.status === 'LEFT' || mine.status === 'DECLINED') {
    status = !mine
      ? fr.collective.membership.none
      : mine.status === 'LEFT'
        ? fr.collective.membership.LEFT
        : fr.collective.membership.DECLINED;
  } else if (isActive) status = fr.collective.membership.ACTIVE(label(fr.roles, mine.role));
  else status = invited ? fr.collective.membership.INVITED : fr.collective.membership.PENDING;

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="visually-hidden">
        {fr.collective.members}
      </h2>
      <p data-testid="membership-status" data-status={mine?.status ?? 'NONE'} role="status">
        {status}
      </p>
      <div className="row-actions">
        {!closed && !isActive && !isPending && collective.openness !== 'CLOSED' ? (
          <button
            type="button"
            className="button button--primary"
            data-testid="join-button"
            aria-disabled={busy}
            onClick={() => run(() => join({ collectiveId: collective.id }))}
          >
            {collective.openness === 'ON_REQUEST' ? fr.collective.request : fr.collective.join}
          </button>
        ) : null}
        {invited && mine ? (
          <>
            <button
              type="button"
              className="button button--primary"
              aria-disabled={busy}
              onClick={() => run(() => approve({ membershipId: mine.id }))}
            >
              {fr.collective.acceptInvitation}
            </button>
            <button
              type="button"
              className="button"
              aria-disabled={busy}
              onClick={() => run(() => decline({ membershipId: mine.id }))}
            >
              {fr.collective.declineInvitation}
            </button>
          </>
        ) : null}
        {isActive || (isPending && !invited) ? (
          <button
            type="button"
            className="button"
            data-testid="leave-button"
            aria-disabled={busy}
            onClick={() => run(() => leave({ collectiveId: collective.id }))}
          >
            {isActive ? fr.collective.leave : fr.collective.withdraw}
          </button>
        ) : null}
      </div>
      {!closed && !mine && collective.openness === 'CLOSED' ? <p className="muted">{fr.collective.invitationOnly}</p> : null}
      {closed ? <p className="muted">{fr.collective.closed}</p> : null}
      {feedback ? <Notice tone={feedback.tone}>{feedback.text}</Notice> : null}
    </section>
  );
}

function Resources({ collective }: { collective: Collective }) {
  const id = useId();
  const deals = collective.deals.edges.map((edge) => edge.node);
  const responses = collective.tenderResponses.edges.map((edge) => edge.node);
  const stands = collective.stands.edges.map((edge) => edge.node);
  const brands = collective.brands.edges.map((edge) => edge.node);
  const products = collective.products.edges.map((edge) => edge.node);
  const groups: { key: string; title: string; items: { id: string; to: string; text: string; detail?: string }[] }[] = [
    {
      key: 'deals',
      title: fr.collective.deals,
      items: deals.map((deal) => ({
        id: deal.id,
        to: `/affaires/${deal.id}`,
        text: deal.title,
        detail: `${label(fr.deal.statuses, deal.status)} · ${formatEuros(deal.totalAmountCents)}`,
      })),
    },
    {
      key: 'responses',
      title: fr.collective.tenderResponses,
      items: responses.map((response) => ({
        id: response.id,
        to: `/reponses/${response.id}`,
        text: response.title,
        detail: fr.collective.checklist(response.checklist.done, response.checklist.total),
      })),
    },
    {
      key: 'stands',
      title: fr.collective.stands,
      items: stands.map((stand) => ({
        id: stand.id,
        to: `/stands/${stand.id}`,
        text: stand.eventName,
        detail: `${stand.venue} · ${formatEuros(stand.totalCostCents)}`,
      })),
    },
    {
      key: 'brands',
      title: fr.collective.brands,
      items: brands.map((brand) => ({
        id: brand.id,
        to: `/marques/${brand.id}`,
        text: brand.name,
        detail: label(fr.brand.legalKinds, brand.legalKind),
      })),
    },
    {
      key: 'products',
      title: fr.collective.products,
      items: products.map((product) => ({ id: product.id, to: `/produits/${product.id}`, text: product.name })),
    },
  ];
  const shown = groups.filter((group) => group.items.length > 0);

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{fr.collective.resources}</h2>
      {collective.kind === 'SECTOR' ? (
        <p>
          <Link className="button" to={`/collectifs/${collective.slug}/outils`}>
            {fr.collective.openSectorTools}
          </Link>
        </p>
      ) : null}
      {shown.length === 0 && collective.kind !== 'SECTOR' ? <p className="muted">{fr.collective.noResource}</p> : null}
      {shown.map((group) => (
        <div key={group.key} className="resource-group">
          <h3>{group.title}</h3>
          <ul className="links">
            {group.items.map((item) => (
              <li key={item.id}>
                <Link to={item.to}>{item.text}</Link>
                {item.detail ? <span className="muted"> — {item.detail}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
