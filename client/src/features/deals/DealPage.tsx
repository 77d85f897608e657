import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation } from 'urql';
import { MUTATION_ERROR, messageOf } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { formatDateTime, formatEuros, formatShare } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { PageState } from '../../ui/QueryState';
import { useCollectiveChanges } from '../../ui/useCollectiveChanges';
import { useNodeChanges } from '../../ui/useNodeChanges';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { EditDealForm, SubstitutePartnerForm } from './DealForms';
import { DEAL_PARTNERS, DealPartnersEditor } from './DealPartnersEditor';

const DEAL_PAGE = graphql(
  `
  query DealPage($id: ID!) {
    node(id: $id) {
      __typename
      ... on Deal {
        id
        viewerCanChange
        title
        status
        nextStatuses
        isClosed
        submittedAt
        ...DealPartners
        collective {
          id
          slug
          name
        }
        opportunity {
          id
          title
          buyer
          submissionDeadline
        }
        lot {
          id
          number
          title
        }
        substitutions {
          id
          reason
          recordedAt
          replacedPartner {
            id
            displayName
          }
          replacementPartner {
            id
            displayName
          }
        }
        tenderResponse {
          id
          title
          isSubmitted
          checklist {
            done
            inReview
            overLimit
            progress
            total
          }
          sections {
            id
            position
            title
            status
            effectiveDueAt
            isOverLimit
            restricted
            # Known, a recount's figures go into the cache instead of re-querying the page (client.ts, wroteFigures).
            approval {
              approvedAt
            }
            assignee {
              id
              displayName
            }
          }
        }
      }
    }
  }
`,
  [DEAL_PARTNERS],
);

