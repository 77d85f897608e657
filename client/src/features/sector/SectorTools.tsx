import { useEffect, useId } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { formatDay, formatEuros } from '../../ui/format';
import { PageState } from '../../ui/QueryState';
import { useCollectiveChanges } from '../../ui/useCollectiveChanges';
import { memberOptions } from '../../ui/useMembers';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import {
  AddPrice,
  CreateReferral,
  EditRecommendation,
  OfferService,
  PriceActions,
  RecommendSupplier,
  ReferralStatus,
  ServiceActions,
} from './SectorForms';

const SECTOR_TOOLS = graphql(`
  query SectorTools($slug: String!) {
    viewer {
      id
    }
    collective(slug: $slug) {
      id
      slug
      name
      kind
      viewerMembership {
        id
        status
      }
      memberships(first: 200) {
        edges {
          node {
            id
            member {
              id
              displayName
              trade
            }
          }
        }
      }
      supplierRecommendations(first: 100) {
        edges {
          node {
            id
            supplierName
            category
            rating
            comment
            recommendedBy {
              id
              displayName
            }
          }
        }
      }
      priceReferences(first: 100) {
        edges {
          node {
            id
            service
            unit
            minCents
            medianCents
            maxCents
            sampleSize
            periodStart
            periodEnd
            notice
          }
        }
      }
      serviceExchanges(first: 50) {
        edges {
          node {
            id
            description
            hours
            status
            provider {
              id
              displayName
            }
            beneficiary {
              id
              displayName
            }
          }
        }
      }
      referrals(first: 50) {
        edges {
          node {
            id
            clientName
            status
            amountCents
            fromMember {
              id
              displayName
            }
            toMember {
              id
              displayName
            }
          }
        }
      }
    }
  }
`);

const RATINGS = graphql(`
  query SupplierRatings($collectiveId: ID!) {
    supplierRatings(collectiveId: $collectiveId) {
      supplierName
      category
      averageRating
      count
    }
  }
`);

const SECTOR_FAMILIES = ['priceReference', 'supplierRecommendation', 'serviceExchange', 'referral'];

type Collective = NonNullable<ResultOf<typeof SECTOR_TOOLS>['collective']>;

export function SectorTools() {
  const { slug = '' } = useParams();
  const page = usePageQuery({ query: SECTOR_TOOLS, variables: { slug } }, slug, 'collective');
  if (!page.data?.collective) return <PageState {...page} />;
  return <SectorToolsView collective={page.data.collective} viewerId={page.data.viewer?.id ?? null} refetch={page.refetch} />;
}

