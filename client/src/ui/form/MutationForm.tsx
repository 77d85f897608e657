import { type FormEvent, type ReactNode, useId, useMemo, useRef, useState } from 'react';
import { type AnyVariables, type DocumentInput, type OperationResult, useMutation } from 'urql';
import { type ApiErrorPayload, type FormErrors, NO_ERRORS, toFormErrors } from '../../errors';
import { fr } from '../../i18n/fr';
import { FieldError } from '../FieldError';
import { Notice } from '../Notice';
import { type ConfirmOptions, useConfirm } from './ConfirmDialog';
import {
  boundHint,
  emptyValue,
  type FieldSpec,
  fieldPaths,
  initialValues,
  isShown,
  optionsOf,
  toInput,
  type Value,
  type Values,
} from './fields';
import { inputTypeOf, withServerLimits } from './limits';

/** The root field's payload of a mutation result: its `…Success` member or a typed error. */
export type Payload = ApiErrorPayload & { data?: unknown };

/** The payload of a mutation's single root field, or null when the server sent none (transport error). */
export function payloadOf(result: OperationResult): Payload | null {
  const data = result.data as Record<string, unknown> | undefined;
  if (!data) return null;
  const value = Object.values(data)[0];
  return value && typeof value === 'object' ? (value as Payload) : null;
}

/** True when a mutation answered its success type (or null, for those whose success carries nothing). */
export function succeeded(result: OperationResult): boolean {
  if (!result.data) return false;
  const payload = payloadOf(result);
  return payload === null || payload.__typename.endsWith('Success');
}

// biome-ignore lint/suspicious/noExplicitAny: the form builds the input from its fields; the server checks it
type AnyMutation = DocumentInput<any, any>;

export interface MutationFormProps {
  mutation: AnyMutation;
  fields: readonly FieldSpec[];
  /** Values to start from (an edit form's current values); the rest start empty. */
  initial?: Values;
  /** Input fields that are not typed (the IDs of what the form changes). */
  fixed?: Record<string, unknown>;
  /** The mutation's variables for an input; `{ input }` by default. */
  variables?: (input: Record<string, unknown>) => AnyVariables;
  submitLabel: string;
  /** Asked before sending, for what cannot be undone. */
  confirm?: ConfirmOptions | ((values: Values) => ConfirmOptions | null);
  /** Said once the server accepted; the form is emptied unless it edits something (`keepValues`). */
  successMessage?: string;
  keepValues?: boolean;
  onSuccess?: (payload: Payload | null) => void;
  onCancel?: () => void;
  testId: string;
  /** Shown above the fields. */
  intro?: ReactNode;
  /** Shown under the fields, with the values: running totals and the like. */
  footer?: (values: Values) => ReactNode;
  /** Called as values change, to derive other values (e.g. copy a total). */
  onChange?: (values: Values) => Values;
}

/**
 * A form for one mutation, built from its fields: labels, hints, client-side checks of what is required, and the
 * server's typed errors next to the field they name (a rule's French sentence, each validation issue), with the
 * rest above the form. Euros, percents and Paris times are typed as people write them and sent as the API wants.
 */
