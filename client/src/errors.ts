import type { CombinedError } from 'urql';
import { formatBounded } from '../../server/src/limits/numbers.js';
import { graphql } from './graphql';
import { fr, label } from './i18n/fr';

/**
 * What every mutation's typed error union carries, spread as `...MutationError` next to `... on <Name>Success`.
 * Unmasked: the fields read like the mutation's own.
 */
export const MUTATION_ERROR = graphql(`
  fragment MutationError on Error @_unmask {
    __typename
    message
    ... on RuleViolationError {
      field
      rule
    }
    ... on NotFoundError {
      field
    }
    ... on InputValidationError {
      issues {
        field
        message
        reason
        limit
      }
    }
  }
`);

/**
 * What the web app says of each error code the API sends (`extensions.code`): its own French, never the server's
 * words. A code not listed is an unexpected error.
 */
const MESSAGE_BY_CODE: Record<string, string> = {
  UNAVAILABLE: fr.errors.unavailable,
  // A retry (same Idempotency-Key) of a change that committed, its answer lost (server/src/transport/idempotency.ts).
  ALREADY_APPLIED: fr.errors.alreadyApplied,
  RATE_LIMITED: fr.errors.rateLimited,
  FORBIDDEN: fr.errors.forbidden,
  ACCESS_REVOKED: fr.errors.forbidden,
  UNAUTHENTICATED: fr.errors.signInAgain,
  SESSION_EXPIRED: fr.errors.signInAgain,
  SESSION_REVOKED: fr.errors.signInAgain,
  NOT_FOUND: fr.common.notFound,
  BAD_USER_INPUT: fr.errors.invalidValue,
  CONFLICT: fr.errors.conflict,
  REQUEST_ENTITY_TOO_LARGE: fr.errors.tooLarge,
};

/** A transport or GraphQL-level error, turned into a sentence for the user (domain errors come as union members). */
export function describeError(error: CombinedError): string {
  if (error.networkError) return fr.errors.network;
  const code = String(error.graphQLErrors[0]?.extensions?.code ?? '');
  return Object.hasOwn(MESSAGE_BY_CODE, code) ? (MESSAGE_BY_CODE[code] as string) : fr.errors.unexpected;
}

/** What a mutation's typed error union can carry (`... on Error`, `RuleViolationError`, `InputValidationError`). */
export interface ApiErrorPayload {
  __typename: string;
  message?: string;
  field?: string | null;
  rule?: string;
  issues?: readonly InputIssue[];
}

/** One problem the server found with one input value (`InputIssue`): what is wrong, and the bound crossed. */
export interface InputIssue {
  field: string;
  message: string;
  reason?: string | null;
  limit?: number | null;
}

export interface FormErrors {
  /** Messages by input field path (`input.name` → `name`, `input.partners[0].share` → `partners.0.share`). */
  fields: Record<string, string>;
  /** A message with no field of the form to sit next to. */
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

/** `input.openness` → `openness`, `input.partners[2].siret` → `partners.2.siret`; the path a form names its fields by. */
export function fieldName(path: string): string {
  return path.replace(/^input\./, '').replace(/\[(\d+)\]/g, '.$1');
}

/**
 * Spreads a typed API error over the form's fields: a rule violation goes to its `field`, a validation error to
 * each issue's field, and anything whose field the form does not show (`known`) becomes the general message.
 * `known` may be a list of paths or a predicate.
 */
export function toFormErrors(payload: ApiErrorPayload, known: readonly string[] | ((path: string) => boolean) = []): FormErrors {
  const shows = typeof known === 'function' ? known : (path: string) => known.length === 0 || known.includes(path);
  const fields: Record<string, string> = {};
  const loose: string[] = [];
  const place = (path: string | null | undefined, message: string) => {
    const name = path ? fieldName(path) : '';
    if (name && shows(name)) fields[name] ??= message;
    else loose.push(message);
  };
  if (payload.issues?.length) for (const issue of payload.issues) place(issue.field, issueMessage(issue));
  else place(payload.field, translated(payload));
  return { fields, general: loose.length ? [...new Set(loose)].join(' ') : null };
}

/**
 * A validation issue in French, from its `reason` and `limit` (empty, too short with the least length, too long
 * with the most…): never "obligatoire" for a value that is there but too short.
 */
export function issueMessage(issue: InputIssue): string {
  const { reason, limit } = issue;
  if (reason === 'REQUIRED') return fr.issues.REQUIRED;
  if (reason === 'INVALID_FORMAT') return fr.issues.INVALID_FORMAT;
  if (typeof limit === 'number') {
    if (reason === 'TOO_SHORT') return fr.issues.TOO_SHORT(limit);
    if (reason === 'TOO_LONG') return fr.issues.TOO_LONG(limit);
    if (reason === 'TOO_FEW') return fr.issues.TOO_FEW(limit);
    if (reason === 'TOO_MANY') return fr.issues.TOO_MANY(limit);
    if (reason === 'TOO_SMALL') return fr.issues.TOO_SMALL(formatLimit(issue.field, limit));
    if (reason === 'TOO_LARGE') return fr.issues.TOO_LARGE(formatLimit(issue.field, limit));
  }
  return fr.errors.invalidValue;
}

/**
 * A number's bound as the person typed it: amounts (`…Cents`) in euros, shares (`…BasisPoints`) in percent, as the
 * forms take them; anything else as a French number.
 */
export function formatLimit(field: string, limit: number): string {
  if (field.endsWith('Cents')) return formatBounded('cents', limit);
  if (field.endsWith('BasisPoints')) return formatBounded('basisPoints', limit);
  return limit.toLocaleString('fr-FR');
}

/**
 * The French sentence of a typed error: its rule's from the catalogue, else its kind's. Never the server's own
 * `message`: the web app says everything in its own words (tests/client/error-messages.test.ts).
 */
function translated(payload: ApiErrorPayload): string {
  if (payload.rule && Object.hasOwn(fr.rules, payload.rule)) return label(fr.rules, payload.rule);
  if (payload.__typename === 'ForbiddenError') return fr.errors.forbidden;
  if (payload.__typename === 'NotFoundError') return payload.field ? fr.errors.notFoundField : fr.common.notFound;
  if (payload.__typename === 'InputValidationError') return fr.errors.invalidValue;
  if (payload.__typename === 'InvalidCredentialsError') return fr.signIn.invalidCredentials;
  if (payload.__typename === 'RuleViolationError') return fr.errors.refused;
  return fr.errors.unexpected;
}

/** The message of a typed error, or of a transport error, for actions that have no form field. */
export function messageOf(payload: ApiErrorPayload | null | undefined, error?: CombinedError): string {
  if (payload?.issues?.length) return payload.issues[0] ? issueMessage(payload.issues[0]) : fr.errors.invalidValue;
  if (payload && !payload.__typename.endsWith('Success')) return translated(payload);
  return error ? describeError(error) : fr.errors.unexpected;
}
