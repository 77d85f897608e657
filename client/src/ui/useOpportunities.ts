import { useQuery } from 'urql';
import { graphql } from '../graphql';
import type { Option } from './form/fields';
import { formatDay } from './format';

const OPPORTUNITY_OPTIONS = graphql(`
  query OpportunityOptions {
    opportunities(first: 200, orderBy: SUBMISSION_DEADLINE) {
      edges {
        node {
          id
          title
          buyer
          kind
          submissionDeadline
          lots {
            id
            number
            title
          }
        }
      }
    }
  }
`);

export interface OpportunityChoice {
  id: string;
  title: string;
  buyer: string;
  kind: string;
  submissionDeadline: string | null;
  lots: readonly { id: string; number: number; title: string }[];
}

/** The cooperative's opportunities, for the forms that answer one (deals, stands, calls for projects). */
export function useOpportunities(): OpportunityChoice[] {
  const [{ data }] = useQuery({ query: OPPORTUNITY_OPTIONS });
  return data?.opportunities.edges.map((edge) => edge.node) ?? [];
}

/** Opportunities as options, « Titre — acheteur (échéance) », optionally of some kinds only. */
export function opportunityOptions(opportunities: readonly OpportunityChoice[], kinds?: readonly string[]): Option[] {
  return opportunities
    .filter((opportunity) => !kinds || kinds.includes(opportunity.kind))
    .map((opportunity) => ({
      value: opportunity.id,
      label: `${opportunity.title} — ${opportunity.buyer}${opportunity.submissionDeadline ? ` (${formatDay(opportunity.submissionDeadline)})` : ''}`,
    }));
}
