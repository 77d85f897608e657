import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { Disclosure } from '../../ui/form/Disclosure';
import { NUMBER_BOUNDS, type Option, type Values } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { formatShare, parisToday, parseDecimalInput } from '../../ui/format';
import { memberOptions, useMembers } from '../../ui/useMembers';

// What the product's collective runs from the product's page: its details, co-owners, revenue-split periods
// and sales. Live through the product's changes.

const UPDATE_PRODUCT = graphql(
  `
  mutation UpdateProduct($input: UpdateProductInput!) {
    updateProduct(input: $input) {
      __typename
      ... on MutationUpdateProductSuccess {
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

const SET_OWNERS = graphql(
  `
  mutation SetProductOwners($input: SetProductOwnersInput!) {
    setProductOwners(input: $input) {
      __typename
      ... on MutationSetProductOwnersSuccess {
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

const ADD_SPLIT = graphql(
  `
  mutation AddRevenueSplitRule($input: AddRevenueSplitRuleInput!) {
    addRevenueSplitRule(input: $input) {
      __typename
      ... on MutationAddRevenueSplitRuleSuccess {
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

const RECORD_SALE = graphql(
  `
  mutation RecordSale($input: RecordSaleInput!) {
    recordSale(input: $input) {
      __typename
      ... on MutationRecordSaleSuccess {
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

/** What the forms read of a product. */
export interface ManagedProduct {
  id: string;
  name: string;
  description: string | null;
  brand: { id: string; name: string } | null;
  owners: readonly { id: string; displayName: string }[];
}

/** Running total of the shares typed, so « must make 100 % » is said only while it does not. */
function shareTotal(values: Values) {
  const rows = Array.isArray(values.shares) ? (values.shares as Values[]) : [];
  const total = rows.reduce((sum, row) => sum + (parseDecimalInput(String(row.shareBasisPoints ?? '')) || 0) * 100, 0);
  return (
    <p className="hint" data-testid="split-total">
      {fr.manage.shareTotal(formatShare(Math.round(total)))}
      {Math.round(total) === 10_000 ? '' : ` — ${fr.manage.mustMake100}`}
    </p>
  );
}

/**
 * The product's details and co-owners, its split periods and its sales, each in a form opened in place. The co-owners
 * and split forms only when `canChangeOwners` (`Product.viewerCanChangeOwners`: its co-owners decide them).
 */
export function ProductSettings({
  product,
  brands,
  canChangeOwners,
}: {
  product: ManagedProduct;
  brands: readonly Option[];
  canChangeOwners: boolean;
}) {
  const people = memberOptions(useMembers());
  const owners = memberOptions(product.owners);
  return (
    <div className="row-actions row-actions--wrap" data-testid="product-settings">
      <Disclosure label={fr.manage.editProduct} testId="edit-product">
        {(close) => (
          <MutationForm
            mutation={UPDATE_PRODUCT}
            testId="edit-product-form"
            submitLabel={fr.common.save}
            fixed={{ id: product.id }}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{ name: product.name, description: product.description ?? '', brandId: product.brand?.id ?? '' }}
            fields={[
              { name: 'name', label: fr.forms.productName, kind: 'text', required: true },
              { name: 'brandId', label: fr.product.brand, kind: 'select', empty: fr.forms.noBrand, options: brands },
              { name: 'description', label: fr.forms.description, kind: 'textarea' },
            ]}
          />
        )}
      </Disclosure>
      {canChangeOwners ? (
        <>
          <Disclosure label={fr.manage.editOwners} testId="edit-owners">
            {(close) => (
              <MutationForm
                mutation={SET_OWNERS}
                testId="owners-form"
                submitLabel={fr.common.save}
                fixed={{ productId: product.id }}
                keepValues
                onSuccess={close}
                onCancel={close}
                initial={{ ownerIds: product.owners.map((owner) => owner.id) }}
                fields={[{ name: 'ownerIds', label: fr.product.owners, kind: 'checkboxes', required: true, options: people }]}
              />
            )}
          </Disclosure>
          <Disclosure label={fr.manage.addSplit} testId="add-split">
            {(close) => (
              <MutationForm
                mutation={ADD_SPLIT}
                testId="add-split-form"
                submitLabel={fr.common.add}
                fixed={{ productId: product.id }}
                onSuccess={close}
                onCancel={close}
                intro={<p className="hint">{fr.manage.splitHint}</p>}
                initial={{
                  validFrom: parisToday(),
                  shares: product.owners.map((owner) => ({ memberId: owner.id, shareBasisPoints: '' })),
                }}
                footer={shareTotal}
                fields={[
                  { name: 'validFrom', label: fr.manage.validFrom, kind: 'date', required: true },
                  { name: 'validUntil', label: fr.manage.validUntil, kind: 'date' },
                  {
                    name: 'shares',
                    label: fr.manage.shares,
                    kind: 'rows',
                    required: true,
                    addLabel: fr.manage.addShare,
                    removeLabel: fr.common.remove,
                    blank: { memberId: '', shareBasisPoints: '' },
                    fields: [
                      { name: 'memberId', label: fr.manage.member, kind: 'select', required: true, options: owners },
                      {
                        name: 'shareBasisPoints',
                        label: fr.forms.sharePercent,
                        kind: 'percent',
                        required: true,
                        bound: NUMBER_BOUNDS.positiveBasisPoints,
                      },
                    ],
                  },
                ]}
              />
            )}
          </Disclosure>
        </>
      ) : null}
      <Disclosure label={fr.manage.recordSale} testId="record-sale">
        {(close) => (
          <MutationForm
            mutation={RECORD_SALE}
            testId="record-sale-form"
            submitLabel={fr.common.save}
            fixed={{ productId: product.id }}
            onSuccess={close}
            onCancel={close}
            initial={{ soldOn: parisToday() }}
            fields={[
              { name: 'soldOn', label: fr.product.soldOn, kind: 'date', required: true },
              {
                name: 'amountCents',
                label: fr.manage.amount,
                kind: 'money',
                required: true,
                bound: NUMBER_BOUNDS.positiveAmountCents,
              },
              { name: 'client', label: fr.product.client, kind: 'text' },
            ]}
          />
        )}
      </Disclosure>
    </div>
  );
}
