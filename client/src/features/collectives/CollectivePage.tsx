import { useEffect, useEffectEvent, useId } from 'react';
import { Link, useParams } from 'react-router';
import { MUTATION_ERROR } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActivityPanel } from '../../ui/ActivityFeed';
import { ActionButton } from '../../ui/form/ActionButton';
import { formatDay, formatEuros } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { PageState } from '../../ui/QueryState';
import { useActivity } from '../../ui/useActivity';
import { memberOptions } from '../../ui/useMembers';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { CollectiveAdmin } from './CollectiveAdmin';
import { CreateResources } from './CreateResources';
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

const MEMBERSHIP_RESULT = graphql(`
  fragment MembershipResult on Membership @_unmask {
    id
    role
    status
    origin
    collective {
      id
      memberCount
      needsAnimator
      viewerMembership {
        id
        role
        status
        origin
      }
    }
  }
`);

const LEAVE = graphql(
  `
  mutation LeaveCollective($collectiveId: ID!) {
    leaveCollective(input: { collectiveId: $collectiveId }) {
      __typename
      ... on MutationLeaveCollectiveSuccess {
        data {
          ...MembershipResult
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR, MEMBERSHIP_RESULT],
);

const APPROVE = graphql(
  `
  mutation ApproveMembership($membershipId: ID!) {
    approveMembership(input: { membershipId: $membershipId }) {
      __typename
      ... on MutationApproveMembershipSuccess {
        data {
          ...MembershipResult
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR, MEMBERSHIP_RESULT],
);

const DECLINE = graphql(
  `
  mutation DeclineMembership($membershipId: ID!) {
    declineMembership(input: { membershipId: $membershipId }) {
      __typename
      ... on MutationDeclineMembershipSuccess {
        data {
          ...MembershipResult
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR, MEMBERSHIP_RESULT],
);

type Collective = NonNullable<ResultOf<typeof COLLECTIVE_PAGE>['collective']>;
type Viewer = ResultOf<typeof COLLECTIVE_PAGE>['viewer'];

export function CollectivePage() {
  const { slug = '' } = useParams();
  const page = usePageQuery({ query: COLLECTIVE_PAGE, variables: { slug } }, slug, 'collective');
  usePageTitle(page.data?.collective?.name ?? (page.data ? fr.notFound.title : null));
  if (!page.data?.collective) return <PageState {...page} />;
  return (
    <CollectiveView
      key={page.data.collective.id}
      collective={page.data.collective}
      viewer={page.data.viewer}
      onResync={page.refetch}
    />
  );
}

interface ViewProps {
  collective: Collective;
  viewer: Viewer;
  onResync(): void;
}

function CollectiveView({ collective, viewer, onResync }: ViewProps) {
  const id = useId();
  const memberships = collective.memberships.edges.map((edge) => edge.node);
  const active = memberships.filter((membership) => membership.status === 'ACTIVE');
  const pending = memberships.filter((membership) => membership.status === 'PENDING');
  const mine = collective.viewerMembership;
  const supportStaff = viewer?.kind === 'SUPPORT_STAFF';
  const insider = mine?.status === 'ACTIVE';
  const leads = supportStaff || (insider && (mine.role === 'ANIMATOR' || mine.role === 'CO_ANIMATOR'));
  // A business collective's members and resources are for its members and the support staff only.
  const hidden = collective.kind === 'BUSINESS' && !insider && !supportStaff;
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
          <span className="badge" data-testid="collective-status">
            {label(fr.statuses, collective.status)}
          </span>
          <span className="badge">{label(fr.openness, collective.openness)}</span>
          {collective.sector ? <span className="badge">{label(fr.sectors, collective.sector)}</span> : null}
        </p>
      </header>

      <div className="columns">
        <div className="stack">
          <section className="card" aria-labelledby={`${id}-purpose`}>
            <h2 id={`${id}-purpose`}>{fr.collective.purpose}</h2>
            <p className="prewrap" data-testid="collective-purpose">
              {collective.purpose}
            </p>
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
                <dd data-testid="collective-animator">
                  {collective.animator ? (
                    <Link to={`/membres/${encodeURIComponent(collective.animator.id)}`}>{collective.animator.displayName}</Link>
                  ) : (
                    fr.common.nobody
                  )}
                </dd>
              </div>
              {collective.coAnimator || collective.kind === 'COMMONS' ? (
                <div>
                  <dt>{fr.collective.coAnimator}</dt>
                  <dd data-testid="collective-co-animator">{collective.coAnimator?.displayName ?? fr.common.nobody}</dd>
                </div>
              ) : null}
              <div>
                <dt>{fr.directory.membersLabel}</dt>
                <dd>{fr.directory.memberCount(collective.memberCount)}</dd>
              </div>
            </dl>
            {collective.needsAnimator ? <Notice tone="error">{fr.collective.noAnimator}</Notice> : null}
          </section>

          <MembershipPanel collective={collective} activeCount={active.length} />

          {leads ? (
            <section className="card" aria-labelledby={`${id}-admin`}>
              <h2 id={`${id}-admin`}>{fr.collectiveAdmin.title}</h2>
              <CollectiveAdmin
                collective={collective}
                activeMembers={active.map((membership) => membership.member)}
                pendingMemberIds={pending.map((membership) => membership.member.id)}
              />
            </section>
          ) : null}

          <section className="card" aria-labelledby={`${id}-members`}>
            <h2 id={`${id}-members`}>{fr.collective.members}</h2>
            {hidden ? (
              <p className="muted" data-testid="members-hidden">
                {fr.collective.membersHidden}
              </p>
            ) : active.length === 0 ? (
              <p className="muted">{fr.collective.noMembers}</p>
            ) : (
              <ul className="people" data-testid="collective-members">
                {active.map((membership) => (
                  <li key={membership.id}>
                    <Link className="people__name" to={`/membres/${encodeURIComponent(membership.member.id)}`}>
                      {membership.member.displayName}
                    </Link>
                    <span className="muted"> — {membership.member.trade}</span>{' '}
                    <span className="badge">{label(fr.roles, membership.role)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>

          {leads || pending.some((membership) => membership.member.id === viewer?.id) ? (
            <section className="card" aria-labelledby={`${id}-pending`}>
              <h2 id={`${id}-pending`}>{fr.collective.pendingRequests}</h2>
              {pending.length === 0 ? <p className="muted">{fr.collective.noPending}</p> : null}
              <ul className="people" data-testid="pending-requests">
                {pending.map((membership) => (
                  <PendingRow key={membership.id} membership={membership} canDecide={leads} />
                ))}
              </ul>
            </section>
          ) : null}

          {/* Its active members create its resources; the support staff read them (the server refuses them the rest). */}
          <Resources collective={collective} hidden={hidden} canCreate={insider} members={active} />
        </div>

        <aside className="card" aria-labelledby={`${id}-activity`}>
          <h2 id={`${id}-activity`}>{fr.collective.activity}</h2>
          <CollectiveActivity collectiveId={collective.id} onResync={onResync} />
        </aside>
      </div>
    </article>
  );
}

function CollectiveActivity({ collectiveId, onResync }: { collectiveId: string; onResync(): void }) {
  const activity = useActivity({ collectiveId });
  const resynced = activity.resynced;
  const resync = useEffectEvent(onResync);
  useEffect(() => {
    if (resynced) resync();
  }, [resynced]);
  return (
    <ActivityPanel
      state={activity}
      empty={fr.collective.noActivity}
      hidden={fr.collective.activityHidden}
      label={fr.collective.activity}
      testId="collective-activity"
    />
  );
}

type MembershipNode = Collective['memberships']['edges'][number]['node'];

function PendingRow({ membership, canDecide }: { membership: MembershipNode; canDecide: boolean }) {
  const name = membership.member.displayName;
  return (
    <li data-testid="pending-row">
      <span className="people__name">{name}</span>{' '}
      <span className="muted">
        {membership.origin === 'INVITED' ? fr.collective.invited : fr.collective.requestedOn(formatDay(membership.requestedAt))}
      </span>
      {canDecide && membership.origin !== 'INVITED' ? (
        <span className="row-actions">
          <ActionButton
            mutation={APPROVE}
            variables={{ membershipId: membership.id }}
            ariaLabel={fr.collective.approveNamed(name)}
            testId="approve-request"
          >
            {fr.collective.approve}
          </ActionButton>
          <ActionButton
            mutation={DECLINE}
            variables={{ membershipId: membership.id }}
            ariaLabel={fr.collective.declineNamed(name)}
            confirm={{ title: fr.collective.declineConfirm(name), confirmLabel: fr.collective.decline, danger: true }}
          >
            {fr.collective.decline}
          </ActionButton>
        </span>
      ) : null}
    </li>
  );
}

function MembershipPanel({ collective, activeCount }: { collective: Collective; activeCount: number }) {
  const id = useId();
  const mine = collective.viewerMembership;
  const isActive = mine?.status === 'ACTIVE';
  const isPending = mine?.status === 'PENDING';
  const invited = isPending && mine?.origin === 'INVITED';
  const closed = collective.status === 'CLOSED';
  const onlyAnimator = isActive && mine.role === 'ANIMATOR' && !collective.coAnimator && activeCount >= 1;

  let status: string;
  if (!mine) status = fr.collective.membership.none;
  else if (mine.status === 'LEFT') status = fr.collective.membership.LEFT;
  else if (mine.status === 'DECLINED') status = fr.collective.membership.DECLINED;
  else if (isActive) status = label(fr.collective.membership.ACTIVE, mine.role);
  else status = invited ? fr.collective.membership.INVITED : fr.collective.membership.PENDING;

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="visually-hidden">
        {fr.collective.yourMembership}
      </h2>
      <p data-testid="membership-status" data-status={mine?.status ?? 'NONE'} role="status">
        {status}
      </p>
      <div className="row-actions">
        {!closed && !isActive && !isPending && collective.openness !== 'CLOSED' ? (
          <ActionButton
            mutation={JOIN_COLLECTIVE}
            variables={{ collectiveId: collective.id }}
            tone="primary"
            testId="join-button"
          >
            {collective.openness === 'ON_REQUEST' ? fr.collective.request : fr.collective.join}
          </ActionButton>
        ) : null}
        {invited && mine ? (
          <>
            <ActionButton mutation={APPROVE} variables={{ membershipId: mine.id }} tone="primary" testId="accept-invitation">
              {fr.collective.acceptInvitation}
            </ActionButton>
            <ActionButton
              mutation={DECLINE}
              variables={{ membershipId: mine.id }}
              testId="decline-invitation"
              confirm={{
                title: fr.collective.declineInvitationConfirm,
                confirmLabel: fr.collective.declineInvitation,
                danger: true,
              }}
            >
              {fr.collective.declineInvitation}
            </ActionButton>
          </>
        ) : null}
        {isActive || (isPending && !invited) ? (
          <ActionButton
            mutation={LEAVE}
            variables={{ collectiveId: collective.id }}
            testId="leave-button"
            tone="danger"
            confirm={
              isActive
                ? {
                    title: fr.collectiveAdmin.leaveTitle(collective.name),
                    body: onlyAnimator ? fr.collectiveAdmin.leaveAsOnlyAnimator : fr.collectiveAdmin.leaveBody,
                    confirmLabel: fr.collective.leave,
                    danger: true,
                  }
                : { title: fr.collectiveAdmin.withdrawTitle, confirmLabel: fr.collective.withdraw, danger: true }
            }
          >
            {isActive ? fr.collective.leave : fr.collective.withdraw}
          </ActionButton>
        ) : null}
      </div>
      {!closed && !mine && collective.openness === 'CLOSED' ? <p className="muted">{fr.collective.invitationOnly}</p> : null}
      {closed ? <p className="muted">{fr.collective.closed}</p> : null}
    </section>
  );
}

function Resources({
  collective,
  hidden,
  canCreate,
  members,
}: {
  collective: Collective;
  hidden: boolean;
  canCreate: boolean;
  members: readonly MembershipNode[];
}) {
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
        to: `/affaires/${encodeURIComponent(deal.id)}`,
        text: deal.title,
        detail: `${label(fr.deal.statuses, deal.status)} · ${formatEuros(deal.totalAmountCents)}`,
      })),
    },
    {
      key: 'responses',
      title: fr.collective.tenderResponses,
      items: responses.map((response) => ({
        id: response.id,
        to: `/reponses/${encodeURIComponent(response.id)}`,
        text: response.title,
        detail: fr.collective.checklist(response.checklist.done, response.checklist.total),
      })),
    },
    {
      key: 'stands',
      title: fr.collective.stands,
      items: stands.map((stand) => ({
        id: stand.id,
        to: `/stands/${encodeURIComponent(stand.id)}`,
        text: stand.eventName,
        detail: `${stand.venue} · ${formatEuros(stand.totalCostCents)}`,
      })),
    },
    {
      key: 'brands',
      title: fr.collective.brands,
      items: brands.map((brand) => ({
        id: brand.id,
        to: `/marques/${encodeURIComponent(brand.id)}`,
        text: brand.name,
        detail: label(fr.brand.legalKinds, brand.legalKind),
      })),
    },
    {
      key: 'products',
      title: fr.collective.products,
      items: products.map((product) => ({
        id: product.id,
        to: `/produits/${encodeURIComponent(product.id)}`,
        text: product.name,
      })),
    },
  ];
  const shown = groups.filter((group) => group.items.length > 0);
  const closed = collective.status === 'CLOSED';

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
      {hidden ? (
        // A partner of one of its deals sees that deal: the rest is hidden, which is not « none ».
        <p className="muted" data-testid={shown.length > 0 ? 'resources-partly-hidden' : 'resources-hidden'}>
          {shown.length > 0 ? fr.collective.resourcesPartlyHidden : fr.collective.resourcesHidden}
        </p>
      ) : shown.length === 0 && collective.kind !== 'SECTOR' ? (
        <p className="muted">{fr.collective.noResource}</p>
      ) : null}
      {shown.map((group) => (
        <div key={group.key} className="resource-group" data-testid={`resources-${group.key}`}>
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
      {canCreate && !closed ? (
        <CreateResources
          collective={collective}
          members={memberOptions(members.map((membership) => membership.member))}
          brands={brands.map((brand) => ({ value: brand.id, label: brand.name }))}
        />
      ) : null}
    </section>
  );
}
