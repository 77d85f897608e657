import { useId } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { formatDay, formatEuros } from '../../ui/format';
import { NotFound, QueryState } from '../../ui/QueryState';
import { useLatest } from '../../ui/useLatest';

const SECTOR_TOOLS = graphql(`
  query SectorTools($slug: String!) {
    collective(slug: $slug) {
      id
      slug
      name
      kind
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

type Collective = NonNullable<ResultOf<typeof SECTOR_TOOLS>['collective']>;

export function SectorTools() {
  const { slug = '' } = useParams();
  const [result, refetch] = useQuery({ query: SECTOR_TOOLS, variables: { slug } });
  const { fetching, error } = result;
  const data = useLatest(result, slug, 'collective');
  if (!data)
    return (
      <QueryState fetching={fetching} error={error} hasData={false} retry={() => refetch({ requestPolicy: 'network-only' })} />
    );
  if (!data.collective) return <NotFound />;
  return <SectorToolsView collective={data.collective} />;
}

function SectorToolsView({ collective }: { collective: Collective }) {
  const id = useId();
  const prices = collective.priceReferences.edges.map((edge) => edge.node);
  const exchanges = collective.serviceExchanges.edges.map((edge) => edge.node);
  const referrals = collective.referrals.edges.map((edge) => edge.node);
  const [{ data: ratingsData }] = useQuery({ query: RATINGS, variables: { collectiveId: collective.id } });
  const ratings = ratingsData?.supplierRatings ?? [];

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
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
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
      </section>

      <section className="card" aria-labelledby={`${id}-exchanges`}>
        <h2 id={`${id}-exchanges`}>{fr.sectorTools.exchanges}</h2>
        {exchanges.length === 0 ? <p className="muted">{fr.sectorTools.noExchanges}</p> : null}
        <ul>
          {exchanges.map((exchange) => (
            <li key={exchange.id}>
              {exchange.description} — {fr.sectorTools.hours(exchange.hours)} ·{' '}
              {fr.sectorTools.fromTo(exchange.provider.displayName, exchange.beneficiary?.displayName ?? '…')} ·{' '}
              <span className="badge">{label(fr.sectorTools.exchangeStatuses, exchange.status)}</span>
            </li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby={`${id}-referrals`}>
        <h2 id={`${id}-referrals`}>{fr.sectorTools.referrals}</h2>
        {referrals.length === 0 ? <p className="muted">{fr.sectorTools.noReferrals}</p> : null}
        <ul>
          {referrals.map((referral) => (
            <li key={referral.id}>
              {referral.clientName} — {fr.sectorTools.fromTo(referral.fromMember.displayName, referral.toMember.displayName)} ·{' '}
              <span className="badge">{label(fr.sectorTools.referralStatuses, referral.status)}</span>
              {referral.amountCents != null ? ` · ${formatEuros(referral.amountCents)}` : ''}
            </li>
          ))}
        </ul>
      </section>
    </article>
  );
}