export function MutationForm(props: MutationFormProps) {
  const { testId } = props;
  // Text lengths as the server bounds them, never a number kept by hand (ui/form/limits.ts).
  const fields = useMemo(() => withServerLimits(props.fields, inputTypeOf(props.mutation)), [props.fields, props.mutation]);
  const id = useId();
  const [values, setValues] = useState<Values>(() => initialValues(fields, props.initial));
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [done, setDone] = useState<string | null>(null);
  const [{ fetching }, run] = useMutation(props.mutation);
  const { ask, dialog } = useConfirm();
  const formRef = useRef<HTMLFormElement>(null);

  const update = (next: Values) => setValues(props.onChange ? props.onChange(next) : next);

  function focusFirst(next: FormErrors) {
    const paths = fieldPaths(fields, values);
    const first = paths.find((path) => next.fields[path]);
    const target = first ? formRef.current?.querySelector<HTMLElement>(`[name="${CSS.escape(first)}"]`) : null;
    (target ?? formRef.current?.querySelector<HTMLElement>('[data-form-summary]'))?.focus();
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (fetching) return;
    setDone(null);
    const { input, errors: local } = toInput(fields, values);
    if (Object.keys(local).length > 0) {
      const next = { fields: local, general: null };
      setErrors(next);
      focusFirst(next);
      return;
    }
    const confirm = typeof props.confirm === 'function' ? props.confirm(values) : props.confirm;
    if (confirm && !(await ask(confirm))) return;
    const merged = { ...props.fixed, ...input };
    const result = await run(props.variables ? props.variables(merged) : { input: merged });
    if (succeeded(result)) {
      setErrors(NO_ERRORS);
      if (!props.keepValues) setValues(initialValues(fields, props.initial));
      if (props.successMessage) setDone(props.successMessage);
      props.onSuccess?.(payloadOf(result));
      return;
    }
    const payload = payloadOf(result);
    const known = new Set(fieldPaths(fields, values));
    const next = payload
      ? toFormErrors(payload, (path) => known.has(path))
      : { fields: {}, general: result.error ? fr.errors.network : fr.errors.unexpected };
    setErrors(next);
    focusFirst(next);
  }

  const hasFieldErrors = Object.keys(errors.fields).length > 0;
  return (
    <form ref={formRef} className="mform" onSubmit={handleSubmit} noValidate data-testid={testId}>
      {props.intro}
      <div data-form-summary tabIndex={-1}>
        {errors.general || hasFieldErrors ? <Notice tone="error">{errors.general ?? fr.create.errorsSummary}</Notice> : null}
      </div>
      <div className="mform__grid">
        <Fields fields={fields} values={values} onChange={update} errors={errors.fields} formId={id} prefix="" />
      </div>
      {props.footer?.(values)}
      <div className="row-actions">
        <button type="submit" className="button button--primary" aria-disabled={fetching} data-testid={`${testId}-submit`}>
          {fetching ? fr.common.saving : props.submitLabel}
        </button>
        {props.onCancel ? (
          <button type="button" className="button" onClick={props.onCancel}>
            {fr.common.cancel}
          </button>
        ) : null}
      </div>
      {done ? <Notice tone="success">{done}</Notice> : null}
      {dialog}
    </form>
  );
}

interface FieldsProps {
  fields: readonly FieldSpec[];
  values: Values;
  onChange(values: Values): void;
  errors: Record<string, string>;
  formId: string;
  prefix: string;
}

function Fields({ fields, values, onChange, errors, formId, prefix }: FieldsProps) {
  return (
    <>
      {fields.map((field) =>
        isShown(field, values) ? (
          <Field
            key={field.name}
            field={field}
            value={values[field.name] ?? emptyValue(field)}
            onChange={(value) => onChange({ ...values, [field.name]: value })}
            siblings={values}
            errors={errors}
            formId={formId}
            path={`${prefix}${field.name}`}
          />
        ) : null,
      )}
    </>
  );
}

interface FieldProps {
  field: FieldSpec;
  value: Value;
  /** The values of the form (or row) the field is in. */
  siblings: Values;
  onChange(value: Value): void;
  errors: Record<string, string>;
  formId: string;
  path: string;
}

const domId = (formId: string, path: string) => `${formId}-${path.replace(/\./g, '-')}`;

