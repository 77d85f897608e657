import { type FormEvent, useId, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { type FormErrors, MUTATION_ERROR, NO_ERRORS, toFormErrors } from '../../errors';
import { graphql, type VariablesOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { FieldError } from '../../ui/FieldError';
import { useConfirm } from '../../ui/form/ConfirmDialog';
import { formatEuros, formatShare } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { useDraft } from '../../ui/useDraft';
import { useViewerChoice } from '../../ui/useMembers';

const COLLECTIVE_MEMBERS = graphql(`
  query DealCollectiveMembers($slug: String!) {
    collective(slug: $slug) {
      id
      memberships(first: 200) {
        edges {
          node {
            id
            status
            member {
              id
              displayName
            }
          }
        }
      }
    }
  }
`);

/**
 * A deal's partners and the totals over them: what the deal page shows and what setting the partners must return
 * so that the page (through the cache) shows the new rows at once.
 */
export const DEAL_PARTNERS = graphql(`
  fragment DealPartners on Deal @_unmask {
    groupForm
    totalAmountCents
    shareTotal
    amountTotal
    lead {
      id
      displayName
    }
    partners {
      id
      displayName
      companyName
      siret
      isLead
      scopeOfWork
      shareBasisPoints
      amountCents
      status
      member {
        id
      }
    }
  }
`);

const SET_PARTNERS = graphql(
  `
  mutation SetDealPartners($input: SetDealPartnersInput!) {
    setDealPartners(input: $input) {
      __typename
      ... on MutationSetDealPartnersSuccess {
        data {
          id
          ...DealPartners
        }
      }
      ...MutationError
    }
  }
`,
  [DEAL_PARTNERS, MUTATION_ERROR],
);

type Input = VariablesOf<typeof SET_PARTNERS>['input'];
type GroupForm = NonNullable<Input['groupForm']>;
const GROUP_FORMS: GroupForm[] = ['NONE', 'JOINT', 'JOINT_WITH_JOINTLY_LIABLE_LEAD', 'SEVERAL'];

export interface PartnerRow {
  kind: 'member' | 'company';
  memberId: string;
  companyName: string;
  siret: string;
  scopeOfWork: string;
  share: string;
  amount: string;
  isLead: boolean;
}

interface Draft {
  groupForm: GroupForm;
  total: string;
  rows: PartnerRow[];
}

/** « 12,5 » or « 12.5 » to 12.5; NaN when it is not a number. */
export function parseDecimal(text: string): number {
  const normalised = text.replace(/\s|\u00a0|\u202f/g, '').replace(',', '.');
  return normalised === '' ? 0 : Number(normalised);
}

const toFixedFr = (value: number) => String(value).replace('.', ',');

interface EditorProps {
  deal: {
    id: string;
    groupForm: string;
    totalAmountCents: number;
    collective: { slug: string };
    partners: readonly {
      member: { id: string } | null;
      companyName: string | null;
      siret: string | null;
      scopeOfWork: string | null;
      shareBasisPoints: number;
      amountCents: number;
      isLead: boolean;
    }[];
  };
  onDone(): void;
}

/** Replaces a deal's partners at once, with running totals as you type and the server's errors next to each cell. */
export function DealPartnersEditor({ deal, onDone }: EditorProps) {
  const id = useId();
  const initial: Draft = {
    groupForm: GROUP_FORMS.find((form) => form === deal.groupForm) ?? 'NONE',
    total: toFixedFr(deal.totalAmountCents / 100),
    rows: deal.partners.map((partner) => ({
      kind: partner.member ? 'member' : 'company',
      memberId: partner.member?.id ?? '',
      companyName: partner.companyName ?? '',
      siret: partner.siret ?? '',
      scopeOfWork: partner.scopeOfWork ?? '',
      share: toFixedFr(partner.shareBasisPoints / 100),
      amount: toFixedFr(partner.amountCents / 100),
      isLead: partner.isLead,
    })),
  };
  const [draft, setDraft, clearDraft] = useDraft<Draft>(`deal-partners:${deal.id}`, initial);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [{ fetching }, save] = useMutation(SET_PARTNERS);
  const [{ data: membersData }] = useQuery({ query: COLLECTIVE_MEMBERS, variables: { slug: deal.collective.slug } });
  const formRef = useRef<HTMLFormElement>(null);
  const members =
    membersData?.collective?.memberships.edges.filter((edge) => edge.node.status === 'ACTIVE').map((edge) => edge.node.member) ??
    [];

  const viewer = useViewerChoice();
  const { ask, dialog } = useConfirm();
  // Running totals of what parses (a cell that does not is marked when saving): never « NaN ».
  const sumOf = (cells: string[]) => cells.reduce((sum, cell) => sum + (Math.round(parseDecimal(cell) * 100) || 0), 0);
  const shareTotal = sumOf(draft.rows.map((row) => row.share));
  const amountTotal = sumOf(draft.rows.map((row) => row.amount));
  const totalCents = sumOf([draft.total]);

  const setRow = (index: number, patch: Partial<PartnerRow>) =>
    setDraft((current) => ({
      ...current,
      rows: current.rows.map((row, at) => {
        if (patch.isLead && at !== index) return { ...row, isLead: false };
        return at === index ? { ...row, ...patch } : row;
      }),
    }));

  const cellId = (index: number, field: string) => `${id}-p${index}-${field}`;
  const errorOf = (index: number, field: string) => errors.fields[`partners[${index}].${field}`];
  const described = (index: number, field: string) =>
    errorOf(index, field) ? { 'aria-invalid': true as const, 'aria-describedby': `${cellId(index, field)}-error` } : {};

  /** The cells that are no number (« abc »), by their input's field path: refused here, nothing sent. */
  function notNumbers(): Record<string, string> {
    const fields: Record<string, string> = {};
    if (Number.isNaN(parseDecimal(draft.total))) fields.totalAmountCents = fr.errors.notANumber;
    for (const [index, row] of draft.rows.entries()) {
      if (Number.isNaN(parseDecimal(row.share))) fields[`partners[${index}].shareBasisPoints`] = fr.errors.notANumber;
      if (Number.isNaN(parseDecimal(row.amount))) fields[`partners[${index}].amountCents`] = fr.errors.notANumber;
    }
    return fields;
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (fetching) return;
    const local = notNumbers();
    if (Object.keys(local).length > 0) {
      showErrors({ fields: local, general: null });
      return;
    }
    // The lead reads every restricted section, and only the lead hands the role back: asked before giving it away.
    const wasLead = deal.partners.some((partner) => partner.isLead && partner.member?.id === viewer?.id);
    const staysLead = draft.rows.some((row) => row.isLead && row.kind === 'member' && row.memberId === viewer?.id);
    if (viewer && wasLead && !staysLead) {
      const { title, body, confirm } = fr.deal.handOverLead;
      if (!(await ask({ title, body, confirmLabel: confirm, danger: true }))) return;
    }
    const input: Input = {
      dealId: deal.id,
      groupForm: draft.groupForm,
      totalAmountCents: totalCents,
      partners: draft.rows.map((row) => ({
        memberId: row.kind === 'member' ? row.memberId || null : null,
        companyName: row.kind === 'company' ? row.companyName.trim() || null : null,
        siret: row.kind === 'company' ? row.siret.trim() || null : null,
        scopeOfWork: row.scopeOfWork.trim() || null,
        shareBasisPoints: Math.round(parseDecimal(row.share) * 100),
        amountCents: Math.round(parseDecimal(row.amount) * 100),
        isLead: row.isLead,
      })),
    };
    const result = await save({ input });
    const payload = result.data?.setDealPartners;
    if (payload?.__typename === 'MutationSetDealPartnersSuccess') {
      clearDraft();
      setErrors(NO_ERRORS);
      onDone();
      return;
    }
    showErrors(payload ? toFormErrors(payload) : { fields: {}, general: fr.errors.network });
  }

  /** Shows `next` (errors about the list as a whole above the table) and focuses the first cell in error. */
  function showErrors(next: FormErrors) {
    const general = [next.general, next.fields.partners].filter(Boolean).join(' ') || null;
    setErrors({ fields: next.fields, general });
    const first = Object.keys(next.fields).find((key) => key !== 'partners');
    const match = first ? /^partners\[(\d+)\]\.(\w+)$/.exec(first) : null;
    const target = match ? cellId(Number(match[1]), match[2] ?? '') : first ? `${id}-${first}` : `${id}-summary`;
    formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(target)}`)?.focus();
  }

  return (
    <form ref={formRef} className="stack" onSubmit={handleSubmit} noValidate data-testid="deal-partners-form">
      {dialog}
      <div id={`${id}-summary`} tabIndex={-1}>
        {errors.general ? <Notice tone="error">{errors.general}</Notice> : null}
      </div>
      <div className="filters">
        <div className="field">
          <label htmlFor={`${id}-groupForm`}>{fr.deal.groupForm}</label>
          <select
            id={`${id}-groupForm`}
            value={draft.groupForm}
            onChange={(event) =>
              setDraft((current) => ({
                ...current,
                groupForm: GROUP_FORMS.find((form) => form === event.currentTarget.value) ?? 'NONE',
              }))
            }
          >
            {GROUP_FORMS.map((form) => (
              <option key={form} value={form}>
                {label(fr.deal.groupForms, form)}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-groupForm-error`} message={errors.fields.groupForm} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-totalAmountCents`}>{fr.deal.total} (€)</label>
          <input
            id={`${id}-totalAmountCents`}
            inputMode="decimal"
            value={draft.total}
            onChange={(event) => setDraft((current) => ({ ...current, total: event.currentTarget.value }))}
            aria-invalid={errors.fields.totalAmountCents ? true : undefined}
            aria-describedby={errors.fields.totalAmountCents ? `${id}-totalAmountCents-error` : undefined}
          />
          <FieldError id={`${id}-totalAmountCents-error`} message={errors.fields.totalAmountCents} />
        </div>
      </div>

      <fieldset className="partner-rows">
        <legend>{fr.deal.partners}</legend>
        {draft.rows.map((row, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity until saved; their order is the partner order
          <div key={index} className="partner-row card">
            <div className="field">
              <label htmlFor={cellId(index, 'kind')}>{fr.deal.partnerKind}</label>
              <select
                id={cellId(index, 'kind')}
                value={row.kind}
                onChange={(event) => setRow(index, { kind: event.currentTarget.value === 'company' ? 'company' : 'member' })}
              >
                <option value="member">{fr.deal.kindMember}</option>
                <option value="company">{fr.deal.kindCompany}</option>
              </select>
            </div>
            {row.kind === 'member' ? (
              <div className="field">
                <label htmlFor={cellId(index, 'memberId')}>{fr.deal.member}</label>
                <select
                  id={cellId(index, 'memberId')}
                  value={row.memberId}
                  onChange={(event) => setRow(index, { memberId: event.currentTarget.value })}
                  {...described(index, 'memberId')}
                >
                  <option value="">{fr.deal.chooseMember}</option>
                  {members.map((member) => (
                    <option key={member.id} value={member.id}>
                      {member.displayName}
                    </option>
                  ))}
                </select>
                <FieldError id={`${cellId(index, 'memberId')}-error`} message={errorOf(index, 'memberId')} />
              </div>
            ) : (
              <>
                <div className="field">
                  <label htmlFor={cellId(index, 'companyName')}>{fr.deal.companyName}</label>
                  <input
                    id={cellId(index, 'companyName')}
                    value={row.companyName}
                    onChange={(event) => setRow(index, { companyName: event.currentTarget.value })}
                    {...described(index, 'companyName')}
                  />
                  <FieldError id={`${cellId(index, 'companyName')}-error`} message={errorOf(index, 'companyName')} />
                </div>
                <div className="field">
                  <label htmlFor={cellId(index, 'siret')}>{fr.deal.siret}</label>
                  <input
                    id={cellId(index, 'siret')}
                    inputMode="numeric"
                    value={row.siret}
                    onChange={(event) => setRow(index, { siret: event.currentTarget.value })}
                    {...described(index, 'siret')}
                  />
                  <FieldError id={`${cellId(index, 'siret')}-error`} message={errorOf(index, 'siret')} />
                </div>
              </>
            )}
            <div className="field field--wide">
              <label htmlFor={cellId(index, 'scopeOfWork')}>{fr.deal.scope}</label>
              <input
                id={cellId(index, 'scopeOfWork')}
                value={row.scopeOfWork}
                onChange={(event) => setRow(index, { scopeOfWork: event.currentTarget.value })}
                {...described(index, 'scopeOfWork')}
              />
              <FieldError id={`${cellId(index, 'scopeOfWork')}-error`} message={errorOf(index, 'scopeOfWork')} />
            </div>
            <div className="field">
              <label htmlFor={cellId(index, 'shareBasisPoints')}>{fr.deal.share} (%)</label>
              <input
                id={cellId(index, 'shareBasisPoints')}
                inputMode="decimal"
                value={row.share}
                onChange={(event) => setRow(index, { share: event.currentTarget.value })}
                {...described(index, 'shareBasisPoints')}
              />
              <FieldError id={`${cellId(index, 'shareBasisPoints')}-error`} message={errorOf(index, 'shareBasisPoints')} />
            </div>
            <div className="field">
              <label htmlFor={cellId(index, 'amountCents')}>{fr.deal.amount} (€)</label>
              <input
                id={cellId(index, 'amountCents')}
                inputMode="decimal"
                value={row.amount}
                onChange={(event) => setRow(index, { amount: event.currentTarget.value })}
                {...described(index, 'amountCents')}
              />
              <FieldError id={`${cellId(index, 'amountCents')}-error`} message={errorOf(index, 'amountCents')} />
            </div>
            <div className="field field--inline">
              <input
                id={cellId(index, 'isLead')}
                type="radio"
                name={`${id}-lead`}
                checked={row.isLead}
                onChange={() => setRow(index, { isLead: true })}
                {...described(index, 'isLead')}
              />
              <label htmlFor={cellId(index, 'isLead')}>{fr.common.lead}</label>
              <FieldError id={`${cellId(index, 'isLead')}-error`} message={errorOf(index, 'isLead')} />
            </div>
            <button
              type="button"
              className="button button--small"
              onClick={() => setDraft((current) => ({ ...current, rows: current.rows.filter((_, at) => at !== index) }))}
            >
              {fr.deal.removePartner}
            </button>
            <FieldError id={`${cellId(index, 'row')}-error`} message={errors.fields[`partners[${index}]`]} />
          </div>
        ))}
        <button
          type="button"
          className="button"
          onClick={() =>
            setDraft((current) => ({
              ...current,
              rows: [
                ...current.rows,
                {
                  kind: 'member',
                  memberId: '',
                  companyName: '',
                  siret: '',
                  scopeOfWork: '',
                  share: '0',
                  amount: '0',
                  isLead: false,
                },
              ],
            }))
          }
        >
          {fr.deal.addPartner}
        </button>
      </fieldset>

      <p
        role="status"
        data-testid="deal-running-total"
        className={shareTotal === 10_000 && amountTotal === totalCents ? '' : 'field-error'}
      >
        {fr.deal.running(formatShare(shareTotal), formatEuros(amountTotal), formatEuros(totalCents))}
      </p>
      <div className="row-actions">
        <button type="submit" className="button button--primary" aria-disabled={fetching}>
          {fetching ? fr.common.saving : fr.deal.savePartners}
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            clearDraft();
            onDone();
          }}
        >
          {fr.common.cancel}
        </button>
      </div>
    </form>
  );
}
