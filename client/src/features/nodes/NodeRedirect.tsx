import { useEffect } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql, type ResultOf } from '../../graphql';
import { fr } from '../../i18n/fr';
import { NotFound, QueryState } from '../../ui/QueryState';
import { usePageTitle } from '../../ui/usePageTitle';

const NODE_PLACE = graphql(`
  query NodePlace($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Collective {
        slug
      }
      ... on Membership {
        collective {
          slug
        }
      }
      ... on TenderSection {
        response {
          id
        }
      }
      ... on BrandUsageRuleVersion {
        brand {
          id
        }
      }
      ... on BrandAuthorisedUser {
        brand {
          id
        }
      }
      ... on RevenueSplitRule {
        product {
          id
        }
      }
      ... on ProductSale {
        product {
          id
        }
      }
      ... on PriceReference {
        collective {
          slug
        }
      }
      ... on SupplierRecommendation {
        collective {
          slug
        }
      }
      ... on ServiceExchange {
        collective {
          slug
        }
      }
      ... on Referral {
        # Nullable here, not elsewhere: an alias keeps the selections mergeable.
        referralCollective: collective {
          slug
        }
        toMember {
          id
        }
      }
    }
  }
`);

type Node = NonNullable<ResultOf<typeof NODE_PLACE>['node']>;
const id = encodeURIComponent;

/** The page that shows a node which has none of its own (a membership, a section, a price…). */
export function placeOf(node: Node): string | null {
  switch (node.__typename) {
    case 'Collective':
      return `/collectifs/${node.slug}`;
    case 'Membership':
      return `/collectifs/${node.collective.slug}`;
    case 'TenderSection':
      return `/reponses/${id(node.response.id)}#section=${id(node.id)}`;
    case 'BrandUsageRuleVersion':
    case 'BrandAuthorisedUser':
      return `/marques/${id(node.brand.id)}`;
    case 'RevenueSplitRule':
    case 'ProductSale':
      return `/produits/${id(node.product.id)}`;
    case 'PriceReference':
    case 'SupplierRecommendation':
    case 'ServiceExchange':
      return `/collectifs/${node.collective.slug}/outils`;
    case 'Referral':
      return node.referralCollective ? `/collectifs/${node.referralCollective.slug}/outils` : `/membres/${id(node.toMember.id)}`;
    case 'Member':
      return `/membres/${id(node.id)}`;
    case 'Opportunity':
      return `/opportunites/${id(node.id)}`;
    case 'Deal':
      return `/affaires/${id(node.id)}`;
    case 'TenderResponse':
      return `/reponses/${id(node.id)}`;
    case 'TradeShowStand':
      return `/stands/${id(node.id)}`;
    case 'Brand':
      return `/marques/${id(node.id)}`;
    case 'Product':
      return `/produits/${id(node.id)}`;
    default:
      return null;
  }
}

/** Finds where a node is shown and goes there (replacing this address in the history). */
export function NodeRedirect() {
  const { id: nodeId = '' } = useParams();
  const navigate = useNavigate();
  const [{ data, fetching, error }] = useQuery({ query: NODE_PLACE, variables: { id: nodeId } });
  const place = data?.node ? placeOf(data.node) : null;
  usePageTitle(data && !place ? fr.notFound.title : null);
  useEffect(() => {
    if (place) navigate(place, { replace: true });
  }, [place, navigate]);
  if (!data) return error ? <NotFound error={error} /> : <QueryState fetching={fetching} hasData={false} />;
  return place ? null : <NotFound error={error} />;
}
