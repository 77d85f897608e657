import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';
import { fr } from '../../i18n/fr';
import { ActionButton } from '../../ui/form/ActionButton';
import { Disclosure } from '../../ui/form/Disclosure';
import { enumOptions, type FieldSpec, NUMBER_BOUNDS } from '../../ui/form/fields';
import { MutationForm } from '../../ui/form/MutationForm';
import { basisPointsToInput, centsToInput, formatDay, toParisInput } from '../../ui/format';
import { memberOptions, useMembers } from '../../ui/useMembers';
import { OPENING_DAYS } from '../collectives/CreateResources';

// What the stand's collective runs from the stand's page: its details, opening days, split, participants, costs
// and shifts. Each change comes back to every open page through the stand's live changes.

const UPDATE_STAND = graphql(
  `
  mutation UpdateStand($input: UpdateStandInput!) {
    updateStand(input: $input) {
      __typename
      ... on MutationUpdateStandSuccess {
        data {
          id
          eventName
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const SET_OPENING_DAYS = graphql(
  `
  mutation SetStandOpeningDays($input: StandOpeningDaysInput!) {
    setStandOpeningDays(input: $input) {
      __typename
      ... on MutationSetStandOpeningDaysSuccess {
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

const SET_SPLIT_MODE = graphql(
  `
  mutation SetStandSplitMode($input: SetStandSplitModeInput!) {
    setStandSplitMode(input: $input) {
      __typename
      ... on MutationSetStandSplitModeSuccess {
        data {
          id
          splitMode
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

const SET_PARTICIPANTS = graphql(
  `
  mutation SetStandParticipants($input: SetStandParticipantsInput!) {
    setStandParticipants(input: $input) {
      __typename
      ... on MutationSetStandParticipantsSuccess {
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

const ADD_COST_LINE = graphql(
  `
  mutation AddStandCostLine($input: AddStandCostLineInput!) {
    addStandCostLine(input: $input) {
      __typename
      ... on MutationAddStandCostLineSuccess {
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

const UPDATE_COST_LINE = graphql(
  `
  mutation UpdateStandCostLine($input: UpdateStandCostLineInput!) {
    updateStandCostLine(input: $input) {
      __typename
      ... on MutationUpdateStandCostLineSuccess {
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

const REMOVE_COST_LINE = graphql(
  `
  mutation RemoveStandCostLine($input: StandCostLineRefInput!) {
    removeStandCostLine(input: $input) {
      __typename
      ... on MutationRemoveStandCostLineSuccess {
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

const ADD_SHIFT = graphql(
  `
  mutation AddStandShift($input: AddStandShiftInput!) {
    addStandShift(input: $input) {
      __typename
      ... on MutationAddStandShiftSuccess {
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

const REMOVE_SHIFT = graphql(
  `
  mutation RemoveStandShift($input: StandShiftRefInput!) {
    removeStandShift(input: $input) {
      __typename
      ... on MutationRemoveStandShiftSuccess {
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

/** What the forms read of a stand. */
export interface ManagedStand {
  id: string;
  eventName: string;
  organiser: string;
  venue: string;
  standNumber: string | null;
  areaSquareMeters: number | null;
  registrationDeadline: string | null;
  cancellationDeadline: string | null;
  setUpStartsAt: string | null;
  tearDownEndsAt: string | null;
  minimumStaff: number;
  splitMode: string;
  payer: { id: string } | null;
  openingDays: readonly { day: string; opensAt: string; closesAt: string }[];
  participants: readonly { daysPresent: number; customShareBasisPoints: number | null; member: { id: string } }[];
}

const timeOf = (instant: string) => toParisInput(instant).slice(11);

const COST_FIELDS: FieldSpec[] = [
  { name: 'label', label: fr.manage.costLabel, kind: 'text', required: true },
  { name: 'category', label: fr.manage.costCategory, kind: 'select', required: true, options: enumOptions(fr.stand.categories) },
  { name: 'amountCents', label: fr.manage.amount, kind: 'money', required: true, bound: NUMBER_BOUNDS.positiveAmountCents },
];

/** The stand's details, opening days, split and participants, each in a form opened in place. */
export function StandSettings({ stand }: { stand: ManagedStand }) {
  const members = useMembers();
  const people = memberOptions(members);
  const fixed = { standId: stand.id };
  return (
    <div className="row-actions row-actions--wrap" data-testid="stand-settings">
      <Disclosure label={fr.manage.editStand} testId="edit-stand">
        {(close) => (
          <MutationForm
            mutation={UPDATE_STAND}
            testId="edit-stand-form"
            submitLabel={fr.common.save}
            fixed={fixed}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{
              eventName: stand.eventName,
              organiser: stand.organiser,
              venue: stand.venue,
              standNumber: stand.standNumber ?? '',
              areaSquareMeters: stand.areaSquareMeters == null ? '' : String(stand.areaSquareMeters).replace('.', ','),
              minimumStaff: String(stand.minimumStaff),
              payerId: stand.payer?.id ?? '',
              registrationDeadline: toParisInput(stand.registrationDeadline),
              cancellationDeadline: toParisInput(stand.cancellationDeadline),
              setUpStartsAt: toParisInput(stand.setUpStartsAt),
              tearDownEndsAt: toParisInput(stand.tearDownEndsAt),
            }}
            fields={[
              { name: 'eventName', label: fr.stand.event, kind: 'text', required: true },
              { name: 'organiser', label: fr.stand.organiser, kind: 'text', required: true },
              { name: 'venue', label: fr.stand.venue, kind: 'text', required: true },
              { name: 'standNumber', label: fr.stand.standNumber, kind: 'text' },
              { name: 'areaSquareMeters', label: fr.forms.areaM2, kind: 'decimal', bound: NUMBER_BOUNDS.standArea },
              {
                name: 'minimumStaff',
                label: fr.forms.minimumStaff,
                kind: 'int',
                required: true,
                bound: NUMBER_BOUNDS.shiftStaff,
              },
              { name: 'payerId', label: fr.stand.payer, kind: 'select', empty: fr.common.nobody, options: people },
              { name: 'registrationDeadline', label: fr.stand.registration, kind: 'datetime' },
              { name: 'cancellationDeadline', label: fr.stand.cancellation, kind: 'datetime' },
              { name: 'setUpStartsAt', label: fr.forms.setUp, kind: 'datetime' },
              { name: 'tearDownEndsAt', label: fr.forms.tearDown, kind: 'datetime' },
            ]}
          />
        )}
      </Disclosure>
      <Disclosure label={fr.manage.editOpeningDays} testId="edit-opening-days">
        {(close) => (
          <MutationForm
            mutation={SET_OPENING_DAYS}
            testId="opening-days-form"
            submitLabel={fr.common.save}
            fixed={fixed}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{
              openingDays: stand.openingDays.map((day) => ({
                day: day.day,
                opensAt: timeOf(day.opensAt),
                closesAt: timeOf(day.closesAt),
              })),
            }}
            fields={[OPENING_DAYS]}
          />
        )}
      </Disclosure>
      <Disclosure label={fr.manage.editSplit} testId="edit-split">
        {(close) => (
          <MutationForm
            mutation={SET_SPLIT_MODE}
            testId="split-mode-form"
            submitLabel={fr.common.save}
            fixed={fixed}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{ splitMode: stand.splitMode }}
            fields={[
              {
                name: 'splitMode',
                label: fr.stand.split,
                kind: 'select',
                required: true,
                options: enumOptions(fr.stand.splitModes),
              },
            ]}
          />
        )}
      </Disclosure>
      <Disclosure label={fr.manage.editParticipants} testId="edit-participants">
        {(close) => (
          <MutationForm
            mutation={SET_PARTICIPANTS}
            testId="participants-form"
            submitLabel={fr.common.save}
            fixed={fixed}
            keepValues
            onSuccess={close}
            onCancel={close}
            intro={<p className="hint">{fr.manage.participantsHint}</p>}
            initial={{
              participants: stand.participants.map((participant) => ({
                memberId: participant.member.id,
                daysPresent: String(participant.daysPresent),
                customShareBasisPoints: basisPointsToInput(participant.customShareBasisPoints),
              })),
            }}
            fields={[
              {
                name: 'participants',
                label: fr.stand.participants,
                kind: 'rows',
                required: true,
                addLabel: fr.manage.addParticipant,
                removeLabel: fr.common.remove,
                blank: { memberId: '', daysPresent: '0', customShareBasisPoints: '' },
                fields: [
                  { name: 'memberId', label: fr.manage.participant, kind: 'select', required: true, options: people },
                  { name: 'daysPresent', label: fr.manage.daysPresent, kind: 'int', bound: NUMBER_BOUNDS.daysPresent },
                  {
                    name: 'customShareBasisPoints',
                    label: fr.forms.sharePercent,
                    kind: 'percent',
                    bound: NUMBER_BOUNDS.basisPoints,
                    show: () => stand.splitMode === 'CUSTOM',
                  },
                ],
              },
            ]}
          />
        )}
      </Disclosure>
    </div>
  );
}

/** Adds a cost line to the stand. */
export function AddCostLine({ standId }: { standId: string }) {
  return (
    <Disclosure label={fr.manage.addCost} testId="add-cost">
      {(close) => (
        <MutationForm
          mutation={ADD_COST_LINE}
          testId="add-cost-form"
          submitLabel={fr.common.add}
          fixed={{ standId }}
          onSuccess={close}
          onCancel={close}
          initial={{ category: 'OTHER' }}
          fields={COST_FIELDS}
        />
      )}
    </Disclosure>
  );
}

/** Changes or removes one cost line (removing asks first). */
export function CostLineActions({ line }: { line: { id: string; label: string; category: string; amountCents: number } }) {
  return (
    <div className="row-actions">
      <Disclosure label={fr.common.edit} testId={`edit-cost-${line.id}`}>
        {(close) => (
          <MutationForm
            mutation={UPDATE_COST_LINE}
            testId="edit-cost-form"
            submitLabel={fr.common.save}
            fixed={{ costLineId: line.id }}
            keepValues
            onSuccess={close}
            onCancel={close}
            initial={{ label: line.label, category: line.category, amountCents: centsToInput(line.amountCents) }}
            fields={COST_FIELDS}
          />
        )}
      </Disclosure>
      <ActionButton
        mutation={REMOVE_COST_LINE}
        variables={{ input: { costLineId: line.id } }}
        small
        tone="danger"
        ariaLabel={fr.manage.removeNamed(line.label)}
        testId="remove-cost"
        confirm={{ title: fr.manage.removeCostConfirm(line.label), confirmLabel: fr.common.remove, danger: true }}
      >
        {fr.common.remove}
      </ActionButton>
    </div>
  );
}

/** Adds a presence shift on one opening day (times in Paris). */
export function AddShift({ stand }: { stand: ManagedStand }) {
  return (
    <Disclosure label={fr.manage.addShift} testId="add-shift">
      {(close) => (
        <MutationForm
          mutation={ADD_SHIFT}
          testId="add-shift-form"
          submitLabel={fr.common.add}
          fixed={{ standId: stand.id }}
          onSuccess={close}
          onCancel={close}
          initial={{ day: stand.openingDays[0]?.day ?? '', minimumStaff: String(stand.minimumStaff) }}
          // The day only places the times: the API takes two instants.
          variables={({ day: _day, ...input }) => ({ input })}
          fields={[
            {
              name: 'day',
              label: fr.forms.day,
              kind: 'select',
              required: true,
              options: stand.openingDays.map((day) => ({ value: day.day, label: formatDay(day.day) })),
            },
            { name: 'startsAt', label: fr.manage.startsAt, kind: 'time', on: 'day', required: true },
            { name: 'endsAt', label: fr.manage.endsAt, kind: 'time', on: 'day', required: true },
            { name: 'minimumStaff', label: fr.forms.minimumStaff, kind: 'int', bound: NUMBER_BOUNDS.shiftStaff },
          ]}
        />
      )}
    </Disclosure>
  );
}

/** Removes a shift and its assignments, after asking. */
export function RemoveShift({ shiftId, when }: { shiftId: string; when: string }) {
  return (
    <ActionButton
      mutation={REMOVE_SHIFT}
      variables={{ input: { shiftId } }}
      small
      tone="danger"
      ariaLabel={fr.manage.removeNamed(when)}
      testId="remove-shift"
      confirm={{ title: fr.manage.removeShiftConfirm(when), confirmLabel: fr.common.remove, danger: true }}
    >
      {fr.common.remove}
    </ActionButton>
  );
}
