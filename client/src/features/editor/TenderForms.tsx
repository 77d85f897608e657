import { useQuery } from 'urql';
import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import { Disclosure } from '../../ui/form/Disclosure';
import { enumOptions, type FieldSpec, NUMBER_BOUNDS, type Option } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { toParisInput } from '../../ui/format';

// How a tender response is set up from its page: its title, its sections (added, ordered, removed), and each
// section's assignee, reviewer, due date, limit and restriction to a partner. The page re-reads the response on
// the collective's tender events, so every open page follows.

const SETTINGS = graphql(`
  query TenderResponseSettings($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on TenderResponse {
        sections {
          id
          ownerPartner {
            id
          }
        }
        deal {
          id
          partners {
            id
            displayName
            isLead
          }
        }
        collective {
          id
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
        }
      }
    }
  }
`);

const UPDATE_RESPONSE = graphql(
  `
  mutation UpdateTenderResponse($input: UpdateTenderResponseInput!) {
    updateTenderResponse(input: $input) {
      __typename
      ... on MutationUpdateTenderResponseSuccess {
        data {
          id
          title
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const ADD_SECTION = graphql(
  `
  mutation AddTenderSection($input: AddTenderSectionInput!) {
    addTenderSection(input: $input) {
      __typename
      ... on MutationAddTenderSectionSuccess {
        data {
          id
          response {
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

const UPDATE_SECTION = graphql(
  `
  mutation UpdateTenderSection($input: UpdateTenderSectionInput!) {
    updateTenderSection(input: $input) {
      __typename
      ... on MutationUpdateTenderSectionSuccess {
        data {
          id
          response {
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

const MOVE_SECTION = graphql(
  `
  mutation MoveTenderSection($input: MoveTenderSectionInput!) {
    moveTenderSection(input: $input) {
      __typename
      ... on MutationMoveTenderSectionSuccess {
        data {
          id
          response {
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

const REMOVE_SECTION = graphql(
  `
  mutation RemoveTenderSection($input: RemoveTenderSectionInput!) {
    removeTenderSection(input: $input) {
      __typename
      ... on MutationRemoveTenderSectionSuccess {
        data {
          id
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

interface Choices {
  people: Option[];
  partners: Option[];
  owners: Map<string, string>;
}

/** The collective's members and the deal's partners, for the section forms. */
function useChoices(responseId: string): Choices {
  const [{ data }] = useQuery({ query: SETTINGS, variables: { id: responseId } });
  const node = data?.node?.__typename === 'TenderResponse' ? data.node : null;
  return {
    people: (node?.collective.memberships.edges ?? []).map(({ node: { member } }) => ({
      value: member.id,
      label: member.trade ? `${member.displayName} — ${member.trade}` : member.displayName,
    })),
    partners: (node?.deal?.partners ?? []).map((partner) => ({
      value: partner.id,
      label: partner.isLead ? `${partner.displayName} (${fr.common.lead.toLowerCase()})` : partner.displayName,
    })),
    owners: new Map((node?.sections ?? []).map((section) => [section.id, section.ownerPartner?.id ?? ''])),
  };
}

/** A section's settings, as both forms ask them. */
function sectionFields(choices: Choices): FieldSpec[] {
  return [
    { name: 'title', label: fr.tenderForms.sectionTitle, kind: 'text', wide: true },
    { name: 'assigneeId', label: fr.tenderForms.assignee, kind: 'select', empty: fr.common.nobody, options: choices.people },
    { name: 'reviewerId', label: fr.tenderForms.reviewer, kind: 'select', empty: fr.common.nobody, options: choices.people },
    { name: 'dueAt', label: fr.tenderForms.dueAt, kind: 'datetime', hint: fr.opportunityForm.parisTime },
    { name: 'wordLimit', label: fr.tenderForms.wordLimit, kind: 'int', bound: NUMBER_BOUNDS.wordLimit },
    { name: 'characterLimit', label: fr.tenderForms.characterLimit, kind: 'int', bound: NUMBER_BOUNDS.characterLimit },
    ...(choices.partners.length
      ? ([
          { name: 'restricted', label: fr.tenderForms.restricted, kind: 'checkbox', hint: fr.tenderForms.restrictedHint },
          {
            name: 'ownerPartnerId',
            label: fr.tenderForms.ownerPartner,
            kind: 'select',
            empty: fr.common.nobody,
            options: choices.partners,
          },
        ] as const)
      : []),
  ];
}

/** Renames the response and adds sections (not once submitted). */
export function ResponseSettings({ response }: { response: { id: string; title: string; isSubmitted: boolean } }) {
  const choices = useChoices(response.id);
  if (response.isSubmitted) return null;
  return (
    <div className="row-actions row-actions--wrap" data-testid="response-settings">
      <Disclosure label={fr.tenderForms.rename} testId="rename-response">
        {(close) => (
          <MutationForm
            mutation={UPDATE_RESPONSE}
            testId="rename-response-form"
            submitLabel={fr.common.save}
            fixed={{ responseId: response.id }}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{ title: response.title }}
            fields={[{ name: 'title', label: fr.tenderForms.responseTitle, kind: 'text', required: true }]}
          />
        )}
      </Disclosure>
      <Disclosure label={fr.tenderForms.addSection} testId="add-section" primary>
        {(close) => (
          <MutationForm
            mutation={ADD_SECTION}
            testId="add-section-form"
            submitLabel={fr.common.add}
            fixed={{ responseId: response.id }}
            onSuccess={close}
            onCancel={close}
            initial={{ kind: 'FREE' }}
            fields={[
              {
                name: 'kind',
                label: fr.tenderForms.kind,
                kind: 'select',
                required: true,
                options: enumOptions(fr.tenderForms.kinds),
              },
              ...sectionFields(choices),
            ]}
          />
        )}
      </Disclosure>
    </div>
  );
}

/** What the section forms read of a section. */
export interface SettingsSection {
  id: string;
  title: string;
  position: number;
  status: string;
  restricted: boolean;
  dueAt: string | null;
  wordLimit: number | null;
  characterLimit: number | null;
  assignee: { id: string } | null;
  reviewer: { id: string } | null;
}

/** One section's settings, its place in the order, and its removal (asked first; only an empty one still to do). */
export function SectionSettings({
  responseId,
  section,
  count,
  submitted,
}: {
  responseId: string;
  section: SettingsSection;
  count: number;
  submitted: boolean;
}) {
  const choices = useChoices(responseId);
  if (submitted) return null;
  const move = (position: number) => ({ input: { sectionId: section.id, position } });
  return (
    <div className="row-actions row-actions--wrap" data-testid="section-settings">
      <Disclosure label={fr.tenderForms.editSection} testId="edit-section">
        {(close) => (
          <MutationForm
            mutation={UPDATE_SECTION}
            testId="edit-section-form"
            submitLabel={fr.common.save}
            fixed={{ sectionId: section.id }}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{
              title: section.title,
              assigneeId: section.assignee?.id ?? '',
              reviewerId: section.reviewer?.id ?? '',
              dueAt: toParisInput(section.dueAt),
              wordLimit: section.wordLimit == null ? '' : String(section.wordLimit),
              characterLimit: section.characterLimit == null ? '' : String(section.characterLimit),
              restricted: section.restricted,
              ownerPartnerId: choices.owners.get(section.id) ?? '',
            }}
            fields={sectionFields(choices)}
          />
        )}
      </Disclosure>
      {section.position > 1 ? (
        <ActionButton mutation={MOVE_SECTION} variables={move(section.position - 1)} small testId="move-section-up">
          {fr.tenderForms.moveUp}
        </ActionButton>
      ) : null}
      {section.position < count ? (
        <ActionButton mutation={MOVE_SECTION} variables={move(section.position + 1)} small testId="move-section-down">
          {fr.tenderForms.moveDown}
        </ActionButton>
      ) : null}
      <ActionButton
        mutation={REMOVE_SECTION}
        variables={{ input: { sectionId: section.id } }}
        small
        tone="danger"
        testId="remove-section"
        confirm={{ title: fr.tenderForms.removeConfirm(section.title), confirmLabel: fr.common.remove, danger: true }}
      >
        {fr.tenderForms.remove}
      </ActionButton>
    </div>
  );
}
