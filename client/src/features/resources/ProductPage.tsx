import { useId } from 'react';
import { Link, useParams } from 'react-router';
import { graphql, type ResultOf } from '../../graphql';
import { fr } from '../../i18n/fr';
import { formatDay, formatEuros, formatShare } from '../../ui/format';
import { PageState } from '../../ui/QueryState';
import { useCollectiveChanges } from '../../ui/useCollectiveChanges';
import { useNodeChanges } from '../../ui/useNodeChanges';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { ProductSettings } from './ProductForms';

const PRODUCT_PAGE = graphql(`
  query ProductPage($id: ID!) {
    node(id: $id) {
      __typename
      ... on Product {
        id
        viewerCanChange
        viewerCanChangeOwners
        name
        description
        revenueCents
        collective {
          id
          slug
          name
          brands(first: 50) {
            edges {
              node {
                id
                name
              }
            }
          }
        }
        brand {
          id
          name
        }
        owners {
          id
          displayName
        }
        splitRules {
          id
          validFrom
          validUntil
          shares {
            shareBasisPoints
            member {
              id
              displayName
            }
          }
        }
        revenueByOwner {
          amountCents
          saleCount
          member {
            id
            displayName
          }
        }
        sales(first: 50) {
          totalCount
          edges {
            node {
              id
              soldOn
              client
              amountCents
            }
          }
        }
      }
    }
  }
`);

const PRODUCT_FAMILIES = ['product'];

type Product = Extract<NonNullable<ResultOf<typeof PRODUCT_PAGE>['node']>, { __typename: 'Product' }>;

export function ProductPage() {
  const { id = '' } = useParams();
  const page = usePageQuery({ query: PRODUCT_PAGE, variables: { id } }, id, 'node');
  const product = page.data?.node?.__typename === 'Product' ? page.data.node : null;
  useNodeChanges(id, page.refetch);
  // Split periods and sales are subjects of their own: the collective's events name them.
  useCollectiveChanges(product?.collective.id ?? null, PRODUCT_FAMILIES, page.refetch);
  if (!product) return <PageState {...page} />;
  return <ProductView product={product} />;
}

function ProductView({ product }: { product: Product }) {
  const id = useId();
  const sales = product.sales.edges.map((edge) => edge.node);
  const brands = product.collective.brands.edges.map((edge) => ({ value: edge.node.id, label: edge.node.name }));
  usePageTitle(product.name);
  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to={`/collectifs/${product.collective.slug}`}>{product.collective.name}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {product.name}
        </h1>
        {product.brand ? (
          <p>
            {fr.product.brand}&nbsp;: <Link to={`/marques/${product.brand.id}`}>{product.brand.name}</Link>
          </p>
        ) : null}
      </header>
      <section className="card">
        <p className="prewrap">{product.description}</p>
        <h2>{fr.product.owners}</h2>
        <ul className="people">
          {product.owners.map((owner) => (
            <li key={owner.id}>{owner.displayName}</li>
          ))}
        </ul>
        {/* The support staff read a product only: its forms are for its collective's members, and who owns it and how
            its revenue is split are its co-owners' to decide (the server refuses the others). */}
        {product.viewerCanChange ? (
          <ProductSettings product={product} brands={brands} canChangeOwners={product.viewerCanChangeOwners} />
        ) : null}
        {product.viewerCanChange && !product.viewerCanChangeOwners ? (
          <p className="hint" data-testid="owners-decide">
            {fr.product.ownersDecide}
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby={`${id}-split`}>
        <h2 id={`${id}-split`}>{fr.product.splitRules}</h2>
        {product.splitRules.length === 0 ? <p className="muted">{fr.manage.noSplit}</p> : null}
        {product.splitRules.map((rule) => (
          <div key={rule.id} className="stack">
            <h3>
              {fr.product.from(formatDay(rule.validFrom))}
              {rule.validUntil ? `, ${fr.product.until(formatDay(rule.validUntil))}` : ''}
            </h3>
            <ul>
              {rule.shares.map((share) => (
                <li key={share.member.id}>
                  {share.member.displayName} — {formatShare(share.shareBasisPoints)}
                </li>
              ))}
            </ul>
          </div>
        ))}
      </section>
      <section className="card" aria-labelledby={`${id}-revenue`}>
        <h2 id={`${id}-revenue`}>
          {fr.product.revenue}&nbsp;: {formatEuros(product.revenueCents)}
        </h2>
        <h3>{fr.product.revenueByOwner}</h3>
        <ul>
          {product.revenueByOwner.map((row) => (
            <li key={row.member.id}>
              {row.member.displayName} — {formatEuros(row.amountCents)}
            </li>
          ))}
        </ul>
        <h3>{fr.product.sales}</h3>
        {sales.length === 0 ? <p className="muted">{fr.product.noSales}</p> : null}
        {sales.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{fr.product.soldOn}</th>
                  <th scope="col">{fr.product.client}</th>
                  <th scope="col">{fr.deal.amount}</th>
                </tr>
              </thead>
              <tbody>
                {sales.map((sale) => (
                  <tr key={sale.id}>
                    <td>{formatDay(sale.soldOn)}</td>
                    <td>{sale.client}</td>
                    <td className="num">{formatEuros(sale.amountCents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </article>
  );
}
