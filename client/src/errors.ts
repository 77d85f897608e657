import type { CombinedError } from 'urql';
import { fr, label } from './i18n/fr';

/** A transport or GraphQL-level error, turned into a sentence for the user (domain errors come as union members). */
export function describeError(error: CombinedError): string {
  return error.networkError ? fr.errors.network : fr.errors.unexpected;
}

/** What a mutation's typed error union can carry (`... on Error`, `RuleViolationError`, `InputValidationError`). */
export interface ApiErrorPayload {
  __typename: string;
  message?: string;
  field?: string | null;
  rule?: string;
  issues?: readonly { field: string; message: string }[];
}

export interface FormErrors {
  /** Messages by input field name (`input.name` → `name`, `input.partners.0.share` → `partners.0.share`). */
  fields: Record<string, string>;
  /** A message with no field of the form to sit next to. */
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

/** `input.openness` → `openness`; other paths are kept as they are. */
export function fieldName(path: string): string {
  return path.replace(/^input\./, '');
}

/**
 * Spreads a typed API error over the form's fields: a rule violation goes to its `field`, a validation error to
 * each issue's field, and anything whose field the form does not show (`known`) becomes the general message.
 */
export function toFormErrors(payload: ApiErrorPayload, known: readonly string[] = []): FormErrors {
  const fields: Record<string, string> = {};
  const loose: string[] = [];
  const place = (path: string | null | undefined, message: string) => {
    const name = path ? fieldName(path) : '';
    if (name && (known.length === 0 || known.includes(name))) fields[name] ??= message;
    else loose.push(message);
  };
  if (payload.issues?.length) for (const issue of payload.issues) place(issue.field, issue.message);
  else place(payload.field, translated(payload));
  return { fields, general: loose.length ? loose.join(' ') : null };
}

/** The French sentence for a broken rule when the catalogue has one, else the server's message. */
function translated(payload: ApiErrorPayload): string {
  if (payload.rule && Object.hasOwn(fr.rules, payload.rule)) return label(fr.rules, payload.rule);
  if (payload.__typename === 'ForbiddenError') return fr.errors.forbidden;
  if (payload.__typename === 'NotFoundError' && !payload.field) return fr.common.notFound;
  return payload.message ?? fr.errors.unexpected;
}

/** The message of a typed error, or of a transport error, for actions that have no form field. */
export function messageOf(payload: ApiErrorPayload | null | undefined, error?: CombinedError): string {
  if (payload && (payload.message || payload.rule)) return translated(payload);
  return error ? describeError(error) : fr.errors.unexpected;
}
