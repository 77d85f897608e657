import { useId } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { MUTATION_ERROR } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import type { FieldSpec } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { QueryState } from '../../ui/QueryState';
import { useSession } from '../../ui/session';
import { usePageTitle } from '../../ui/usePageTitle';
import { LEAVE_COOPERATIVE, MembershipList } from './memberships';

const MY_PROFILE = graphql(`
  query MyProfile {
    viewer {
      id
      firstName
      lastName
      displayName
      email
      trade
      sectors
      memberships(first: 100, scope: CURRENT) {
        edges {
          node {
            id
            role
            status
            collective {
              id
              slug
              name
            }
          }
        }
      }
    }
  }
`);

const UPDATE_MY_PROFILE = graphql(
  `
  mutation UpdateMyProfile($input: UpdateMyProfileInput!) {
    updateMyProfile(input: $input) {
      __typename
      ... on MutationUpdateMyProfileSuccess {
        data {
          id
          firstName
          lastName
          displayName
          trade
          sectors
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

type Viewer = NonNullable<ResultOf<typeof MY_PROFILE>['viewer']>;

const FIELDS: readonly FieldSpec[] = [
  { name: 'firstName', label: fr.profile.firstName, kind: 'text', required: true },
  { name: 'lastName', label: fr.profile.lastName, kind: 'text', required: true },
  { name: 'trade', label: fr.profile.trade, kind: 'text', hint: fr.profile.tradeHint, wide: true },
  {
    name: 'sectors',
    label: fr.profile.sectors,
    kind: 'checkboxes',
    hint: fr.profile.sectorsHint,
    options: Object.entries(fr.sectors).map(([value, text]) => ({ value, label: text })),
    wide: true,
  },
];

/** The signed-in member's own profile (name, trade, sectors) and, below it, leaving the cooperative. */
export function MyProfile() {
  const [result, refetch] = useQuery({ query: MY_PROFILE });
  usePageTitle(fr.profile.title);
  const viewer = result.data?.viewer;
  if (!viewer)
    return (
      <QueryState
        fetching={result.fetching}
        error={result.error}
        hasData={false}
        retry={() => refetch({ requestPolicy: 'network-only' })}
      />
    );
  return <ProfileView viewer={viewer} />;
}

function ProfileView({ viewer }: { viewer: Viewer }) {
  const id = useId();
  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to={`/membres/${encodeURIComponent(viewer.id)}`}>{viewer.displayName}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {fr.profile.title}
        </h1>
        <p className="hint">{fr.profile.intro}</p>
      </header>
      <section className="card">
        <dl className="facts">
          <div>
            <dt>{fr.profile.email}</dt>
            <dd>{viewer.email}</dd>
          </div>
        </dl>
        <MutationForm
          mutation={UPDATE_MY_PROFILE}
          fields={FIELDS}
          initial={{
            firstName: viewer.firstName,
            lastName: viewer.lastName,
            trade: viewer.trade,
            sectors: [...viewer.sectors],
          }}
          keepValues
          submitLabel={fr.profile.save}
          successMessage={fr.profile.saved}
          testId="profile-form"
        />
      </section>
      <LeaveCooperative viewer={viewer} />
    </article>
  );
}

/** Leaving the cooperative oneself, after a confirmation that names what follows (DOMAIN.md). */
function LeaveCooperative({ viewer }: { viewer: Viewer }) {
  const id = useId();
  const { endSession } = useSession();
  const memberships = viewer.memberships.edges.map((edge) => edge.node);
  const active = memberships.filter((membership) => membership.status === 'ACTIVE');
  const pending = memberships.filter((membership) => membership.status === 'PENDING');
  const animated = active.filter((membership) => membership.role === 'ANIMATOR');
  const names = (list: typeof memberships) => list.map((membership) => membership.collective.name).join(', ');

  return (
    <section className="card stack" aria-labelledby={`${id}-leave`} data-testid="leave-cooperative-section">
      <h2 id={`${id}-leave`}>{fr.profile.leaveTitle}</h2>
      <p className="hint">{fr.profile.leaveIntro}</p>
      {animated.length > 0 ? (
        <div>
          <p>{fr.profile.animated}</p>
          <MembershipList
            memberships={animated}
            testId="animated-collectives"
            linkText={(membership) => fr.profile.handOver(membership.collective.name)}
          />
        </div>
      ) : null}
      <ActionButton
        mutation={LEAVE_COOPERATIVE}
        variables={{ memberId: viewer.id }}
        tone="danger"
        testId="leave-cooperative-myself"
        confirm={{
          title: fr.profile.leaveConfirmTitle,
          body: (
            <div data-testid="leave-consequences">
              <p>{fr.profile.consequences}</p>
              <ul>
                <li>{active.length > 0 ? fr.profile.leavesCollectives(names(active)) : fr.profile.leavesNoCollective}</li>
                {animated.length > 0 ? <li>{fr.profile.flagged(names(animated))}</li> : null}
                {pending.length > 0 ? <li>{fr.profile.pendingDeclined(pending.length)}</li> : null}
                <li>{fr.profile.signedOut}</li>
                <li>{fr.profile.cannotUndo}</li>
              </ul>
            </div>
          ),
          confirmLabel: fr.profile.leaveSubmit,
          danger: true,
        }}
        onSuccess={() => endSession(fr.profile.left)}
      >
        {fr.profile.leaveSubmit}
      </ActionButton>
    </section>
  );
}