function SectorToolsView({
  collective,
  viewerId,
  refetch,
}: {
  collective: Collective;
  viewerId: string | null;
  refetch: () => void;
}) {
  const id = useId();
  usePageTitle(fr.sectorTools.title(collective.name));
  useCollectiveChanges(collective.id, SECTOR_FAMILIES, refetch);
  const members = memberOptions(
    collective.memberships.edges.map((edge) => edge.node.member),
    viewerId ? [viewerId] : [],
  );
  // The support staff read the tools of every sector; only its active members feed them.
  const canChange = collective.viewerMembership?.status === 'ACTIVE';
  const recommendations = collective.supplierRecommendations.edges.map((edge) => edge.node);
  const prices = collective.priceReferences.edges.map((edge) => edge.node);
  const exchanges = collective.serviceExchanges.edges.map((edge) => edge.node);
  const referrals = collective.referrals.edges.map((edge) => edge.node);
  const [{ data: ratingsData }, refetchRatings] = useQuery({ query: RATINGS, variables: { collectiveId: collective.id } });
  const ratings = ratingsData?.supplierRatings ?? [];
  // The averages are a root query: read them again whenever the recommendations change.
  const signature = recommendations.map((one) => `${one.id}:${one.rating}`).join(',');
  useEffect(() => {
    if (signature) refetchRatings({ requestPolicy: 'network-only' });
  }, [signature, refetchRatings]);

  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to={`/collectifs/${collective.slug}`}>{collective.name}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {fr.sectorTools.title(collective.name)}
        </h1>
      </header>

      <section className="card" aria-labelledby={`${id}-prices`}>
        <h2 id={`${id}-prices`}>{fr.sectorTools.prices}</h2>
        <p className="notice notice--info" data-testid="price-notice">
          {prices[0]?.notice ?? fr.sectorTools.nonBinding}
        </p>
        {prices.length === 0 ? (
          <p className="muted">{fr.sectorTools.noPrices}</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{fr.sectorTools.service}</th>
                  <th scope="col">{fr.sectorTools.unit}</th>
                  <th scope="col">{fr.sectorTools.min}</th>
                  <th scope="col">{fr.sectorTools.median}</th>
                  <th scope="col">{fr.sectorTools.max}</th>
                  <th scope="col">{fr.sectorTools.sample}</th>
                  <th scope="col">{fr.sectorTools.period}</th>
                  <td />
                </tr>
              </thead>
              <tbody>
                {prices.map((price) => (
                  <tr key={price.id}>
                    <th scope="row">{price.service}</th>
                    <td>{label(fr.sectorTools.units, price.unit)}</td>
                    <td className="num">{formatEuros(price.minCents)}</td>
                    <td className="num">{formatEuros(price.medianCents)}</td>
                    <td className="num">{formatEuros(price.maxCents)}</td>
                    <td className="num">{price.sampleSize}</td>
                    <td>
                      {formatDay(price.periodStart)} – {formatDay(price.periodEnd)}
                    </td>
                    <td>{canChange ? <PriceActions price={price} /> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {canChange ? <AddPrice collectiveId={collective.id} /> : null}
      </section>

      <section className="card" aria-labelledby={`${id}-suppliers`}>
        <h2 id={`${id}-suppliers`}>{fr.sectorTools.suppliers}</h2>
        {ratings.length === 0 ? <p className="muted">{fr.sectorTools.noSuppliers}</p> : null}
        <ul>
          {ratings.map((rating) => (
            <li key={`${rating.supplierName}-${rating.category}`}>
              <strong>{rating.supplierName}</strong> <span className="muted">({rating.category})</span> —{' '}
              {fr.sectorTools.ratingValue(rating.averageRating, rating.count)}
            </li>
          ))}
        </ul>
        {recommendations.length > 0 ? (
          <>
            <h3>{fr.manage.recommendations}</h3>
            <ul data-testid="supplier-recommendations">
              {recommendations.map((one) => (
                <li key={one.id}>
                  <strong>{one.supplierName}</strong> ({one.category}) — {fr.manage.stars(one.rating)} ·{' '}
                  {fr.common.by(one.recommendedBy.displayName)}
                  {one.comment ? <span className="muted"> — {one.comment}</span> : null}
                  {canChange && one.recommendedBy.id === viewerId ? <EditRecommendation recommendation={one} /> : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {canChange ? <RecommendSupplier collectiveId={collective.id} /> : null}
      </section>

      <section className="card" aria-labelledby={`${id}-exchanges`}>
        <h2 id={`${id}-exchanges`}>{fr.sectorTools.exchanges}</h2>
        {exchanges.length === 0 ? <p className="muted">{fr.sectorTools.noExchanges}</p> : null}
        <ul data-testid="service-exchanges">
          {exchanges.map((exchange) => (
            <li key={exchange.id}>
              {exchange.description} — {fr.sectorTools.hours(exchange.hours)} ·{' '}
              {fr.sectorTools.fromTo(exchange.provider.displayName, exchange.beneficiary?.displayName ?? '…')} ·{' '}
              <span className="badge">{label(fr.sectorTools.exchangeStatuses, exchange.status)}</span>{' '}
              {canChange ? <ServiceActions exchange={exchange} viewerId={viewerId} /> : null}
            </li>
          ))}
        </ul>
        {canChange ? <OfferService collectiveId={collective.id} members={members} /> : null}
      </section>

      <section className="card" aria-labelledby={`${id}-referrals`}>
        <h2 id={`${id}-referrals`}>{fr.sectorTools.referrals}</h2>
        {referrals.length === 0 ? <p className="muted">{fr.sectorTools.noReferrals}</p> : null}
        <ul data-testid="referrals">
          {referrals.map((referral) => (
            <li key={referral.id}>
              {referral.clientName} — {fr.sectorTools.fromTo(referral.fromMember.displayName, referral.toMember.displayName)} ·{' '}
              <span className="badge">{label(fr.sectorTools.referralStatuses, referral.status)}</span>
              {referral.amountCents != null ? ` · ${formatEuros(referral.amountCents)}` : ''}
              {canChange && referral.toMember.id === viewerId ? <ReferralStatus referral={referral} /> : null}
            </li>
          ))}
        </ul>
        {canChange ? <CreateReferral collectiveId={collective.id} members={members} /> : null}
      </section>
    </article>
  );
}
