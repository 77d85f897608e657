import { useNavigate } from 'react-router';
import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { Disclosure } from '../../ui/form/Disclosure';
import { enumOptions, NUMBER_BOUNDS, type Option } from '../../ui/form/fields';
import { MutationForm, type Payload } from '../../ui/form/MutationForm';
import { opportunityOptions, useOpportunities } from '../../ui/useOpportunities';

const CREATE_DEAL = graphql(
  `
  mutation CreateDeal($input: CreateDealInput!) {
    createDeal(input: $input) {
      __typename
      ... on MutationCreateDealSuccess {
        data {
          id
          title
          collective {
            id
          }
          opportunity {
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

const CREATE_STAND = graphql(
  `
  mutation CreateStand($input: CreateStandInput!) {
    createStand(input: $input) {
      __typename
      ... on MutationCreateStandSuccess {
        data {
          id
          eventName
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

const CREATE_BRAND = graphql(
  `
  mutation CreateBrand($input: CreateBrandInput!) {
    createBrand(input: $input) {
      __typename
      ... on MutationCreateBrandSuccess {
        data {
          id
          name
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

const CREATE_PRODUCT = graphql(
  `
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      __typename
      ... on MutationCreateProductSuccess {
        data {
          id
          name
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

export const CREATE_TENDER_RESPONSE = graphql(
  `
  mutation CreateTenderResponse($input: CreateTenderResponseInput!) {
    createTenderResponse(input: $input) {
      __typename
      ... on MutationCreateTenderResponseSuccess {
        data {
          id
          title
          collective {
            id
          }
          deal {
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

/** Where a creation lands: the new thing's page. */
function useOpen(prefix: string) {
  const navigate = useNavigate();
  return (payload: Payload | null) => {
    const id = (payload?.data as { id?: string } | undefined)?.id;
    if (id) navigate(`${prefix}/${encodeURIComponent(id)}`);
  };
}

const TENDER_KINDS = ['PUBLIC_TENDER', 'PRIVATE_TENDER', 'ORDER', 'OTHER'];

/** Starts a co-contracting deal in watch: on an opportunity (and a lot), from a business collective. */
export function CreateDealForm({
  collectives,
  opportunityId,
  onCancel,
}: {
  /** The business collectives the viewer may start it in (one: fixed). */
  collectives: readonly Option[];
  opportunityId?: string;
  onCancel?: () => void;
}) {
  const opportunities = useOpportunities();
  const open = useOpen('/affaires');
  const lotsOf = (id: unknown) =>
    (opportunities.find((opportunity) => opportunity.id === id)?.lots ?? []).map((lot) => ({
      value: lot.id,
      label: fr.opportunities.lot(lot.number, lot.title),
    }));
  return (
    <MutationForm
      mutation={CREATE_DEAL}
      testId="create-deal-form"
      submitLabel={fr.forms.createDeal}
      intro={<p className="hint">{fr.forms.createDealIntro}</p>}
      fixed={{
        ...(opportunityId ? { opportunityId } : {}),
        ...(collectives.length === 1 ? { collectiveId: collectives[0]?.value } : {}),
      }}
      onSuccess={open}
      onCancel={onCancel}
      fields={[
        ...(collectives.length > 1
          ? [{ name: 'collectiveId', label: fr.deal.collective, kind: 'select' as const, required: true, options: collectives }]
          : []),
        ...(opportunityId
          ? []
          : [
              {
                name: 'opportunityId',
                label: fr.deal.opportunity,
                kind: 'select' as const,
                required: true,
                options: opportunityOptions(opportunities, TENDER_KINDS),
              },
            ]),
        { name: 'title', label: fr.forms.dealTitle, kind: 'text', required: true, wide: true },
        {
          name: 'lotId',
          label: fr.forms.lot,
          kind: 'select',
          empty: fr.forms.noLot,
          options: (values) => lotsOf(opportunityId ?? values.opportunityId),
          show: (values) => lotsOf(opportunityId ?? values.opportunityId).length > 0,
        },
        { name: 'groupForm', label: fr.deal.groupForm, kind: 'select', required: true, options: enumOptions(fr.deal.groupForms) },
        { name: 'totalAmountCents', label: fr.deal.total, kind: 'money', bound: NUMBER_BOUNDS.amountCents },
      ]}
      initial={{ groupForm: 'NONE' }}
    />
  );
}

/** Books a trade-show stand for a business collective: the show, the venue, its opening days and dates. */
export function CreateStandForm({ collectiveId, onCancel }: { collectiveId: string; onCancel?: () => void }) {
  const opportunities = useOpportunities();
  const open = useOpen('/stands');
  return (
    <MutationForm
      mutation={CREATE_STAND}
      testId="create-stand-form"
      submitLabel={fr.forms.createStand}
      fixed={{ collectiveId }}
      onSuccess={open}
      onCancel={onCancel}
      initial={{ splitMode: 'EQUAL', minimumStaff: '1' }}
      fields={[
        { name: 'eventName', label: fr.stand.event, kind: 'text', required: true },
        { name: 'organiser', label: fr.stand.organiser, kind: 'text', required: true },
        { name: 'venue', label: fr.stand.venue, kind: 'text', required: true },
        {
          name: 'opportunityId',
          label: fr.forms.tradeShow,
          kind: 'select',
          empty: fr.forms.noOpportunity,
          options: opportunityOptions(opportunities, ['TRADE_SHOW']),
        },
        { name: 'standNumber', label: fr.stand.standNumber, kind: 'text' },
        { name: 'areaSquareMeters', label: fr.forms.areaM2, kind: 'decimal', bound: NUMBER_BOUNDS.standArea },
        { name: 'splitMode', label: fr.stand.split, kind: 'select', required: true, options: enumOptions(fr.stand.splitModes) },
        { name: 'minimumStaff', label: fr.forms.minimumStaff, kind: 'int', bound: NUMBER_BOUNDS.shiftStaff },
        { name: 'registrationDeadline', label: fr.stand.registration, kind: 'datetime' },
        { name: 'cancellationDeadline', label: fr.stand.cancellation, kind: 'datetime' },
        { name: 'setUpStartsAt', label: fr.forms.setUp, kind: 'datetime' },
        { name: 'tearDownEndsAt', label: fr.forms.tearDown, kind: 'datetime' },
        OPENING_DAYS,
      ]}
    />
  );
}

/** The opening days of a stand: a day, opening and closing times (Paris). */
export const OPENING_DAYS = {
  name: 'openingDays',
  label: fr.stand.openingDays,
  kind: 'rows',
  addLabel: fr.forms.addOpeningDay,
  removeLabel: fr.forms.removeOpeningDay,
  blank: { day: '', opensAt: '09:00', closesAt: '18:00' },
  fields: [
    { name: 'day', label: fr.forms.day, kind: 'date', required: true },
    { name: 'opensAt', label: fr.forms.opensAt, kind: 'time', on: 'day', required: true },
    { name: 'closesAt', label: fr.forms.closesAt, kind: 'time', on: 'day', required: true },
  ],
} as const;

/** A brand's holders and their shares (percent typed, basis points sent). */
export function holdersField(members: readonly Option[]) {
  return {
    name: 'holders',
    label: fr.brand.holders,
    kind: 'rows',
    required: true,
    addLabel: fr.forms.addHolder,
    removeLabel: fr.common.remove,
    blank: { memberId: '', shareBasisPoints: '' },
    fields: [
      { name: 'memberId', label: fr.forms.holder, kind: 'select', required: true, options: members },
      {
        name: 'shareBasisPoints',
        label: fr.forms.sharePercent,
        kind: 'percent',
        required: true,
        bound: NUMBER_BOUNDS.positiveBasisPoints,
      },
    ],
  } as const;
}

export const BRAND_FILING_FIELDS = [
  { name: 'legalKind', label: fr.brand.legalKind, kind: 'select', required: true, options: enumOptions(fr.brand.legalKinds) },
  {
    name: 'inpiNumber',
    label: fr.brand.inpi,
    kind: 'text',
    show: (values: { legalKind?: unknown }) => values.legalKind !== 'NOT_FILED',
  },
  {
    name: 'filedOn',
    label: fr.brand.filedOn,
    kind: 'date',
    show: (values: { legalKind?: unknown }) => values.legalKind !== 'NOT_FILED',
  },
  {
    name: 'niceClasses',
    label: fr.brand.niceClasses,
    kind: 'ints',
    hint: fr.forms.niceHint,
    show: (values: { legalKind?: unknown }) => values.legalKind !== 'NOT_FILED',
  },
] as const;

/** Creates a common brand in a long-term business collective, with its holders. */
export function CreateBrandForm({
  collectiveId,
  members,
  onCancel,
}: {
  collectiveId: string;
  members: readonly Option[];
  onCancel?: () => void;
}) {
  const open = useOpen('/marques');
  return (
    <MutationForm
      mutation={CREATE_BRAND}
      testId="create-brand-form"
      submitLabel={fr.forms.createBrand}
      fixed={{ collectiveId }}
      onSuccess={open}
      onCancel={onCancel}
      initial={{ legalKind: 'NOT_FILED', holders: [{ memberId: '', shareBasisPoints: '100' }] }}
      fields={[
        { name: 'name', label: fr.forms.brandName, kind: 'text', required: true },
        ...BRAND_FILING_FIELDS,
        holdersField(members),
      ]}
    />
  );
}

/** Creates a product of a long-term business collective, with its co-owners and, if any, its brand. */
export function CreateProductForm({
  collectiveId,
  members,
  brands,
  onCancel,
}: {
  collectiveId: string;
  members: readonly Option[];
  brands: readonly Option[];
  onCancel?: () => void;
}) {
  const open = useOpen('/produits');
  return (
    <MutationForm
      mutation={CREATE_PRODUCT}
      testId="create-product-form"
      submitLabel={fr.forms.createProduct}
      fixed={{ collectiveId }}
      onSuccess={open}
      onCancel={onCancel}
      fields={[
        { name: 'name', label: fr.forms.productName, kind: 'text', required: true },
        { name: 'brandId', label: fr.product.brand, kind: 'select', empty: fr.forms.noBrand, options: brands },
        { name: 'description', label: fr.forms.description, kind: 'textarea' },
        { name: 'ownerIds', label: fr.product.owners, kind: 'checkboxes', required: true, options: members },
      ]}
    />
  );
}

/** Starts the response to a call for projects (no deal): its project description and budget sections. */
export function CreateProjectResponseForm({ collectiveId, onCancel }: { collectiveId: string; onCancel?: () => void }) {
  const opportunities = useOpportunities();
  const open = useOpen('/reponses');
  return (
    <MutationForm
      mutation={CREATE_TENDER_RESPONSE}
      testId="create-project-response-form"
      submitLabel={fr.forms.createResponse}
      fixed={{ collectiveId }}
      onSuccess={open}
      onCancel={onCancel}
      initial={{ withDefaultSections: true }}
      fields={[
        {
          name: 'opportunityId',
          label: fr.forms.callForProjects,
          kind: 'select',
          required: true,
          options: opportunityOptions(opportunities, ['CALL_FOR_PROJECTS']),
        },
        { name: 'title', label: fr.forms.responseTitle, kind: 'text', wide: true },
        { name: 'withDefaultSections', label: fr.forms.withDefaultSections, kind: 'checkbox' },
      ]}
    />
  );
}

/** The creation buttons of a collective's resources, by its kind. */
export function CreateResources({
  collective,
  members,
  brands,
}: {
  collective: { id: string; name: string; kind: string; horizon: string | null };
  members: readonly Option[];
  brands: readonly Option[];
}) {
  if (collective.kind !== 'BUSINESS') return null;
  const longTerm = collective.horizon === 'LONG_TERM';
  return (
    <div className="stack" data-testid="create-resources">
      <Disclosure label={fr.forms.newDeal} testId="new-deal">
        {(close) => <CreateDealForm collectives={[{ value: collective.id, label: collective.name }]} onCancel={close} />}
      </Disclosure>
      <Disclosure label={fr.forms.newProjectResponse} testId="new-project-response">
        {(close) => <CreateProjectResponseForm collectiveId={collective.id} onCancel={close} />}
      </Disclosure>
      <Disclosure label={fr.forms.newStand} testId="new-stand">
        {(close) => <CreateStandForm collectiveId={collective.id} onCancel={close} />}
      </Disclosure>
      {longTerm ? (
        <>
          <Disclosure label={fr.forms.newBrand} testId="new-brand">
            {(close) => <CreateBrandForm collectiveId={collective.id} members={members} onCancel={close} />}
          </Disclosure>
          <Disclosure label={fr.forms.newProduct} testId="new-product">
            {(close) => <CreateProductForm collectiveId={collective.id} members={members} brands={brands} onCancel={close} />}
          </Disclosure>
        </>
      ) : null}
    </div>
  );
}
