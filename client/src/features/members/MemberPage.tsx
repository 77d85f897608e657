import { useId } from 'react';
import { Link, useParams } from 'react-router';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import { formatDay } from '../../ui/format';
import { PageState } from '../../ui/QueryState';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { LEAVE_COOPERATIVE, MembershipList } from './memberships';

const MEMBER_PAGE = graphql(`
  query MemberPage($id: ID!) {
    viewer {
      id
      kind
    }
    member(id: $id) {
      id
      displayName
      email
      trade
      kind
      contract
      isAssociate
      associateSince
      situation
      sectors
      joinedCooperativeOn
      leftCooperativeOn
      memberships(first: 100) {
        totalCount
        edges {
          node {
            id
            role
            status
            joinedAt
            leftAt
            requestedAt
            collective {
              id
              slug
              name
              kind
              status
            }
          }
        }
      }
    }
  }
`);

type Member = NonNullable<ResultOf<typeof MEMBER_PAGE>['member']>;

/** A member's page: who they are in the cooperative, their collectives and roles, now and before. */
export function MemberPage() {
  const { id = '' } = useParams();
  const page = usePageQuery({ query: MEMBER_PAGE, variables: { id } }, id, 'member');
  usePageTitle(page.data?.member?.displayName ?? (page.data ? fr.notFound.title : null));
  if (!page.data?.member) return <PageState {...page} />;
  return <MemberView member={page.data.member} viewer={page.data.viewer} />;
}

function MemberView({ member, viewer }: { member: Member; viewer: ResultOf<typeof MEMBER_PAGE>['viewer'] }) {
  const id = useId();
  const memberships = member.memberships.edges.map((edge) => edge.node);
  const current = memberships.filter((membership) => membership.status === 'ACTIVE' || membership.status === 'PENDING');
  const past = memberships.filter((membership) => membership.status === 'LEFT' || membership.status === 'DECLINED');
  const self = viewer?.id === member.id;
  const staff = viewer?.kind === 'SUPPORT_STAFF';
  const status =
    member.kind === 'SUPPORT_STAFF'
      ? fr.members.kinds.SUPPORT_STAFF
      : member.isAssociate
        ? fr.members.associateSince(formatDay(member.associateSince))
        : label(fr.members.contracts, member.contract);

  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to="/membres">{fr.members.title}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {member.displayName}
          {self ? <span className="muted"> {fr.members.you}</span> : null}
        </h1>
        <p>{member.trade}</p>
        {self ? (
          <p>
            <Link to="/profil" data-testid="edit-my-profile">
              {fr.members.editProfile}
            </Link>
          </p>
        ) : null}
        <p className="badges">
          <span className="badge">{status}</span>
          {member.sectors.map((sector) => (
            <span key={sector} className="badge">
              {label(fr.sectors, sector)}
            </span>
          ))}
          {member.situation === 'LEFT' ? (
            <span className="badge badge--warning" data-testid="member-left">
              {fr.members.left(formatDay(member.leftCooperativeOn))}
            </span>
          ) : null}
        </p>
      </header>
      <section className="card">
        <dl className="facts">
          <div>
            <dt>{fr.members.email}</dt>
            <dd>
              <a href={`mailto:${member.email}`}>{member.email}</a>
            </dd>
          </div>
          <div>
            <dt>{fr.members.since}</dt>
            <dd>{formatDay(member.joinedCooperativeOn)}</dd>
          </div>
        </dl>
      </section>
      <section className="card" aria-labelledby={`${id}-current`}>
        <h2 id={`${id}-current`}>{fr.members.collectives}</h2>
        {current.length === 0 ? (
          <p className="muted">
            {member.memberships.totalCount === 0 && !self && !staff ? fr.members.noneVisible : fr.members.noCollective}
          </p>
        ) : (
          <MembershipList memberships={current} testId="member-collectives" />
        )}
        {/* Their own page, or the support staff's view, hides nothing. */}
        {self || staff ? null : <p className="hint">{fr.members.businessHidden}</p>}
      </section>
      {past.length > 0 ? (
        <section className="card" aria-labelledby={`${id}-past`}>
          <h2 id={`${id}-past`}>{fr.members.past}</h2>
          <MembershipList memberships={past} />
        </section>
      ) : null}
      {staff && !self && member.situation === 'ACTIVE' ? (
        <section className="card" aria-labelledby={`${id}-leave`}>
          <h2 id={`${id}-leave`}>{fr.members.leaveTitle}</h2>
          <p className="hint">{fr.members.leaveHint}</p>
          <ActionButton
            mutation={LEAVE_COOPERATIVE}
            variables={{ memberId: member.id }}
            tone="danger"
            testId="leave-cooperative"
            confirm={{
              title: fr.members.leaveConfirm(member.displayName),
              body: fr.members.leaveHint,
              confirmLabel: fr.members.leaveSubmit,
              danger: true,
            }}
          >
            {fr.members.leaveSubmit}
          </ActionButton>
        </section>
      ) : null}
    </article>
  );
}
