import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation } from 'urql';
import { MUTATION_ERROR, messageOf } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { formatDateTime, formatDay, formatEuros, formatTime } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { PageState } from '../../ui/QueryState';
import { useNodeChanges } from '../../ui/useNodeChanges';
import { usePageQuery } from '../../ui/usePageQuery';
import { usePageTitle } from '../../ui/usePageTitle';
import { AddCostLine, AddShift, CostLineActions, RemoveShift, StandSettings } from './StandForms';

const STAND_PAGE = graphql(`
  query StandPage($id: ID!) {
    viewer {
      id
    }
    node(id: $id) {
      __typename
      ... on TradeShowStand {
        id
        viewerCanChange
        eventName
        organiser
        venue
        standNumber
        areaSquareMeters
        registrationDeadline
        cancellationDeadline
        setUpStartsAt
        tearDownEndsAt
        minimumStaff
        splitMode
        totalCostCents
        collective {
          id
          slug
          name
        }
        payer {
          id
          displayName
        }
        openingDays {
          day
          opensAt
          closesAt
        }
        costLines {
          id
          label
          category
          amountCents
        }
        costShares {
          amountCents
          member {
            id
            displayName
          }
        }
        participants {
          daysPresent
          customShareBasisPoints
          member {
            id
            displayName
          }
        }
        shifts {
          id
          startsAt
          endsAt
          minimumStaff
          staffCount
          isUnderstaffed
          assignments {
            member {
              id
              displayName
            }
          }
        }
        uncoveredSlots {
          startsAt
          endsAt
        }
      }
    }
  }
`);

const ASSIGN = graphql(
  `
  mutation AssignShift($shiftId: ID!, $memberId: ID!) {
    assignShift(input: { shiftId: $shiftId, memberId: $memberId }) {
      __typename
      ...MutationError
      ... on MutationAssignShiftSuccess {
        data {
          id
        }
      }
    }
  }
`,
  [MUTATION_ERROR],
);

const UNASSIGN = graphql(
  `
  mutation UnassignShift($shiftId: ID!, $memberId: ID!) {
    unassignShift(input: { shiftId: $shiftId, memberId: $memberId }) {
      __typename
      ...MutationError
      ... on MutationUnassignShiftSuccess {
        data {
          id
        }
      }
    }
  }
`,
  [MUTATION_ERROR],
);

type Stand = Extract<NonNullable<ResultOf<typeof STAND_PAGE>['node']>, { __typename: 'TradeShowStand' }>;

export function StandPage() {
  const { id = '' } = useParams();
  const page = usePageQuery({ query: STAND_PAGE, variables: { id } }, id, 'node');
  useNodeChanges(id, page.refetch);
  if (page.data?.node?.__typename !== 'TradeShowStand') return <PageState {...page} />;
  return <StandView stand={page.data.node} viewerId={page.data.viewer?.id ?? null} />;
}

function dayOf(value: string): string {
  return formatDay(value);
}