const CHANGE_STATUS = graphql(
  `
  mutation ChangeDealStatus($dealId: ID!, $status: DealStatus!) {
    changeDealStatus(input: { dealId: $dealId, status: $status }) {
      __typename
      ... on MutationChangeDealStatusSuccess {
        data {
          id
          status
          nextStatuses
          isClosed
          submittedAt
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

type Deal = Extract<NonNullable<ResultOf<typeof DEAL_PAGE>['node']>, { __typename: 'Deal' }>;

export function DealPage() {
  const { id = '' } = useParams();
  const page = usePageQuery({ query: DEAL_PAGE, variables: { id } }, id, 'node');
  useNodeChanges(id, page.refetch);
  // Its response's sections change with no event of the deal's (one restricted away, renamed, done): the
  // collective's events refresh them in the cache (client.ts, `applyLiveEvent`); a resync re-queries.
  const deal = page.data?.node?.__typename === 'Deal' ? page.data.node : null;
  useCollectiveChanges(deal?.collective.id, [], page.refetch);
  if (!deal) return <PageState {...page} />;
  return <DealView deal={deal} />;
}

function DealView({ deal }: { deal: Deal }) {
  const id = useId();
  usePageTitle(deal.title);
  const [editing, setEditing] = useState(false);
  // The support staff and partners from outside the collective read a deal only: its forms are not offered them.
  const canChange = deal.viewerCanChange;
  const editable = canChange && !deal.isClosed && !deal.submittedAt;
  const shareGap = 10_000 - deal.shareTotal;
  const groupNeedsLead = deal.groupForm !== 'NONE';

  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to={`/collectifs/${deal.collective.slug}`}>{deal.collective.name}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {deal.title}
        </h1>
        <p className="badges">
          <span className="badge badge--business" data-testid="deal-status">
            {label(fr.deal.statuses, deal.status)}
          </span>
          <span className="badge">{label(fr.deal.groupForms, deal.groupForm)}</span>
        </p>
      </header>

      <section className="card">
        <dl className="facts">
          <div>
            <dt>{fr.deal.opportunity}</dt>
            <dd>
              <Link to={`/opportunites/${deal.opportunity.id}`}>{deal.opportunity.title}</Link> — {deal.opportunity.buyer}
            </dd>
          </div>
          {deal.lot ? (
            <div>
              <dt>{fr.opportunities.lots}</dt>
              <dd>{fr.opportunities.lot(deal.lot.number, deal.lot.title)}</dd>
            </div>
          ) : null}
          <div>
            <dt>{fr.opportunities.submissionDeadline}</dt>
            <dd>{formatDateTime(deal.opportunity.submissionDeadline)}</dd>
          </div>
          <div>
            <dt>{fr.deal.total}</dt>
            <dd>{formatEuros(deal.totalAmountCents)}</dd>
          </div>
          {deal.submittedAt ? (
            <div>
              <dt>{fr.deal.status}</dt>
              <dd>{fr.deal.submittedAt(formatDateTime(deal.submittedAt))}</dd>
            </div>
          ) : null}
        </dl>
      </section>

      {editable ? <EditDealForm deal={deal} /> : null}
      {canChange ? <StatusChanger deal={deal} /> : null}

      <section className="card" aria-labelledby={`${id}-partners`}>
        <h2 id={`${id}-partners`}>{fr.deal.partners}</h2>
        <div className="table-scroll">
          <table className="table" data-testid="deal-partners">
            <thead>
              <tr>
                <th scope="col">{fr.deal.partner}</th>
                <th scope="col">{fr.deal.scope}</th>
                <th scope="col">{fr.deal.share}</th>
                <th scope="col">{fr.deal.amount}</th>
              </tr>
            </thead>
            <tbody>
              {deal.partners.map((partner) => (
                <tr key={partner.id}>
                  <th scope="row">
                    {partner.displayName}
                    {partner.isLead ? <span className="badge badge--lead">{fr.common.lead}</span> : null}
                    {partner.member ? null : <span className="muted"> ({fr.deal.external})</span>}
                  </th>
                  <td>{partner.scopeOfWork ?? '—'}</td>
                  <td>{formatShare(partner.shareBasisPoints)}</td>
                  <td>{formatEuros(partner.amountCents)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{fr.deal.runningTotal}</th>
                <td />
                <td data-testid="deal-share-total">{formatShare(deal.shareTotal)}</td>
                <td>{formatEuros(deal.amountTotal)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
        {deal.partners.length > 0 ? (
          shareGap === 0 ? (
            <p className="notice notice--success">{fr.deal.sharesOk}</p>
          ) : (
            <Notice tone="error">{fr.deal.sharesOff(formatShare(Math.abs(shareGap)))}</Notice>
          )
        ) : null}
        {groupNeedsLead && !deal.lead ? <Notice tone="error">{fr.deal.noLead}</Notice> : null}
        {deal.submittedAt ? <p className="muted">{fr.deal.frozen}</p> : null}
        {editable && !editing ? (
          <p>
            <button type="button" className="button" onClick={() => setEditing(true)}>
              {fr.deal.editPartners}
            </button>
          </p>
        ) : null}
        {editable && editing ? <DealPartnersEditor deal={deal} onDone={() => setEditing(false)} /> : null}
        {canChange && deal.submittedAt && !deal.isClosed ? (
          <SubstitutePartnerForm dealId={deal.id} partners={deal.partners} />
        ) : null}
        {deal.substitutions.length > 0 ? (
          <>
            <h3>{fr.deal.substitutions}</h3>
            <ul>
              {deal.substitutions.map((substitution) => (
                <li key={substitution.id}>
                  {substitution.replacedPartner.displayName} → {substitution.replacementPartner.displayName} (
                  {formatDateTime(substitution.recordedAt)}) — {substitution.reason}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>

      <Checklist deal={deal} />
    </article>
  );
}

function StatusChanger({ deal }: { deal: Deal }) {
  const id = useId();
  const [{ fetching }, change] = useMutation(CHANGE_STATUS);
  const [problem, setProblem] = useState<string | null>(null);

  async function move(status: Deal['nextStatuses'][number]) {
    if (fetching) return;
    setProblem(null);
    const result = await change({ dealId: deal.id, status });
    const payload = result.data?.changeDealStatus;
    if (payload?.__typename !== 'MutationChangeDealStatusSuccess') setProblem(messageOf(payload, result.error));
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{fr.deal.changeStatus}</h2>
      {deal.isClosed || deal.nextStatuses.length === 0 ? <p className="muted">{fr.deal.closed}</p> : null}
      <div className="row-actions" data-testid="deal-next-statuses">
        {deal.nextStatuses.map((status) => (
          <button key={status} type="button" className="button" aria-disabled={fetching} onClick={() => move(status)}>
            {fr.deal.moveTo(label(fr.deal.statuses, status))}
          </button>
        ))}
      </div>
      {problem ? <Notice tone="error">{problem}</Notice> : null}
    </section>
  );
}

function Checklist({ deal }: { deal: Deal }) {
  const id = useId();
  const response = deal.tenderResponse;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{fr.deal.checklist}</h2>
      {!response ? (
        <p className="muted">{fr.deal.noResponse}</p>
      ) : (
        <>
          <p>
            <Link className="button button--primary" to={`/reponses/${response.id}`}>
              {fr.deal.openResponse}
            </Link>
          </p>
          <progress max={1} value={response.checklist.progress} aria-labelledby={`${id}-progress`} />
          <p id={`${id}-progress`}>
            {fr.collective.checklist(response.checklist.done, response.checklist.total)}
            {response.checklist.inReview ? ` · ${fr.deal.inReview(response.checklist.inReview)}` : ''}
            {response.checklist.overLimit ? ` · ${fr.deal.overLimit(response.checklist.overLimit)}` : ''}
          </p>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{fr.deal.sections}</th>
                  <th scope="col">{fr.deal.status}</th>
                  <th scope="col">{fr.deal.assignee}</th>
                  <th scope="col">{fr.deal.due}</th>
                </tr>
              </thead>
              <tbody>
                {response.sections.map((section) => (
                  <tr key={section.id} className={section.isOverLimit ? 'row--warning' : undefined}>
                    <th scope="row">
                      {section.position}. {section.title}
                      {/* Restricted to one partner: the others' members do not see it in this list (the editor's badge). */}
                      {section.restricted ? (
                        <span className="editor-badge" data-testid="checklist-restricted">
                          {' '}
                          {fr.editor.restricted}
                        </span>
                      ) : null}
                    </th>
                    <td>{label(fr.sections.statuses, section.status)}</td>
                    <td>{section.assignee?.displayName ?? '—'}</td>
                    <td>{formatDateTime(section.effectiveDueAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
