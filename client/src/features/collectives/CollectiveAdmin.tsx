import { useNavigate } from 'react-router';
import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import { Disclosure } from '../../ui/form/Disclosure';
import type { Option } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { memberOptions, useMembers } from '../../ui/useMembers';

const UPDATE_COLLECTIVE = graphql(
  `
  mutation UpdateCollective($input: UpdateCollectiveInput!) {
    updateCollective(input: $input) {
      __typename
      ... on MutationUpdateCollectiveSuccess {
        data {
          id
          slug
          name
          purpose
          objective
          targetDate
          openness
          status
          sector
          needsAnimator
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const CLOSE_COLLECTIVE = graphql(
  `
  mutation CloseCollective($id: ID!) {
    closeCollective(id: $id) {
      __typename
      ... on MutationCloseCollectiveSuccess {
        data {
          id
          status
          closedAt
          memberCount
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const INVITE_MEMBER = graphql(
  `
  mutation InviteMember($input: CollectiveMemberInput!) {
    inviteMember(input: $input) {
      __typename
      ... on MutationInviteMemberSuccess {
        data {
          id
          status
          collective {
            id
          }
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const HAND_OVER = graphql(
  `
  mutation HandOverAnimation($input: CollectiveMemberInput!) {
    handOverAnimation(input: $input) {
      __typename
      ... on MutationHandOverAnimationSuccess {
        data {
          id
          role
          collective {
            id
          }
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const SET_CO_ANIMATOR = graphql(
  `
  mutation SetCoAnimator($input: SetCoAnimatorInput!) {
    setCoAnimator(input: $input) {
      __typename
      ... on MutationSetCoAnimatorSuccess {
        data {
          id
          role
          collective {
            id
          }
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

export interface AdminCollective {
  id: string;
  slug: string;
  name: string;
  kind: string;
  horizon: string | null;
  status: string;
  openness: string;
  purpose: string;
  objective: string | null;
  targetDate: string | null;
  sector: string | null;
  coAnimator: { id: string; displayName: string } | null;
  animator: { id: string; displayName: string } | null;
}

interface AdminProps {
  collective: AdminCollective;
  /** The collective's active members, and everyone with a pending request or invitation. */
  activeMembers: readonly { id: string; displayName: string; trade: string }[];
  pendingMemberIds: readonly string[];
}

const STATUS_CHOICES = ['PROPOSED', 'ACTIVE', 'DORMANT'] as const;
const OPENNESS_CHOICES = ['OPEN', 'ON_REQUEST', 'CLOSED'] as const;

/** What the animators (and the support staff) run: the collective's details, invitations, animation, closing. */
export function CollectiveAdmin({ collective, activeMembers, pendingMemberIds }: AdminProps) {
  const navigate = useNavigate();
  const members = useMembers();
  const closed = collective.status === 'CLOSED';
  // Everyone is offered, those already in (or invited) said so: the server refuses them by the field.
  const inside = new Set(activeMembers.map((member) => member.id));
  const pending = new Set(pendingMemberIds);
  const invitees = memberOptions(members).map((option) => ({
    ...option,
    label: inside.has(option.value)
      ? `${option.label} ${fr.collectiveAdmin.alreadyIn}`
      : pending.has(option.value)
        ? `${option.label} ${fr.collectiveAdmin.alreadyPending}`
        : option.label,
  }));
  const others = memberOptions(activeMembers.filter((member) => member.id !== collective.animator?.id));
  // Everyone is offered; a commons collective's rule (support staff only) comes back from the server by the field.
  const coAnimatorChoices: Option[] = memberOptions(members, [collective.animator?.id ?? '', collective.coAnimator?.id ?? '']);
  const business = collective.kind === 'BUSINESS';

  if (closed) return <p className="muted">{fr.collective.closed}</p>;

  return (
    <div className="stack" data-testid="collective-admin">
      <Disclosure label={fr.collectiveAdmin.edit} testId="edit-collective">
        {(close) => (
          <MutationForm
            mutation={UPDATE_COLLECTIVE}
            testId="edit-collective-form"
            submitLabel={fr.common.save}
            fixed={{ id: collective.id }}
            keepValues
            onCancel={close}
            onSuccess={(payload) => {
              const slug = (payload?.data as { slug?: string } | undefined)?.slug;
              if (slug && slug !== collective.slug) navigate(`/collectifs/${slug}`, { replace: true });
              close();
            }}
            initial={{
              name: collective.name,
              purpose: collective.purpose,
              openness: collective.openness,
              status: collective.status,
              objective: collective.objective ?? '',
              targetDate: collective.targetDate ?? '',
            }}
            fields={[
              { name: 'name', label: fr.create.name, kind: 'text', required: true, minLength: 2 },
              {
                name: 'status',
                label: fr.filters.status,
                kind: 'select',
                required: true,
                options: STATUS_CHOICES.map((value) => ({ value, label: label(fr.statuses, value) })),
              },
              {
                name: 'openness',
                label: fr.create.openness,
                kind: 'select',
                required: true,
                hint: collective.kind === 'COMMONS' ? fr.create.opennessHint : undefined,
                options: OPENNESS_CHOICES.map((value) => ({ value, label: label(fr.openness, value) })),
              },
              { name: 'purpose', label: fr.create.purpose, kind: 'textarea', required: true },
              ...(business
                ? ([
                    { name: 'objective', label: fr.create.objective, kind: 'textarea' },
                    ...(collective.horizon !== 'LONG_TERM'
                      ? [{ name: 'targetDate', label: fr.create.targetDate, kind: 'date' as const }]
                      : []),
                  ] as const)
                : []),
            ]}
          />
        )}
      </Disclosure>

      <Disclosure label={fr.collectiveAdmin.invite} testId="invite-member">
        {(close) => (
          <MutationForm
            mutation={INVITE_MEMBER}
            testId="invite-member-form"
            submitLabel={fr.collectiveAdmin.sendInvitation}
            fixed={{ collectiveId: collective.id }}
            successMessage={fr.collectiveAdmin.invited}
            onCancel={close}
            fields={[{ name: 'memberId', label: fr.collectiveAdmin.whom, kind: 'select', required: true, options: invitees }]}
          />
        )}
      </Disclosure>

      <Disclosure label={fr.collectiveAdmin.handOver} testId="hand-over">
        {(close) => (
          <MutationForm
            mutation={HAND_OVER}
            testId="hand-over-form"
            submitLabel={fr.collectiveAdmin.handOverSubmit}
            fixed={{ collectiveId: collective.id }}
            intro={<p className="hint">{fr.collectiveAdmin.handOverHint(collective.kind === 'COMMONS')}</p>}
            onSuccess={close}
            onCancel={close}
            confirm={{
              title: fr.collectiveAdmin.handOverConfirmTitle,
              body: fr.collectiveAdmin.handOverConfirm,
              confirmLabel: fr.collectiveAdmin.handOverSubmit,
            }}
            fields={[
              { name: 'memberId', label: fr.collectiveAdmin.newAnimator, kind: 'select', required: true, options: others },
            ]}
          />
        )}
      </Disclosure>

      <Disclosure label={fr.collectiveAdmin.coAnimation} testId="co-animator">
        {(close) => (
          <div className="stack">
            <MutationForm
              mutation={SET_CO_ANIMATOR}
              testId="co-animator-form"
              submitLabel={fr.collectiveAdmin.nameCoAnimator}
              fixed={{ collectiveId: collective.id }}
              intro={
                collective.kind === 'COMMONS' ? <p className="hint">{fr.collectiveAdmin.commonsCoAnimatorHint}</p> : undefined
              }
              onSuccess={close}
              onCancel={close}
              fields={[
                {
                  name: 'memberId',
                  label: fr.collectiveAdmin.coAnimator,
                  kind: 'select',
                  required: true,
                  options: coAnimatorChoices,
                },
              ]}
            />
            {collective.coAnimator ? (
              <ActionButton
                mutation={SET_CO_ANIMATOR}
                variables={{ input: { collectiveId: collective.id } }}
                testId="remove-co-animator"
                tone="danger"
                confirm={{
                  title: fr.collectiveAdmin.removeCoAnimatorTitle(collective.coAnimator.displayName),
                  confirmLabel: fr.collectiveAdmin.removeCoAnimator,
                  danger: true,
                }}
                onSuccess={close}
              >
                {fr.collectiveAdmin.removeCoAnimator}
              </ActionButton>
            ) : null}
          </div>
        )}
      </Disclosure>

      <ActionButton
        mutation={CLOSE_COLLECTIVE}
        variables={{ id: collective.id }}
        tone="danger"
        testId="close-collective"
        confirm={{
          title: fr.collectiveAdmin.closeTitle(collective.name),
          body: fr.collectiveAdmin.closeBody,
          confirmLabel: fr.collectiveAdmin.close,
          danger: true,
        }}
      >
        {fr.collectiveAdmin.close}
      </ActionButton>
    </div>
  );
}