function StandView({ stand, viewerId }: { stand: Stand; viewerId: string | null }) {
  const id = useId();
  // The support staff read a stand only: what the server would refuse them is not offered.
  const canChange = stand.viewerCanChange;
  const isParticipant = canChange && stand.participants.some((participant) => participant.member.id === viewerId);
  const days = [...new Set(stand.shifts.map((shift) => dayOf(shift.startsAt)))];
  const understaffed = stand.shifts.filter((shift) => shift.isUnderstaffed).length;
  usePageTitle(stand.eventName);

  return (
    <article className="page stack" aria-labelledby={`${id}-title`}>
      <header className="page__header">
        <p className="muted">
          <Link to={`/collectifs/${stand.collective.slug}`}>{stand.collective.name}</Link>
        </p>
        <h1 id={`${id}-title`} tabIndex={-1}>
          {stand.eventName}
        </h1>
      </header>
      <section className="card">
        <dl className="facts">
          <div>
            <dt>{fr.stand.organiser}</dt>
            <dd>{stand.organiser}</dd>
          </div>
          <div>
            <dt>{fr.stand.venue}</dt>
            <dd>{stand.venue}</dd>
          </div>
          {stand.standNumber ? (
            <div>
              <dt>{fr.stand.standNumber}</dt>
              <dd>{stand.standNumber}</dd>
            </div>
          ) : null}
          {stand.areaSquareMeters != null ? (
            <div>
              <dt>{fr.stand.area}</dt>
              <dd>{fr.stand.areaValue(stand.areaSquareMeters)}</dd>
            </div>
          ) : null}
          <div>
            <dt>{fr.stand.payer}</dt>
            <dd>{stand.payer?.displayName ?? '—'}</dd>
          </div>
          <div>
            <dt>{fr.stand.registration}</dt>
            <dd>{formatDateTime(stand.registrationDeadline)}</dd>
          </div>
          <div>
            <dt>{fr.stand.cancellation}</dt>
            <dd>{formatDateTime(stand.cancellationDeadline)}</dd>
          </div>
        </dl>
        {canChange ? <StandSettings stand={stand} /> : null}
        <h2>{fr.stand.openingDays}</h2>
        <ul>
          {stand.openingDays.map((day) => (
            <li key={day.day}>
              {formatDay(day.day)} — {formatTime(day.opensAt)} – {formatTime(day.closesAt)}
            </li>
          ))}
        </ul>
      </section>

      <div className="columns columns--even">
        <section className="card" aria-labelledby={`${id}-costs`}>
          <h2 id={`${id}-costs`}>{fr.stand.costs}</h2>
          <table className="table">
            <tbody>
              {stand.costLines.map((line) => (
                <tr key={line.id}>
                  <th scope="row">
                    {line.label} <span className="muted">({label(fr.stand.categories, line.category)})</span>
                  </th>
                  <td className="num">{formatEuros(line.amountCents)}</td>
                  <td>{canChange ? <CostLineActions line={line} /> : null}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{fr.stand.costTotal}</th>
                <td className="num">{formatEuros(stand.totalCostCents)}</td>
                <td />
              </tr>
            </tfoot>
          </table>
          {stand.costLines.length === 0 ? <p className="muted">{fr.manage.noCosts}</p> : null}
          {canChange ? <AddCostLine standId={stand.id} /> : null}
        </section>
        <section className="card" aria-labelledby={`${id}-split`}>
          <h2 id={`${id}-split`}>
            {fr.stand.split} — {label(fr.stand.splitModes, stand.splitMode)}
          </h2>
          <table className="table" data-testid="stand-cost-shares">
            <tbody>
              {stand.costShares.map((share) => {
                const participant = stand.participants.find((candidate) => candidate.member.id === share.member.id);
                return (
                  <tr key={share.member.id}>
                    <th scope="row">
                      {share.member.displayName}
                      {participant ? <span className="muted"> — {fr.stand.daysPresent(participant.daysPresent)}</span> : null}
                    </th>
                    <td className="num">{formatEuros(share.amountCents)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      </div>

      <section className="card" aria-labelledby={`${id}-shifts`}>
        <h2 id={`${id}-shifts`}>{fr.stand.shifts}</h2>
        {stand.uncoveredSlots.length > 0 ? (
          <div className="notice notice--error" data-testid="stand-uncovered">
            <strong>{fr.stand.uncovered}&nbsp;:</strong>
            <ul>
              {stand.uncoveredSlots.map((slot) => (
                <li key={slot.startsAt}>
                  {formatDay(slot.startsAt)} {formatTime(slot.startsAt)} – {formatTime(slot.endsAt)}
                </li>
              ))}
            </ul>
          </div>
        ) : understaffed > 0 ? (
          // Every hour has a shift, but not every shift its people: « covered » alone would contradict their badges.
          <p className="notice" data-testid="stand-understaffed">
            {fr.stand.coveredButUnderstaffed(understaffed)}
          </p>
        ) : (
          <p className="notice notice--success">{fr.stand.allCovered}</p>
        )}
        {stand.shifts.length === 0 ? <p className="muted">{fr.stand.noShifts}</p> : null}
        {canChange ? <AddShift stand={stand} /> : null}
        <div className="shift-grid" data-testid="stand-shift-grid">
          {days.map((day) => (
            <div key={day} className="shift-grid__day">
              <h3>{day}</h3>
              <ul>
                {stand.shifts
                  .filter((shift) => dayOf(shift.startsAt) === day)
                  .map((shift) => (
                    <ShiftCell key={shift.id} shift={shift} viewerId={viewerId} canTake={isParticipant} canChange={canChange} />
                  ))}
              </ul>
            </div>
          ))}
        </div>
      </section>
    </article>
  );
}

function ShiftCell({
  shift,
  viewerId,
  canTake,
  canChange,
}: {
  shift: Stand['shifts'][number];
  viewerId: string | null;
  canTake: boolean;
  canChange: boolean;
}) {
  const [assignState, assign] = useMutation(ASSIGN);
  const [unassignState, unassign] = useMutation(UNASSIGN);
  const [problem, setProblem] = useState<string | null>(null);
  const busy = assignState.fetching || unassignState.fetching;
  const mine = shift.assignments.some((assignment) => assignment.member.id === viewerId);

  async function toggle() {
    if (busy || !viewerId) return;
    setProblem(null);
    const variables = { shiftId: shift.id, memberId: viewerId };
    const result = mine ? await unassign(variables) : await assign(variables);
    const payload = result.data ? Object.values(result.data)[0] : null;
    if (!payload?.__typename.endsWith('Success')) setProblem(messageOf(payload, result.error));
  }

  return (
    <li className={`shift${shift.isUnderstaffed ? ' shift--understaffed' : ''}`} data-understaffed={shift.isUnderstaffed}>
      <strong>
        {formatTime(shift.startsAt)} – {formatTime(shift.endsAt)}
      </strong>{' '}
      <span>{fr.stand.shiftStaff(shift.staffCount, shift.minimumStaff)}</span>
      {shift.isUnderstaffed ? <span className="badge badge--warning">{fr.stand.understaffed}</span> : null}
      <span className="muted shift__people">
        {shift.assignments.map((assignment) => assignment.member.displayName).join(', ') || fr.common.nobody}
      </span>
      {canTake ? (
        <button type="button" className="button button--small" aria-disabled={busy} onClick={toggle}>
          {mine ? fr.stand.release : fr.stand.take}
        </button>
      ) : null}
      {canChange ? (
        <RemoveShift
          shiftId={shift.id}
          when={`${formatDay(shift.startsAt)} ${formatTime(shift.startsAt)} – ${formatTime(shift.endsAt)}`}
        />
      ) : null}
      {problem ? <Notice tone="error">{problem}</Notice> : null}
    </li>
  );
}
