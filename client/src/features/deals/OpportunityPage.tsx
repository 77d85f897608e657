import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { Disclosure } from '../../ui/form/Disclosure';
import type { Option } from '../../ui/form/fields';
import { formatDateTime, formatEuros, formatRelative } from '../../ui/format';
import { PageState, QueryState } from '../../ui/QueryState';
import { usePublicChanges } from '../../ui/useCollectiveChanges';
import { useNodeChanges } from '../../ui/useNodeChanges';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { CreateDealForm } from '../collectives/CreateResources';
import { EditOpportunityForm, OPPORTUNITY_FIELDS } from './OpportunityForms';

const OPPORTUNITIES = graphql(`
  query Opportunities($open: Boolean) {
    opportunities(first: 100, open: $open, orderBy: SUBMISSION_DEADLINE) {
      totalCount
      edges {
        node {
          id
          title
          buyer
          kind
          submissionDeadline
          broughtByCooperative
        }
      }
    }
  }
`);

const OPPORTUNITY = graphql(
  `
  query OpportunityPage($id: ID!) {
    viewer {
      id
      kind
      memberships(first: 100, scope: CURRENT) {
        edges {
          node {
            id
            status
            collective {
              id
              name
              kind
              status
            }
          }
        }
      }
    }
    node(id: $id) {
      __typename
      ... on Opportunity {
        ...OpportunityFields
        collectives {
          id
          slug
          name
        }
        deals(first: 50) {
          edges {
            node {
              id
              title
              status
              totalAmountCents
              collective {
                id
                name
              }
            }
          }
        }
      }
    }
  }
`,
  [OPPORTUNITY_FIELDS],
);

const OPPORTUNITY_FAMILIES = ['opportunity'];

