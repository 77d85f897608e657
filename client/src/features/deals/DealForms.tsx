import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { Disclosure } from '../../ui/form/Disclosure';
import { enumOptions, NUMBER_BOUNDS } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { centsToInput } from '../../ui/format';
import { memberOptions, useMembers } from '../../ui/useMembers';

const UPDATE_DEAL = graphql(
  `
  mutation UpdateDeal($input: UpdateDealInput!) {
    updateDeal(input: $input) {
      __typename
      ... on MutationUpdateDealSuccess {
        data {
          id
          title
          groupForm
          totalAmountCents
          shareTotal
          amountTotal
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const SUBSTITUTE_PARTNER = graphql(
  `
  mutation SubstituteDealPartner($input: SubstituteDealPartnerInput!) {
    substituteDealPartner(input: $input) {
      __typename
      ... on MutationSubstituteDealPartnerSuccess {
        data {
          id
          partners {
            id
            displayName
            status
          }
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

/** Changes a deal's title, group form or total (its partners keep the invariants; the server says which breaks). */
export function EditDealForm({
  deal,
}: {
  deal: { id: string; title: string; groupForm: string; totalAmountCents: number | null };
}) {
  return (
    <Disclosure label={fr.dealForms.edit} testId="edit-deal">
      {(close) => (
        <MutationForm
          mutation={UPDATE_DEAL}
          testId="edit-deal-form"
          submitLabel={fr.common.save}
          fixed={{ id: deal.id }}
          keepValues
          onSuccess={close}
          onCancel={close}
          initial={{ title: deal.title, groupForm: deal.groupForm, totalAmountCents: centsToInput(deal.totalAmountCents) }}
          fields={[
            { name: 'title', label: fr.forms.dealTitle, kind: 'text', required: true, wide: true },
            {
              name: 'groupForm',
              label: fr.deal.groupForm,
              kind: 'select',
              required: true,
              options: enumOptions(fr.deal.groupForms),
            },
            { name: 'totalAmountCents', label: fr.deal.total, kind: 'money', bound: NUMBER_BOUNDS.amountCents },
          ]}
        />
      )}
    </Disclosure>
  );
}

const replacementKeys = ['memberId', 'companyName', 'siret', 'scopeOfWork'] as const;

/**
 * After submission, replaces a partner by a member or a company: the old one is kept as substituted, the new one
 * takes over its part, and the reason is recorded. Fields are named by their input path (`replacement.siret`) so the
 * server's errors land next to them.
 */
export function SubstitutePartnerForm({
  dealId,
  partners,
}: {
  dealId: string;
  partners: readonly { id: string; displayName: string; status: string }[];
}) {
  const members = useMembers();
  const active = partners.filter((partner) => partner.status === 'ACTIVE');
  return (
    <Disclosure label={fr.dealForms.substitute} testId="substitute-partner">
      {(close) => (
        <MutationForm
          mutation={SUBSTITUTE_PARTNER}
          testId="substitute-partner-form"
          submitLabel={fr.dealForms.substituteSubmit}
          fixed={{ dealId }}
          onSuccess={close}
          onCancel={close}
          intro={<p className="hint">{fr.dealForms.substituteHint}</p>}
          confirm={{ title: fr.dealForms.substituteConfirm, confirmLabel: fr.dealForms.substituteSubmit, danger: true }}
          variables={(input) => {
            const replacement: Record<string, unknown> = {};
            const rest: Record<string, unknown> = {};
            for (const [key, value] of Object.entries(input)) {
              const name = key.replace(/^replacement\./, '');
              if (key !== name && (replacementKeys as readonly string[]).includes(name)) {
                if (value !== null && value !== '') replacement[name] = value;
              } else rest[key] = value;
            }
            return { input: { ...rest, replacement } };
          }}
          fields={[
            {
              name: 'partnerId',
              label: fr.dealForms.replaced,
              kind: 'select',
              required: true,
              options: active.map((partner) => ({ value: partner.id, label: partner.displayName })),
            },
            {
              name: 'replacement.memberId',
              label: fr.dealForms.byMember,
              kind: 'select',
              empty: fr.dealForms.company,
              options: memberOptions(members),
            },
            {
              name: 'replacement.companyName',
              label: fr.dealForms.companyName,
              kind: 'text',
              show: (values) => !values['replacement.memberId'],
            },
            {
              name: 'replacement.siret',
              label: fr.dealForms.siret,
              kind: 'text',
              show: (values) => !values['replacement.memberId'],
            },
            { name: 'replacement.scopeOfWork', label: fr.deal.scope, kind: 'textarea' },
            { name: 'reason', label: fr.dealForms.reason, kind: 'textarea', required: true },
          ]}
        />
      )}
    </Disclosure>
  );
}
