import { Link } from 'react-router';
import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { formatDay } from '../../ui/format';

/** A member leaves the cooperative: from their own profile, or recorded by the support staff on the member's page. */
export const LEAVE_COOPERATIVE = graphql(
  `
  mutation LeaveCooperative($memberId: ID!) {
    leaveCooperative(input: { memberId: $memberId }) {
      __typename
      ... on MutationLeaveCooperativeSuccess {
        data {
          id
          situation
          leftCooperativeOn
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

/** A membership as the lists of a member's collectives show it (days as the API sends them). */
export interface ListedMembership {
  id: string;
  role: string;
  status: string;
  joinedAt?: string | null;
  leftAt?: string | null;
  collective: { slug: string; name: string };
}

/**
 * A member's collectives, each a link to its page with the member's role and where the membership stands: since
 * when (active), pending, declined, or from when to when (left). `linkText` replaces the collective's name as the
 * link's text, and then nothing follows it.
 */
export function MembershipList({
  memberships,
  testId,
  linkText,
}: {
  memberships: readonly ListedMembership[];
  testId?: string;
  linkText?: (membership: ListedMembership) => string;
}) {
  return (
    <ul className="links" data-testid={testId}>
      {memberships.map((membership) => (
        <li key={membership.id}>
          <Link to={`/collectifs/${membership.collective.slug}`}>
            {linkText ? linkText(membership) : membership.collective.name}
          </Link>
          {linkText ? null : (
            <>
              {' '}
              <MembershipState membership={membership} />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function MembershipState({ membership }: { membership: ListedMembership }) {
  const role = label(fr.roles, membership.role);
  if (membership.status === 'ACTIVE' || membership.status === 'PENDING')
    return (
      <>
        <span className="badge">{role}</span>{' '}
        <span className="muted">
          {membership.status === 'PENDING' ? fr.members.pending : fr.collective.since(formatDay(membership.joinedAt))}
        </span>
      </>
    );
  return (
    <span className="muted">
      {role} ·{' '}
      {membership.status === 'DECLINED'
        ? fr.members.declined
        : fr.members.period(formatDay(membership.joinedAt), formatDay(membership.leftAt))}
    </span>
  );
}