export function OpportunitiesPage() {
  const id = useId();
  usePageTitle(fr.opportunities.title);
  const [openOnly, setOpenOnly] = useState(true);
  const [{ data, fetching, error }, refetch] = useQuery({ query: OPPORTUNITIES, variables: { open: openOnly ? true : null } });
  // New and changed opportunities show as they are recorded.
  usePublicChanges(OPPORTUNITY_FAMILIES, () => refetch({ requestPolicy: 'network-only' }));
  const items = data?.opportunities.edges.map((edge) => edge.node) ?? [];
  return (
    <section className="page stack" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`} tabIndex={-1}>
        {fr.opportunities.title}
      </h1>
      <p>
        <Link className="button button--primary" to="/opportunites/nouvelle" data-testid="new-opportunity">
          {fr.opportunityForm.newTitle}
        </Link>
      </p>
      <div className="field field--inline">
        <input
          id={`${id}-open`}
          type="checkbox"
          checked={openOnly}
          onChange={(event) => setOpenOnly(event.currentTarget.checked)}
        />
        <label htmlFor={`${id}-open`}>{fr.opportunities.openOnly}</label>
      </div>
      <QueryState
        fetching={fetching}
        error={error}
        hasData={Boolean(data)}
        retry={() => refetch({ requestPolicy: 'network-only' })}
      />
      {data && items.length === 0 ? (
        <p className="muted">{openOnly ? fr.opportunities.emptyOpen : fr.opportunities.empty}</p>
      ) : null}
      <ul className="card-list" aria-busy={fetching} data-testid="opportunity-list">
        {items.map((item) => (
          <li key={item.id} className="card">
            <h2 className="card__title">
              <Link to={`/opportunites/${item.id}`}>{item.title}</Link>
            </h2>
            <p className="muted">
              {label(fr.opportunities.kinds, item.kind)} · {item.buyer}
            </p>
            {item.submissionDeadline ? (
              <p>
                {fr.opportunities.submissionDeadline}&nbsp;: {formatDateTime(item.submissionDeadline)} (
                {formatRelative(item.submissionDeadline)})
              </p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

type Opportunity = Extract<NonNullable<ResultOf<typeof OPPORTUNITY>['node']>, { __typename: 'Opportunity' }>;

export function OpportunityPage() {
  const { id = '' } = useParams();
  const page = usePageQuery({ query: OPPORTUNITY, variables: { id } }, id, 'node');
  const { data } = page;
  useNodeChanges(id, page.refetch);
  const node = data?.node?.__typename === 'Opportunity' ? data.node : null;
  usePageTitle(node?.title ?? (data ? fr.notFound.title : null));
  if (!data || !node) return <PageState {...page} />;
  const viewer = data.viewer;
  const mayEdit = viewer?.kind === 'SUPPORT_STAFF' || node.broughtBy?.id === viewer?.id;
  // The business collectives the viewer is an active member of: where they may start a deal.
  const collectives = (viewer?.memberships.edges ?? [])
    .map((edge) => edge.node)
    .filter(
      (membership) =>
        membership.status === 'ACTIVE' && membership.collective.kind === 'BUSINESS' && membership.collective.status !== 'CLOSED',
    )
    .map((membership) => ({ value: membership.collective.id, label: membership.collective.name }));
  return <OpportunityView opportunity={node} mayEdit={mayEdit} collectives={collectives} />;
}

function OpportunityView({
  opportunity,
  mayEdit,
  collectives,
}: {
  opportunity: Opportunity;
  mayEdit: boolean;
  collectives: readonly Option[];
}) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const deals = opportunity.deals.edges.map((edge) => edge.node);
  // Deals of business collectives are for their members: name the collectives that answer even when their deals are hidden.
  const hiddenAnswers = opportunity.collectives.filter(
    (collective) => !deals.some((deal) => deal.collective.id === collective.id),
  );
  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to="/opportunites">{fr.opportunities.title}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {opportunity.title}
        </h1>
        <p className="badges">
          <span className="badge">{label(fr.opportunities.kinds, opportunity.kind)}</span>
        </p>
      </header>
      <section className="card">
        <dl className="facts">
          <div>
            <dt>{fr.opportunities.buyer}</dt>
            <dd>{opportunity.buyer}</dd>
          </div>
          {opportunity.reference ? (
            <div>
              <dt>{fr.opportunities.reference}</dt>
              <dd>{opportunity.reference}</dd>
            </div>
          ) : null}
          <div>
            <dt>{fr.opportunities.submissionDeadline}</dt>
            <dd>
              {formatDateTime(opportunity.submissionDeadline)}
              {opportunity.submissionDeadline ? ` (${formatRelative(opportunity.submissionDeadline)})` : ''}
            </dd>
          </div>
          <div>
            <dt>{fr.opportunities.questionsDeadline}</dt>
            <dd>{formatDateTime(opportunity.questionsDeadline)}</dd>
          </div>
          <div>
            <dt>{fr.opportunities.broughtBy}</dt>
            <dd>
              {[opportunity.broughtByCooperative ? fr.opportunities.byCooperative : null, opportunity.broughtBy?.displayName]
                .filter(Boolean)
                .join(' · ') || '—'}
            </dd>
          </div>
        </dl>
        {opportunity.description ? <p className="prewrap">{opportunity.description}</p> : null}
        {opportunity.url ? (
          <p>
            <a href={opportunity.url} target="_blank" rel="noreferrer">
              {fr.opportunities.link}
            </a>
          </p>
        ) : null}
        {mayEdit && !editing ? (
          <button type="button" className="button" data-testid="edit-opportunity" onClick={() => setEditing(true)}>
            {fr.opportunityForm.edit}
          </button>
        ) : null}
        {editing ? <EditOpportunityForm opportunity={opportunity} onDone={() => setEditing(false)} /> : null}
      </section>
      {opportunity.lots.length > 0 ? (
        <section className="card" aria-labelledby={`${id}-lots`}>
          <h2 id={`${id}-lots`}>{fr.opportunities.lots}</h2>
          <ul>
            {opportunity.lots.map((lot) => (
              <li key={lot.id}>
                {fr.opportunities.lot(lot.number, lot.title)}
                {lot.estimatedAmountCents != null ? (
                  <span className="muted"> — {formatEuros(lot.estimatedAmountCents)}</span>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="card" aria-labelledby={`${id}-deals`}>
        <h2 id={`${id}-deals`}>{fr.opportunities.deals}</h2>
        {deals.length === 0 && hiddenAnswers.length === 0 ? <p className="muted">{fr.opportunities.noDeals}</p> : null}
        {deals.length > 0 ? (
          <ul className="links" data-testid="opportunity-deals">
            {deals.map((deal) => (
              <li key={deal.id}>
                <Link to={`/affaires/${encodeURIComponent(deal.id)}`}>{deal.title}</Link>
                <span className="muted">
                  {' '}
                  — {deal.collective.name} · {label(fr.deal.statuses, deal.status)} · {formatEuros(deal.totalAmountCents)}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
        {hiddenAnswers.length > 0 ? (
          <p className="muted" data-testid="hidden-answers">
            {fr.opportunities.hiddenAnswers}{' '}
            {hiddenAnswers.map((collective, index) => (
              <span key={collective.id}>
                {index > 0 ? ', ' : ''}
                <Link to={`/collectifs/${collective.slug}`}>{collective.name}</Link>
              </span>
            ))}
          </p>
        ) : null}
        {collectives.length > 0 ? (
          <Disclosure label={fr.forms.followOpportunity} testId="follow-opportunity">
            {(close) => <CreateDealForm collectives={collectives} opportunityId={opportunity.id} onCancel={close} />}
          </Disclosure>
        ) : (
          <p className="hint">{fr.opportunities.followHint}</p>
        )}
      </section>
    </article>
  );
}
