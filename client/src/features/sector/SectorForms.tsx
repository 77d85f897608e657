import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import { Disclosure } from '../../ui/form/Disclosure';
import { enumOptions, type FieldSpec, NUMBER_BOUNDS, type Option } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { centsToInput, parisToday } from '../../ui/format';

// The sector tools fed from the browser: observed prices, supplier recommendations, free service exchanges and
// referrals. Every list refreshes live through the collective's activity.

const CREATE_PRICE = graphql(
  `
  mutation CreatePriceReference($input: CreatePriceReferenceInput!) {
    createPriceReference(input: $input) {
      __typename
      ... on MutationCreatePriceReferenceSuccess {
        data {
          id
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

const UPDATE_PRICE = graphql(
  `
  mutation UpdatePriceReference($input: UpdatePriceReferenceInput!) {
    updatePriceReference(input: $input) {
      __typename
      ... on MutationUpdatePriceReferenceSuccess {
        data {
          id
          service
          unit
          minCents
          medianCents
          maxCents
          sampleSize
          periodStart
          periodEnd
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const REMOVE_PRICE = graphql(
  `
  mutation RemovePriceReference($input: PriceReferenceRefInput!) {
    removePriceReference(input: $input) {
      __typename
      ... on MutationRemovePriceReferenceSuccess {
        data
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const RECOMMEND_SUPPLIER = graphql(
  `
  mutation RecommendSupplier($input: RecommendSupplierInput!) {
    recommendSupplier(input: $input) {
      __typename
      ... on MutationRecommendSupplierSuccess {
        data {
          id
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

const UPDATE_RECOMMENDATION = graphql(
  `
  mutation UpdateSupplierRecommendation($input: UpdateSupplierRecommendationInput!) {
    updateSupplierRecommendation(input: $input) {
      __typename
      ... on MutationUpdateSupplierRecommendationSuccess {
        data {
          id
          category
          rating
          comment
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

const OFFER_SERVICE = graphql(
  `
  mutation OfferService($input: OfferServiceInput!) {
    offerService(input: $input) {
      __typename
      ... on MutationOfferServiceSuccess {
        data {
          id
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

const ACCEPT_SERVICE = graphql(
  `
  mutation AcceptService($input: ServiceExchangeRefInput!) {
    acceptService(input: $input) {
      __typename
      ... on MutationAcceptServiceSuccess {
        data {
          id
          status
          beneficiary {
            id
            displayName
          }
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const COMPLETE_SERVICE = graphql(
  `
  mutation CompleteService($input: ServiceExchangeRefInput!) {
    completeService(input: $input) {
      __typename
      ... on MutationCompleteServiceSuccess {
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

const CANCEL_SERVICE = graphql(
  `
  mutation CancelService($input: ServiceExchangeRefInput!) {
    cancelService(input: $input) {
      __typename
      ... on MutationCancelServiceSuccess {
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

const CREATE_REFERRAL = graphql(
  `
  mutation CreateReferral($input: CreateReferralInput!) {
    createReferral(input: $input) {
      __typename
      ... on MutationCreateReferralSuccess {
        data {
          id
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

const CHANGE_REFERRAL = graphql(
  `
  mutation ChangeReferralStatus($input: ChangeReferralStatusInput!) {
    changeReferralStatus(input: $input) {
      __typename
      ... on MutationChangeReferralStatusSuccess {
        data {
          id
          status
          amountCents
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const PRICE_FIELDS: FieldSpec[] = [
  { name: 'service', label: fr.sectorTools.service, kind: 'text', required: true, wide: true },
  { name: 'unit', label: fr.sectorTools.unit, kind: 'select', required: true, options: enumOptions(fr.sectorTools.units) },
  { name: 'sampleSize', label: fr.manage.sampleSize, kind: 'int', required: true, bound: NUMBER_BOUNDS.priceSample },
  { name: 'minCents', label: fr.manage.minPrice, kind: 'money', required: true, bound: NUMBER_BOUNDS.positiveAmountCents },
  { name: 'medianCents', label: fr.manage.medianPrice, kind: 'money', required: true, bound: NUMBER_BOUNDS.positiveAmountCents },
  { name: 'maxCents', label: fr.manage.maxPrice, kind: 'money', required: true, bound: NUMBER_BOUNDS.positiveAmountCents },
  { name: 'periodStart', label: fr.manage.periodStart, kind: 'date', required: true },
  { name: 'periodEnd', label: fr.manage.periodEnd, kind: 'date', required: true },
];

const RATINGS: Option[] = [1, 2, 3, 4, 5].map((value) => ({ value: String(value), label: fr.manage.stars(value) }));
const asRating = ({ rating, ...input }: Record<string, unknown>) => ({
  input: { ...input, ...(rating == null ? {} : { rating: Number(rating) }) },
});

/** Records observed prices (never a grid to apply). */
export function AddPrice({ collectiveId }: { collectiveId: string }) {
  return (
    <Disclosure label={fr.manage.addPrice} testId="add-price">
      {(close) => (
        <MutationForm
          mutation={CREATE_PRICE}
          testId="add-price-form"
          submitLabel={fr.common.add}
          fixed={{ collectiveId }}
          onSuccess={close}
          onCancel={close}
          intro={<p className="hint">{fr.sectorTools.nonBinding}</p>}
          initial={{ unit: 'DAY', periodEnd: parisToday() }}
          fields={PRICE_FIELDS}
        />
      )}
    </Disclosure>
  );
}

export interface PriceRow {
  id: string;
  service: string;
  unit: string;
  minCents: number;
  medianCents: number;
  maxCents: number;
  sampleSize: number;
  periodStart: string;
  periodEnd: string;
}

/** Corrects or deletes one observed price (deleting asks first). */
export function PriceActions({ price }: { price: PriceRow }) {
  return (
    <div className="row-actions">
      <Disclosure label={fr.common.edit} testId="edit-price">
        {(close) => (
          <MutationForm
            mutation={UPDATE_PRICE}
            testId="edit-price-form"
            submitLabel={fr.common.save}
            fixed={{ id: price.id }}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{
              service: price.service,
              unit: price.unit,
              sampleSize: String(price.sampleSize),
              minCents: centsToInput(price.minCents),
              medianCents: centsToInput(price.medianCents),
              maxCents: centsToInput(price.maxCents),
              periodStart: price.periodStart,
              periodEnd: price.periodEnd,
            }}
            fields={PRICE_FIELDS}
          />
        )}
      </Disclosure>
      <ActionButton
        mutation={REMOVE_PRICE}
        variables={{ input: { id: price.id } }}
        small
        tone="danger"
        testId="remove-price"
        ariaLabel={fr.manage.removeNamed(price.service)}
        confirm={{ title: fr.manage.removePriceConfirm(price.service), confirmLabel: fr.common.remove, danger: true }}
      >
        {fr.common.remove}
      </ActionButton>
    </div>
  );
}

/** Recommends a supplier to the collective. */
export function RecommendSupplier({ collectiveId }: { collectiveId: string }) {
  return (
    <Disclosure label={fr.manage.recommend} testId="recommend-supplier">
      {(close) => (
        <MutationForm
          mutation={RECOMMEND_SUPPLIER}
          testId="recommend-supplier-form"
          submitLabel={fr.manage.recommend}
          fixed={{ collectiveId }}
          variables={asRating}
          onSuccess={close}
          onCancel={close}
          fields={[
            { name: 'supplierName', label: fr.manage.supplier, kind: 'text', required: true },
            { name: 'category', label: fr.manage.category, kind: 'text', required: true },
            { name: 'rating', label: fr.manage.rating, kind: 'select', required: true, options: RATINGS },
            { name: 'comment', label: fr.manage.comment, kind: 'textarea' },
          ]}
        />
      )}
    </Disclosure>
  );
}

/** Revises one's own recommendation. */
export function EditRecommendation({
  recommendation,
}: {
  recommendation: { id: string; category: string; rating: number; comment: string };
}) {
  return (
    <Disclosure label={fr.common.edit} testId="edit-recommendation">
      {(close) => (
        <MutationForm
          mutation={UPDATE_RECOMMENDATION}
          testId="edit-recommendation-form"
          submitLabel={fr.common.save}
          fixed={{ id: recommendation.id }}
          variables={asRating}
          keepValues
          onSuccess={close}
          onCancel={close}
          initial={{ category: recommendation.category, rating: String(recommendation.rating), comment: recommendation.comment }}
          fields={[
            { name: 'category', label: fr.manage.category, kind: 'text', required: true },
            { name: 'rating', label: fr.manage.rating, kind: 'select', required: true, options: RATINGS },
            { name: 'comment', label: fr.manage.comment, kind: 'textarea' },
          ]}
        />
      )}
    </Disclosure>
  );
}

/** Offers a free service, to everyone in the collective or to one member. */
export function OfferService({ collectiveId, members }: { collectiveId: string; members: readonly Option[] }) {
  return (
    <Disclosure label={fr.manage.offerService} testId="offer-service">
      {(close) => (
        <MutationForm
          mutation={OFFER_SERVICE}
          testId="offer-service-form"
          submitLabel={fr.manage.offer}
          fixed={{ collectiveId }}
          onSuccess={close}
          onCancel={close}
          fields={[
            { name: 'description', label: fr.forms.description, kind: 'textarea', required: true },
            {
              name: 'hours',
              label: fr.manage.hours,
              kind: 'decimal',
              required: true,
              hint: fr.manage.hoursHint,
              bound: NUMBER_BOUNDS.serviceHours,
            },
            { name: 'beneficiaryId', label: fr.manage.beneficiary, kind: 'select', empty: fr.manage.toAll, options: members },
          ]}
        />
      )}
    </Disclosure>
  );
}

/** The actions a service allows the viewer: accept an open offer, mark done, cancel (asked first). */
export function ServiceActions({
  exchange,
  viewerId,
}: {
  exchange: { id: string; status: string; provider: { id: string }; beneficiary: { id: string } | null };
  viewerId: string | null;
}) {
  const mine = exchange.provider.id === viewerId;
  const forMe = exchange.beneficiary?.id === viewerId;
  const input = { input: { id: exchange.id } };
  return (
    <span className="row-actions">
      {exchange.status === 'OFFERED' && !mine && (!exchange.beneficiary || forMe) ? (
        <ActionButton mutation={ACCEPT_SERVICE} variables={input} small tone="primary" testId="accept-service">
          {fr.manage.accept}
        </ActionButton>
      ) : null}
      {exchange.status === 'ACCEPTED' && (mine || forMe) ? (
        <ActionButton mutation={COMPLETE_SERVICE} variables={input} small testId="complete-service">
          {fr.manage.markDone}
        </ActionButton>
      ) : null}
      {(exchange.status === 'OFFERED' && mine) || (exchange.status === 'ACCEPTED' && (mine || forMe)) ? (
        <ActionButton
          mutation={CANCEL_SERVICE}
          variables={input}
          small
          tone="danger"
          testId="cancel-service"
          confirm={{ title: fr.manage.cancelServiceConfirm, confirmLabel: fr.manage.cancelService, danger: true }}
        >
          {fr.manage.cancelService}
        </ActionButton>
      ) : null}
    </span>
  );
}

/** Refers a client to another member of the collective. */
export function CreateReferral({ collectiveId, members }: { collectiveId: string; members: readonly Option[] }) {
  return (
    <Disclosure label={fr.manage.refer} testId="create-referral">
      {(close) => (
        <MutationForm
          mutation={CREATE_REFERRAL}
          testId="create-referral-form"
          submitLabel={fr.manage.refer}
          fixed={{ collectiveId }}
          onSuccess={close}
          onCancel={close}
          fields={[
            { name: 'toMemberId', label: fr.manage.referTo, kind: 'select', required: true, options: members },
            { name: 'clientName', label: fr.product.client, kind: 'text', required: true },
            { name: 'description', label: fr.forms.description, kind: 'textarea' },
          ]}
        />
      )}
    </Disclosure>
  );
}

const NEXT_STATUS: Record<string, string[]> = {
  PROPOSED: ['ACCEPTED', 'LOST'],
  ACCEPTED: ['QUOTED', 'LOST'],
  QUOTED: ['SIGNED', 'LOST'],
};

/** Moves a referral one received to its next status (an amount with a quote or a signature). */
export function ReferralStatus({ referral }: { referral: { id: string; status: string; amountCents: number | null } }) {
  const next = NEXT_STATUS[referral.status] ?? [];
  if (next.length === 0) return null;
  return (
    <Disclosure label={fr.manage.referralNext} testId="referral-status">
      {(close) => (
        <MutationForm
          mutation={CHANGE_REFERRAL}
          testId="referral-status-form"
          submitLabel={fr.common.save}
          fixed={{ id: referral.id }}
          onSuccess={close}
          onCancel={close}
          initial={{ status: next[0] ?? '', amountCents: centsToInput(referral.amountCents) }}
          fields={[
            {
              name: 'status',
              label: fr.manage.status,
              kind: 'select',
              required: true,
              options: enumOptions(fr.sectorTools.referralStatuses, next),
            },
            {
              name: 'amountCents',
              label: fr.manage.amount,
              kind: 'money',
              bound: NUMBER_BOUNDS.positiveAmountCents,
              show: (values) => values.status === 'QUOTED' || values.status === 'SIGNED',
            },
          ]}
        />
      )}
    </Disclosure>
  );
}
