import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation } from 'urql';
import { MUTATION_ERROR, messageOf } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { formatDateTime, formatDay, formatShare } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { PageState } from '../../ui/QueryState';
import { useCollectiveChanges } from '../../ui/useCollectiveChanges';
import { useNodeChanges } from '../../ui/useNodeChanges';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { BrandSettings, GrantUse, ProposeRules, RevokeUse, WithdrawRules } from './BrandForms';

const BRAND_PAGE = graphql(`
  query BrandPage($id: ID!) {
    viewer {
      id
    }
    node(id: $id) {
      __typename
      ... on Brand {
        id
        name
        legalKind
        inpiNumber
        filedOn
        renewalDate
        niceClasses
        viewerCanChange
        viewerIsHolder
        collective {
          id
          slug
          name
        }
        holders {
          shareBasisPoints
          member {
            id
            displayName
          }
        }
        usageRules {
          id
          version
          status
          text
          proposedAt
          effectiveAt
          proposedBy {
            id
            displayName
          }
          approvals {
            approvedAt
            member {
              id
              displayName
            }
          }
          missingApprovals {
            id
            displayName
          }
        }
        authorisedUsers {
          id
          grantedAt
          member {
            id
            displayName
          }
        }
        products {
          id
          name
        }
      }
    }
  }
`);

const APPROVE_RULES = graphql(
  `
  mutation ApproveUsageRules($versionId: ID!) {
    approveUsageRules(input: { versionId: $versionId }) {
      __typename
      ...MutationError
      ... on MutationApproveUsageRulesSuccess {
        data {
          id
          status
          effectiveAt
          approvals {
            approvedAt
            member {
              id
              displayName
            }
          }
          missingApprovals {
            id
            displayName
          }
        }
      }
    }
  }
`,
  [MUTATION_ERROR],
);

const BRAND_FAMILIES = ['brand'];

type Brand = Extract<NonNullable<ResultOf<typeof BRAND_PAGE>['node']>, { __typename: 'Brand' }>;

export function BrandPage() {
  const { id = '' } = useParams();
  const page = usePageQuery({ query: BRAND_PAGE, variables: { id } }, id, 'node');
  const brand = page.data?.node?.__typename === 'Brand' ? page.data.node : null;
  useNodeChanges(id, page.refetch);
  // Usage-rule versions and authorised users are subjects of their own: the collective's events name them.
  useCollectiveChanges(brand?.collective.id ?? null, BRAND_FAMILIES, page.refetch);
  if (!brand) return <PageState {...page} />;
  return <BrandView brand={brand} viewerId={page.data?.viewer?.id ?? null} />;
}

