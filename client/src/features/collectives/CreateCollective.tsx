import { type FormEvent, useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { type FormErrors, MUTATION_ERROR, NO_ERRORS, toFormErrors } from '../../errors';
import { graphql, type VariablesOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { INPUT_MAX_LENGTH } from '../../input-limits';
import { FieldError } from '../../ui/FieldError';
import { Notice } from '../../ui/Notice';
import { useDraft } from '../../ui/useDraft';
import { usePageTitle } from '../../ui/usePageTitle';

/** A collective's name has 2 to 120 characters once trimmed (the server's `CreateCollectiveInput.name`). */
const NAME_MIN_LENGTH = 2;

const CREATE_COLLECTIVE = graphql(
  `
  mutation CreateCollective($input: CreateCollectiveInput!) {
    createCollective(input: $input) {
      __typename
      ... on MutationCreateCollectiveSuccess {
        data {
          id
          slug
          name
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

type Input = VariablesOf<typeof CREATE_COLLECTIVE>['input'];
type Kind = Input['kind'];
type Horizon = NonNullable<Input['horizon']>;
type Openness = NonNullable<Input['openness']>;
type Sector = NonNullable<Input['sector']>;

const KINDS: Kind[] = ['COMMONS', 'SECTOR', 'BUSINESS'];
const HORIZONS: Horizon[] = ['ONE_OFF', 'LONG_TERM'];
const OPENNESS: Openness[] = ['OPEN', 'ON_REQUEST', 'CLOSED'];
const SECTORS = Object.keys(fr.sectors) as Sector[];
const FIELDS = ['name', 'kind', 'horizon', 'openness', 'sector', 'purpose', 'objective', 'targetDate'] as const;
type Field = (typeof FIELDS)[number];

interface Draft {
  name: string;
  kind: Kind;
  horizon: Horizon | '';
  openness: Openness;
  sector: Sector | '';
  purpose: string;
  objective: string;
  targetDate: string;
}

const EMPTY: Draft = {
  name: '',
  kind: 'COMMONS',
  horizon: '',
  openness: 'OPEN',
  sector: '',
  purpose: '',
  objective: '',
  targetDate: '',
};

/** Sends only what applies to the chosen kind, so a hidden field never breaks a rule the user cannot see. */
export function toInput(draft: Draft): Input {
  const business = draft.kind === 'BUSINESS';
  return {
    name: draft.name.trim(),
    kind: draft.kind,
    openness: draft.openness,
    purpose: draft.purpose.trim(),
    horizon: business && draft.horizon ? draft.horizon : null,
    sector: draft.kind === 'SECTOR' && draft.sector ? draft.sector : null,
    objective: business && draft.objective.trim() ? draft.objective.trim() : null,
    targetDate: business && draft.horizon !== 'LONG_TERM' && draft.targetDate ? draft.targetDate : null,
  };
}

export function CreateCollective() {
  const id = useId();
  usePageTitle(fr.create.title);
  const navigate = useNavigate();
  const [draft, setDraft, clearDraft] = useDraft<Draft>('create-collective', EMPTY);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [{ fetching }, create] = useMutation(CREATE_COLLECTIVE);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  const fieldId = (field: Field) => `${id}-${field}`;
  const errorId = (field: Field) => `${id}-${field}-error`;
  const invalid = (field: Field) =>
    errors.fields[field] ? { 'aria-invalid': true as const, 'aria-describedby': errorId(field) } : {};
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((current) => ({ ...current, [key]: value }));

  function focusFirstError(next: FormErrors) {
    const first = FIELDS.find((field) => next.fields[field]);
    if (first) formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(fieldId(first))}`)?.focus();
    else summaryRef.current?.focus();
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (fetching) return;
    const missing: Record<string, string> = {};
    // The server's bounds (schema/collectives.ts): a name of one letter is too short, not missing.
    if (!draft.name.trim()) missing.name = fr.create.required;
    else if (draft.name.trim().length < NAME_MIN_LENGTH) missing.name = fr.issues.TOO_SHORT(NAME_MIN_LENGTH);
    if (!draft.purpose.trim()) missing.purpose = fr.create.required;
    if (Object.keys(missing).length > 0) {
      const next = { fields: missing, general: null };
      setErrors(next);
      focusFirstError(next);
      return;
    }
    setErrors(NO_ERRORS);
    const result = await create({ input: toInput(draft) });
    const payload = result.data?.createCollective;
    if (payload?.__typename === 'MutationCreateCollectiveSuccess') {
      clearDraft();
      navigate(`/collectifs/${payload.data.slug}`);
      return;
    }
    const next = payload
      ? toFormErrors(payload, FIELDS)
      : { fields: {}, general: result.error ? fr.errors.network : fr.errors.unexpected };
    setErrors(next);
    focusFirstError(next);
  }

  const business = draft.kind === 'BUSINESS';
  const hasErrors = Object.keys(errors.fields).length > 0 || errors.general;

  return (
    <section className="card form-page" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`} tabIndex={-1}>
        {fr.create.title}
      </h1>
      <p className="muted">{fr.create.intro}</p>
      <div ref={summaryRef} tabIndex={-1}>
        {hasErrors ? <Notice tone="error">{errors.general ?? fr.create.errorsSummary}</Notice> : null}
      </div>
      <form ref={formRef} className="stack" onSubmit={handleSubmit} noValidate data-testid="create-collective-form">
        <div className="field">
          <label htmlFor={fieldId('name')}>{fr.create.name}</label>
          <input
            id={fieldId('name')}
            name="name"
            required
            minLength={NAME_MIN_LENGTH}
            maxLength={INPUT_MAX_LENGTH['CreateCollectiveInput.name']}
            value={draft.name}
            onChange={(event) => set('name', event.currentTarget.value)}
            {...invalid('name')}
          />
          <FieldError id={errorId('name')} message={errors.fields.name} />
        </div>

        <div className="field">
          <label htmlFor={fieldId('kind')}>{fr.create.kind}</label>
          <select
            id={fieldId('kind')}
            name="kind"
            value={draft.kind}
            onChange={(event) => set('kind', KINDS.find((kind) => kind === event.currentTarget.value) ?? 'COMMONS')}
            {...invalid('kind')}
          >
            {KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {fr.kinds[kind]}
              </option>
            ))}
          </select>
          <FieldError id={errorId('kind')} message={errors.fields.kind} />
        </div>

        {business ? (
          <div className="field">
            <label htmlFor={fieldId('horizon')}>{fr.create.horizon}</label>
            <select
              id={fieldId('horizon')}
              name="horizon"
              value={draft.horizon}
              aria-describedby={`${id}-horizon-hint${errors.fields.horizon ? ` ${errorId('horizon')}` : ''}`}
              aria-invalid={errors.fields.horizon ? true : undefined}
              onChange={(event) => set('horizon', HORIZONS.find((horizon) => horizon === event.currentTarget.value) ?? '')}
            >
              <option value="">{fr.create.chooseHorizon}</option>
              {HORIZONS.map((horizon) => (
                <option key={horizon} value={horizon}>
                  {label(fr.horizons, horizon)}
                </option>
              ))}
            </select>
            <p id={`${id}-horizon-hint`} className="hint">
              {fr.create.horizonHint}
            </p>
            <FieldError id={errorId('horizon')} message={errors.fields.horizon} />
          </div>
        ) : null}

        {draft.kind === 'SECTOR' ? (
          <div className="field">
            <label htmlFor={fieldId('sector')}>{fr.create.sector}</label>
            <select
              id={fieldId('sector')}
              name="sector"
              value={draft.sector}
              onChange={(event) => set('sector', SECTORS.find((sector) => sector === event.currentTarget.value) ?? '')}
              {...invalid('sector')}
            >
              <option value="">{fr.create.chooseSector}</option>
              {SECTORS.map((sector) => (
                <option key={sector} value={sector}>
                  {label(fr.sectors, sector)}
                </option>
              ))}
            </select>
            <FieldError id={errorId('sector')} message={errors.fields.sector} />
          </div>
        ) : null}

        <div className="field">
          <label htmlFor={fieldId('openness')}>{fr.create.openness}</label>
          <select
            id={fieldId('openness')}
            name="openness"
            value={draft.openness}
            aria-describedby={`${id}-openness-hint${errors.fields.openness ? ` ${errorId('openness')}` : ''}`}
            aria-invalid={errors.fields.openness ? true : undefined}
            onChange={(event) => set('openness', OPENNESS.find((openness) => openness === event.currentTarget.value) ?? 'OPEN')}
          >
            {OPENNESS.map((openness) => (
              <option key={openness} value={openness}>
                {fr.openness[openness]}
              </option>
            ))}
          </select>
          {draft.kind === 'COMMONS' ? (
            <p id={`${id}-openness-hint`} className="hint">
              {fr.create.opennessHint}
            </p>
          ) : null}
          <FieldError id={errorId('openness')} message={errors.fields.openness} />
        </div>

        <div className="field">
          <label htmlFor={fieldId('purpose')}>{fr.create.purpose}</label>
          <textarea
            id={fieldId('purpose')}
            name="purpose"
            rows={4}
            required
            maxLength={INPUT_MAX_LENGTH['CreateCollectiveInput.purpose']}
            value={draft.purpose}
            onChange={(event) => set('purpose', event.currentTarget.value)}
            {...invalid('purpose')}
          />
          <FieldError id={errorId('purpose')} message={errors.fields.purpose} />
        </div>

        {business ? (
          <>
            <div className="field">
              <label htmlFor={fieldId('objective')}>{fr.create.objective}</label>
              <textarea
                id={fieldId('objective')}
                name="objective"
                rows={2}
                maxLength={INPUT_MAX_LENGTH['CreateCollectiveInput.objective']}
                value={draft.objective}
                onChange={(event) => set('objective', event.currentTarget.value)}
                {...invalid('objective')}
              />
              <FieldError id={errorId('objective')} message={errors.fields.objective} />
            </div>
            {draft.horizon !== 'LONG_TERM' ? (
              <div className="field">
                <label htmlFor={fieldId('targetDate')}>{fr.create.targetDate}</label>
                <input
                  id={fieldId('targetDate')}
                  name="targetDate"
                  type="date"
                  value={draft.targetDate}
                  onChange={(event) => set('targetDate', event.currentTarget.value)}
                  {...invalid('targetDate')}
                />
                <FieldError id={errorId('targetDate')} message={errors.fields.targetDate} />
              </div>
            ) : null}
          </>
        ) : null}

        <p className="muted hint">{fr.create.draftKept}</p>
        <button type="submit" className="button button--primary" aria-disabled={fetching}>
          {fetching ? fr.create.submitting : fr.create.submit}
        </button>
      </form>
    </section>
  );
}
