import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import { Disclosure } from '../../ui/form/Disclosure';
import { MutationForm } from '../../ui/form/MutationForm';
import { basisPointsToInput } from '../../ui/format';
import { memberOptions, useMembers } from '../../ui/useMembers';
import { BRAND_FILING_FIELDS, holdersField } from '../collectives/CreateResources';

// What the brand's collective runs from the brand's page: name and filing, holders and shares, usage-rule
// versions (proposed, withdrawn; approvals have their own button), authorised users. Live through the brand's changes.

const UPDATE_BRAND = graphql(
  `
  mutation UpdateBrand($input: UpdateBrandInput!) {
    updateBrand(input: $input) {
      __typename
      ... on MutationUpdateBrandSuccess {
        data {
          id
          name
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const SET_HOLDERS = graphql(
  `
  mutation SetBrandHolders($input: SetBrandHoldersInput!) {
    setBrandHolders(input: $input) {
      __typename
      ... on MutationSetBrandHoldersSuccess {
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

const PROPOSE_RULES = graphql(
  `
  mutation ProposeUsageRules($input: ProposeUsageRulesInput!) {
    proposeUsageRules(input: $input) {
      __typename
      ... on MutationProposeUsageRulesSuccess {
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

const WITHDRAW_RULES = graphql(
  `
  mutation WithdrawUsageRules($input: UsageRulesVersionInput!) {
    withdrawUsageRules(input: $input) {
      __typename
      ... on MutationWithdrawUsageRulesSuccess {
        data {
          id
          status
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const GRANT_USE = graphql(
  `
  mutation GrantBrandUse($input: GrantBrandUseInput!) {
    grantBrandUse(input: $input) {
      __typename
      ... on MutationGrantBrandUseSuccess {
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

const REVOKE_USE = graphql(
  `
  mutation RevokeBrandUse($input: RevokeBrandUseInput!) {
    revokeBrandUse(input: $input) {
      __typename
      ... on MutationRevokeBrandUseSuccess {
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

/** What the forms read of a brand. */
export interface ManagedBrand {
  id: string;
  name: string;
  legalKind: string;
  inpiNumber: string | null;
  filedOn: string | null;
  niceClasses: readonly number[];
  holders: readonly { shareBasisPoints: number; member: { id: string } }[];
}

/** The brand's name and filing, and (for its holders) its holders, each in a form opened in place. */
export function BrandSettings({ brand, isHolder }: { brand: ManagedBrand; isHolder: boolean }) {
  const people = memberOptions(useMembers());
  return (
    <div className="row-actions row-actions--wrap" data-testid="brand-settings">
      <Disclosure label={fr.manage.editBrand} testId="edit-brand">
        {(close) => (
          <MutationForm
            mutation={UPDATE_BRAND}
            testId="edit-brand-form"
            submitLabel={fr.common.save}
            fixed={{ id: brand.id }}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{
              name: brand.name,
              legalKind: brand.legalKind,
              inpiNumber: brand.inpiNumber ?? '',
              filedOn: brand.filedOn ?? '',
              niceClasses: brand.niceClasses.join(', '),
            }}
            fields={[{ name: 'name', label: fr.forms.brandName, kind: 'text', required: true }, ...BRAND_FILING_FIELDS]}
          />
        )}
      </Disclosure>
      {isHolder ? (
        <Disclosure label={fr.manage.editHolders} testId="edit-holders">
          {(close) => (
            <MutationForm
              mutation={SET_HOLDERS}
              testId="holders-form"
              submitLabel={fr.common.save}
              fixed={{ brandId: brand.id }}
              keepValues
              onSuccess={close}
              onCancel={close}
              intro={<p className="hint">{fr.manage.holdersHint}</p>}
              initial={{
                holders: brand.holders.map((holder) => ({
                  memberId: holder.member.id,
                  shareBasisPoints: basisPointsToInput(holder.shareBasisPoints),
                })),
              }}
              fields={[holdersField(people)]}
            />
          )}
        </Disclosure>
      ) : null}
    </div>
  );
}

/** Proposes a new version of the usage rules, from the text in force. */
export function ProposeRules({ brandId, current }: { brandId: string; current: string }) {
  return (
    <Disclosure label={fr.manage.proposeRules} testId="propose-rules">
      {(close) => (
        <MutationForm
          mutation={PROPOSE_RULES}
          testId="propose-rules-form"
          submitLabel={fr.manage.propose}
          fixed={{ brandId }}
          onSuccess={close}
          onCancel={close}
          intro={<p className="hint">{fr.manage.proposeRulesHint}</p>}
          initial={{ text: current }}
          fields={[{ name: 'text', label: fr.brand.usageRules, kind: 'textarea', required: true }]}
        />
      )}
    </Disclosure>
  );
}

/** Withdraws the pending version (kept as history), after asking. */
export function WithdrawRules({ versionId }: { versionId: string }) {
  return (
    <ActionButton
      mutation={WITHDRAW_RULES}
      variables={{ input: { versionId } }}
      tone="danger"
      testId="withdraw-rules"
      confirm={{ title: fr.manage.withdrawRulesConfirm, confirmLabel: fr.manage.withdraw, danger: true }}
    >
      {fr.manage.withdraw}
    </ActionButton>
  );
}

/** Authorises an active member to use the brand. */
export function GrantUse({ brandId, without }: { brandId: string; without: readonly string[] }) {
  const people = memberOptions(useMembers(), without);
  return (
    <Disclosure label={fr.manage.grantUse} testId="grant-use">
      {(close) => (
        <MutationForm
          mutation={GRANT_USE}
          testId="grant-use-form"
          submitLabel={fr.manage.authorise}
          fixed={{ brandId }}
          onSuccess={close}
          onCancel={close}
          fields={[{ name: 'memberId', label: fr.manage.member, kind: 'select', required: true, options: people }]}
        />
      )}
    </Disclosure>
  );
}

/** Revokes an authorisation (kept, with its revocation date), after asking. */
export function RevokeUse({ authorisationId, name }: { authorisationId: string; name: string }) {
  return (
    <ActionButton
      mutation={REVOKE_USE}
      variables={{ input: { authorisationId } }}
      small
      tone="danger"
      ariaLabel={fr.manage.revokeNamed(name)}
      testId="revoke-use"
      confirm={{ title: fr.manage.revokeConfirm(name), confirmLabel: fr.manage.revoke, danger: true }}
    >
      {fr.manage.revoke}
    </ActionButton>
  );
}