function BrandView({ brand, viewerId }: { brand: Brand; viewerId: string | null }) {
  const id = useId();
  const pending = brand.usageRules.find((version) => version.status === 'PENDING');
  const inForce = brand.usageRules.find((version) => version.status === 'IN_FORCE');
  // What the server would refuse is not offered: the support staff read only, the holders alone own the brand.
  const canChange = brand.viewerCanChange;
  const isHolder = brand.viewerIsHolder;
  usePageTitle(brand.name);

  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to={`/collectifs/${brand.collective.slug}`}>{brand.collective.name}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {brand.name}
        </h1>
        <p className="badges">
          <span className="badge">{label(fr.brand.legalKinds, brand.legalKind)}</span>
        </p>
      </header>
      <section className="card">
        <dl className="facts">
          <div>
            <dt>{fr.brand.inpi}</dt>
            <dd>{brand.inpiNumber ?? '—'}</dd>
          </div>
          <div>
            <dt>{fr.brand.filedOn}</dt>
            <dd>{formatDay(brand.filedOn)}</dd>
          </div>
          <div>
            <dt>{fr.brand.renewal}</dt>
            <dd>{formatDay(brand.renewalDate)}</dd>
          </div>
          <div>
            <dt>{fr.brand.niceClasses}</dt>
            <dd>{brand.niceClasses.join(', ') || '—'}</dd>
          </div>
        </dl>
        {canChange ? <BrandSettings brand={brand} isHolder={isHolder} /> : null}
      </section>
      <section className="card" aria-labelledby={`${id}-holders`}>
        <h2 id={`${id}-holders`}>{fr.brand.holders}</h2>
        <ul className="people">
          {brand.holders.map((holder) => (
            <li key={holder.member.id}>
              {holder.member.displayName} <span className="muted">— {formatShare(holder.shareBasisPoints)}</span>
            </li>
          ))}
        </ul>
      </section>
      <section className="card" aria-labelledby={`${id}-rules`}>
        <h2 id={`${id}-rules`}>{fr.brand.usageRules}</h2>
        {inForce ? (
          <div className="stack">
            <h3>
              {fr.brand.inForce} — {fr.brand.version(inForce.version)}
            </h3>
            <p className="prewrap">{inForce.text}</p>
          </div>
        ) : null}
        <h3>{fr.brand.pending}</h3>
        {pending ? (
          <PendingVersion version={pending} viewerId={viewerId} isHolder={isHolder} canChange={canChange} />
        ) : (
          <p className="muted">{fr.brand.noPending}</p>
        )}
        {pending || !canChange ? null : <ProposeRules brandId={brand.id} current={inForce?.text ?? ''} />}
        <h3>{fr.brand.versions}</h3>
        <ol className="versions">
          {brand.usageRules.map((version) => (
            <li key={version.id}>
              {fr.brand.version(version.version)} — {label(fr.brand.ruleStatuses, version.status)}{' '}
              <span className="muted">
                ({formatDateTime(version.proposedAt)}, {fr.common.by(version.proposedBy.displayName)})
              </span>
            </li>
          ))}
        </ol>
      </section>
      <section className="card" aria-labelledby={`${id}-users`}>
        <h2 id={`${id}-users`}>{fr.brand.authorisedUsers}</h2>
        <ul className="people">
          {brand.authorisedUsers.map((user) => (
            <li key={user.id}>
              {user.member.displayName} <span className="muted">— {formatDay(user.grantedAt)}</span>{' '}
              {canChange ? <RevokeUse authorisationId={user.id} name={user.member.displayName} /> : null}
            </li>
          ))}
        </ul>
        {brand.authorisedUsers.length === 0 ? <p className="muted">{fr.manage.noAuthorisedUsers}</p> : null}
        {canChange ? <GrantUse brandId={brand.id} without={brand.authorisedUsers.map((user) => user.member.id)} /> : null}
        {brand.products.length > 0 ? (
          <>
            <h3>{fr.brand.products}</h3>
            <ul className="links">
              {brand.products.map((product) => (
                <li key={product.id}>
                  <Link to={`/produits/${product.id}`}>{product.name}</Link>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
    </article>
  );
}

type Version = Brand['usageRules'][number];

function PendingVersion({
  version,
  viewerId,
  isHolder,
  canChange,
}: {
  version: Version;
  viewerId: string | null;
  isHolder: boolean;
  canChange: boolean;
}) {
  const [{ fetching }, approve] = useMutation(APPROVE_RULES);
  const [feedback, setFeedback] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const waitingForMe = version.missingApprovals.some((member) => member.id === viewerId);

  async function handleApprove() {
    if (fetching) return;
    setFeedback(null);
    const result = await approve({ versionId: version.id });
    const payload = result.data?.approveUsageRules;
    if (payload?.__typename === 'MutationApproveUsageRulesSuccess') setFeedback({ tone: 'success', text: fr.brand.approved });
    else setFeedback({ tone: 'error', text: messageOf(payload, result.error) });
  }

  return (
    <div className="stack pending-version" data-testid="brand-pending-rules">
      <p>
        {fr.brand.version(version.version)} — {fr.common.by(version.proposedBy.displayName)}
      </p>
      <p className="prewrap">{version.text}</p>
      <p>
        <strong>{fr.brand.approvals}&nbsp;:</strong>{' '}
        {version.approvals.map((approval) => approval.member.displayName).join(', ') || '—'}
      </p>
      <p>
        <strong>{fr.brand.missing}&nbsp;:</strong>{' '}
        {version.missingApprovals.map((member) => member.displayName).join(', ') || '—'}
      </p>
      {isHolder && waitingForMe ? (
        <button type="button" className="button button--primary" aria-disabled={fetching} onClick={handleApprove}>
          {fr.brand.approve}
        </button>
      ) : null}
      {/* Its proposer or a holder withdraws it. */}
      {canChange && (isHolder || version.proposedBy.id === viewerId) ? <WithdrawRules versionId={version.id} /> : null}
      {feedback ? <Notice tone={feedback.tone}>{feedback.text}</Notice> : null}
    </div>
  );
}
