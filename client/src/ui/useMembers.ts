import { useQuery } from 'urql';
import { graphql } from '../graphql';
import type { Option } from './form/fields';

const MEMBER_OPTIONS = graphql(`
  query MemberOptions {
    members(first: 500, situation: ACTIVE) {
      edges {
        node {
          id
          displayName
          kind
          isAssociate
          trade
        }
      }
    }
  }
`);

export interface MemberChoice {
  id: string;
  displayName: string;
  kind: 'ENTREPRENEUR' | 'SUPPORT_STAFF';
  isAssociate: boolean;
  trade: string;
}

/** The cooperative's active members, for the forms that name someone (invitations, holders, partners…). */
export function useMembers(): MemberChoice[] {
  const [{ data }] = useQuery({ query: MEMBER_OPTIONS });
  return data?.members.edges.map((edge) => edge.node) ?? [];
}

/** Members as select options, « Nom — métier », optionally without some of them. */
export function memberOptions(
  members: readonly { id: string; displayName: string; trade?: string }[],
  without: readonly string[] = [],
): Option[] {
  return members
    .filter((member) => !without.includes(member.id))
    .map((member) => ({
      value: member.id,
      label: member.trade ? `${member.displayName} — ${member.trade}` : member.displayName,
    }));
}