function Field({ field, value, siblings, onChange, errors, formId, path }: FieldProps) {
  const inputId = domId(formId, path);
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const error = errors[path];
  const hintText = field.hint ?? boundHint(field);
  const describedBy = [hintText ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id: inputId,
    name: path,
    'aria-invalid': error ? (true as const) : undefined,
    'aria-describedby': describedBy,
    'aria-required': field.required ? (true as const) : undefined,
  };
  const text = typeof value === 'string' ? value : '';
  const className = `field${field.wide || field.kind === 'textarea' || field.kind === 'rows' ? ' field--wide' : ''}`;
  const hint = hintText ? (
    <p id={hintId} className="hint">
      {hintText}
    </p>
  ) : null;

  if (field.kind === 'checkbox') {
    return (
      <div className={`${className} field--inline`}>
        <input {...common} type="checkbox" checked={value === true} onChange={(event) => onChange(event.currentTarget.checked)} />
        <label htmlFor={inputId}>{field.label}</label>
        {hint}
        <FieldError id={errorId} message={error} />
      </div>
    );
  }

  if (field.kind === 'checkboxes') {
    const chosen = Array.isArray(value) ? (value as string[]) : [];
    return (
      <fieldset className={`${className} choices`} aria-describedby={describedBy} aria-invalid={error ? true : undefined}>
        <legend>{field.label}</legend>
        {hint}
        <div className="choices__list">
          {field.options.map((option) => (
            <label key={option.value} className="choice">
              <input
                type="checkbox"
                name={path}
                value={option.value}
                checked={chosen.includes(option.value)}
                onChange={(event) =>
                  onChange(
                    event.currentTarget.checked
                      ? [...chosen, option.value]
                      : chosen.filter((candidate) => candidate !== option.value),
                  )
                }
              />
              {option.label}
            </label>
          ))}
        </div>
        <FieldError id={errorId} message={error} />
      </fieldset>
    );
  }

  if (field.kind === 'rows') {
    const rows = Array.isArray(value) ? (value as Values[]) : [];
    return (
      <fieldset
        className={`${className} rows`}
        name={path}
        aria-describedby={describedBy}
        aria-invalid={error ? true : undefined}
        tabIndex={-1}
      >
        <legend>{field.label}</legend>
        {hint}
        <FieldError id={errorId} message={error} />
        {rows.map((row, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity before they are saved; their order is theirs
          <div key={index} className="rows__row" data-testid={`${path}-row`}>
            <Fields
              fields={field.fields}
              values={row}
              onChange={(next) => onChange(rows.map((current, at) => (at === index ? next : current)))}
              errors={errors}
              formId={formId}
              prefix={`${path}.${index}.`}
            />
            <button type="button" className="button button--small" onClick={() => onChange(rows.filter((_, at) => at !== index))}>
              {field.removeLabel}
            </button>
            <FieldError id={`${errorId}-${index}`} message={errors[`${path}.${index}`]} />
          </div>
        ))}
        <button
          type="button"
          className="button button--small"
          data-testid={`${path}-add`}
          onClick={() => onChange([...rows, { ...field.blank }])}
        >
          {field.addLabel}
        </button>
      </fieldset>
    );
  }

  let control: ReactNode;
  switch (field.kind) {
    case 'textarea':
      control = (
        <textarea
          {...common}
          rows={4}
          maxLength={field.maxLength}
          value={text}
          onChange={(event) => onChange(event.currentTarget.value)}
        />
      );
      break;
    case 'select':
      control = (
        <select {...common} value={text} onChange={(event) => onChange(event.currentTarget.value)}>
          {/* Nothing is chosen for the person: a required choice left empty is said so before sending. */}
          <option value="">{field.empty ?? fr.common.choose}</option>
          {optionsOf(field, siblings).map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      );
      break;
    default: {
      const numeric = ['money', 'percent', 'int', 'decimal', 'ints'].includes(field.kind);
      const type =
        field.kind === 'date'
          ? 'date'
          : field.kind === 'time'
            ? 'time'
            : field.kind === 'datetime'
              ? 'datetime-local'
              : field.kind === 'url'
                ? 'url'
                : field.kind === 'email'
                  ? 'email'
                  : 'text';
      control = (
        <span className={field.kind === 'money' || field.kind === 'percent' ? 'unit-input' : undefined}>
          <input
            {...common}
            type={type}
            inputMode={numeric ? (field.kind === 'int' || field.kind === 'ints' ? 'numeric' : 'decimal') : undefined}
            maxLength={'maxLength' in field ? field.maxLength : undefined}
            placeholder={'placeholder' in field ? field.placeholder : undefined}
            autoComplete="off"
            value={text}
            onChange={(event) => onChange(event.currentTarget.value)}
          />
          {field.kind === 'money' ? <span className="unit-input__unit">€</span> : null}
          {field.kind === 'percent' ? <span className="unit-input__unit">%</span> : null}
        </span>
      );
    }
  }
  return (
    <div className={className}>
      <label htmlFor={inputId}>
        {field.label}
        {field.required ? <span className="required"> {fr.common.requiredMark}</span> : null}
      </label>
      {control}
      {hint}
      <FieldError id={errorId} message={error} />
    </div>
  );
}
