import { useQuery } from 'urql';
import { graphql } from '../graphql';
import { fr } from '../i18n/fr';
import type { Option } from './form/fields';

const MEMBER_OPTIONS = graphql(`
  query MemberOptions {
    viewer {
      id
    }
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
  /** The signed-in member: pickers mark them « (vous) » and list them once. */
  isViewer?: boolean;
}

/** The cooperative's active members, for the forms that name someone (invitations, holders, partners…). */
export function useMembers(): MemberChoice[] {
  const [{ data }] = useQuery({ query: MEMBER_OPTIONS });
  const viewerId = data?.viewer?.id;
  return data?.members.edges.map((edge) => ({ ...edge.node, isViewer: edge.node.id === viewerId })) ?? [];
}

/** The signed-in member's id and name (null while loading), from the same query as the pickers. */
export function useViewerChoice(): { id: string; displayName: string } | null {
  const members = useMembers();
  return members.find((member) => member.isViewer) ?? null;
}

/**
 * Members as select options, « Nom — métier », optionally without some of them. The viewer (when the list says who
 * they are) comes first, marked « (vous) », so a picker never shows them under two names.
 */
export function memberOptions(
  members: readonly { id: string; displayName: string; trade?: string; isViewer?: boolean }[],
  without: readonly string[] = [],
): Option[] {
  const kept = members.filter((member) => !without.includes(member.id));
  const ordered = [...kept.filter((member) => member.isViewer), ...kept.filter((member) => !member.isViewer)];
  return ordered.map((member) => {
    const name = member.isViewer ? `${member.displayName} ${fr.members.you}` : member.displayName;
    return { value: member.id, label: member.trade ? `${name} — ${member.trade}` : name };
  });
}
