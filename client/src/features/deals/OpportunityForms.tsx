import { useId } from 'react';
import { Link, useNavigate } from 'react-router';
import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { enumOptions, type FieldSpec, NUMBER_BOUNDS, type Values } from '../../ui/form/fields';
import { MutationForm, type Payload } from '../../ui/form/MutationForm';
import { centsToInput, toParisInput } from '../../ui/format';
import { memberOptions, useMembers } from '../../ui/useMembers';
import { usePageTitle } from '../../ui/usePageTitle';

const CREATE_OPPORTUNITY = graphql(
  `
  mutation CreateOpportunity($input: CreateOpportunityInput!) {
    createOpportunity(input: $input) {
      __typename
      ... on MutationCreateOpportunitySuccess {
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

/**
 * An opportunity's own fields: what its page shows and what editing it returns, so that the page (through the cache)
 * shows the change at once.
 */
export const OPPORTUNITY_FIELDS = graphql(`
  fragment OpportunityFields on Opportunity @_unmask {
    id
    title
    buyer
    kind
    reference
    description
    url
    submissionDeadline
    questionsDeadline
    broughtByCooperative
    broughtBy {
      id
      displayName
    }
    lots {
      id
      number
      title
      estimatedAmountCents
    }
  }
`);

const UPDATE_OPPORTUNITY = graphql(
  `
  mutation UpdateOpportunity($input: UpdateOpportunityInput!) {
    updateOpportunity(input: $input) {
      __typename
      ... on MutationUpdateOpportunitySuccess {
        data {
          ...OpportunityFields
        }
      }
      ...MutationError
    }
  }
`,
  [OPPORTUNITY_FIELDS, MUTATION_ERROR],
);

/** What an opportunity is made of, as both forms ask it. */
function opportunityFields(bringers: ReturnType<typeof memberOptions>, nobody: string): FieldSpec[] {
  return [
    { name: 'title', label: fr.opportunityForm.title, kind: 'text', required: true, wide: true },
    { name: 'buyer', label: fr.opportunities.buyer, kind: 'text', required: true },
    { name: 'kind', label: fr.opportunities.kind, kind: 'select', required: true, options: enumOptions(fr.opportunities.kinds) },
    { name: 'reference', label: fr.opportunities.reference, kind: 'text' },
    { name: 'url', label: fr.opportunityForm.url, kind: 'url' },
    {
      name: 'submissionDeadline',
      label: fr.opportunities.submissionDeadline,
      kind: 'datetime',
      hint: fr.opportunityForm.parisTime,
    },
    { name: 'questionsDeadline', label: fr.opportunities.questionsDeadline, kind: 'datetime' },
    { name: 'broughtById', label: fr.opportunities.broughtBy, kind: 'select', empty: nobody, options: bringers },
    { name: 'broughtByCooperative', label: fr.opportunityForm.byCooperative, kind: 'checkbox' },
    { name: 'description', label: fr.opportunities.description, kind: 'textarea' },
    {
      name: 'lots',
      label: fr.opportunities.lots,
      kind: 'rows',
      addLabel: fr.opportunityForm.addLot,
      removeLabel: fr.opportunityForm.removeLot,
      blank: { number: '', title: '', estimatedAmountCents: '' },
      fields: [
        { name: 'number', label: fr.opportunityForm.lotNumber, kind: 'int', required: true, bound: NUMBER_BOUNDS.lotNumber },
        { name: 'title', label: fr.opportunityForm.lotTitle, kind: 'text', required: true },
        { name: 'estimatedAmountCents', label: fr.opportunityForm.estimate, kind: 'money', bound: NUMBER_BOUNDS.amountCents },
      ],
    },
  ];
}

/** Records a new opportunity in the cooperative's shared pipeline, then opens it. */
export function CreateOpportunityPage() {
  const id = useId();
  const navigate = useNavigate();
  const members = useMembers();
  const viewer = members.find((member) => member.isViewer);
  usePageTitle(fr.opportunityForm.newTitle);
  return (
    <section className="card form-page" aria-labelledby={`${id}-title`}>
      <p className="muted">
        <Link to="/opportunites">{fr.opportunities.title}</Link>
      </p>
      <h1 id={`${id}-title`} tabIndex={-1}>
        {fr.opportunityForm.newTitle}
      </h1>
      <MutationForm
        mutation={CREATE_OPPORTUNITY}
        testId="create-opportunity-form"
        submitLabel={fr.opportunityForm.create}
        initial={{ kind: 'PUBLIC_TENDER' }}
        // The empty choice is the viewer (the server's default bringer): they are not listed a second time.
        fields={opportunityFields(
          memberOptions(members, viewer ? [viewer.id] : []),
          viewer ? fr.opportunityForm.meNamed(viewer.displayName) : fr.opportunityForm.me,
        )}
        // The lots are sent only when some are given.
        variables={(input) => ({ input: withoutEmpty(input) })}
        onSuccess={(payload: Payload | null) => {
          const created = (payload?.data as { id?: string } | undefined)?.id;
          if (created) navigate(`/opportunites/${encodeURIComponent(created)}`);
        }}
      />
    </section>
  );
}

function withoutEmpty(input: Record<string, unknown>): Record<string, unknown> {
  const { broughtById, lots, ...rest } = input;
  return {
    ...rest,
    ...(broughtById ? { broughtById } : {}),
    ...(Array.isArray(lots) && lots.length > 0 ? { lots } : {}),
  };
}

export interface EditableOpportunity {
  id: string;
  title: string;
  buyer: string;
  kind: string;
  reference: string | null;
  description: string | null;
  url: string | null;
  submissionDeadline: string | null;
  questionsDeadline: string | null;
  broughtByCooperative: boolean;
  broughtBy: { id: string } | null;
  lots: readonly { number: number; title: string; estimatedAmountCents: number | null }[];
}

/** Changes an opportunity (the support staff and whoever brought it). */
export function EditOpportunityForm({ opportunity, onDone }: { opportunity: EditableOpportunity; onDone(): void }) {
  const members = useMembers();
  const initial: Values = {
    title: opportunity.title,
    buyer: opportunity.buyer,
    kind: opportunity.kind,
    reference: opportunity.reference ?? '',
    description: opportunity.description ?? '',
    url: opportunity.url ?? '',
    submissionDeadline: toParisInput(opportunity.submissionDeadline),
    questionsDeadline: toParisInput(opportunity.questionsDeadline),
    broughtById: opportunity.broughtBy?.id ?? '',
    broughtByCooperative: opportunity.broughtByCooperative,
    lots: opportunity.lots.map((lot) => ({
      number: String(lot.number),
      title: lot.title,
      estimatedAmountCents: centsToInput(lot.estimatedAmountCents),
    })),
  };
  return (
    <MutationForm
      mutation={UPDATE_OPPORTUNITY}
      testId="edit-opportunity-form"
      submitLabel={fr.common.save}
      fixed={{ id: opportunity.id }}
      initial={initial}
      keepValues
      fields={opportunityFields(memberOptions(members), fr.common.nobody)}
      onSuccess={onDone}
      onCancel={onDone}
    />
  );
}
