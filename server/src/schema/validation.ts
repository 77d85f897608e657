import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { formatBounded, NUMBER_BOUNDS, type NumberBoundName } from '../limits/numbers.js';

// zod's own messages (a wrong type, a number that is not whole…) in French: what `issueMessage` passes on.
z.config(z.locales.fr());

/**
 * A trimmed text input of `min` to `max` characters (counted after trimming). An empty one is refused as
 * required alone (the shorter-than-`min` check does not run on it), so that the issue tells empty from too
 * short: `too_small` with `minimum` 1 means empty, a larger `minimum` means too short (see `issueReason`).
 */
export function text(min: number, max: number) {
  let schema = z.string().trim();
  if (min >= 1) schema = schema.min(1, { error: 'Obligatoire.', abort: true });
  if (min > 1) schema = schema.min(min, `Au moins ${min} caractères.`);
  return schema.max(max, `Au plus ${max} caractères.`);
}

/**
 * A number held to its bound (limits/numbers.ts), with a French message: below it is `too_small` (`TOO_SMALL`, the
 * least value as `limit`), above it `too_big` (`TOO_LARGE`, the greatest). Integers need no check here: GraphQL's
 * `Int` refuses anything else before validation.
 */
export function bounded(name: NumberBoundName) {
  const { min, max, unit } = NUMBER_BOUNDS[name];
  return z
    .number()
    .min(min, `Au moins ${formatBounded(unit, min)}.`)
    .max(max, `Au plus ${formatBounded(unit, max)}.`);
}

/** What is wrong with one input value, for a client to say it in its own words (`InputIssue.reason`). */
export const ISSUE_REASONS = {
  REQUIRED: 'The value is empty (or only spaces) and one is required.',
  TOO_SHORT: 'The text is shorter than `limit` characters (after trimming spaces).',
  TOO_LONG: 'The text is longer than `limit` characters.',
  TOO_FEW: 'The list has fewer than `limit` entries.',
  TOO_MANY: 'The list has more than `limit` entries.',
  TOO_SMALL: 'The number is below `limit`.',
  TOO_LARGE: 'The number is above `limit`.',
  INVALID_FORMAT: 'The text does not have the expected format (an email address, a URL…).',
  INVALID: 'The value is refused for another reason, said by `message`.',
} as const;

export type IssueReason = keyof typeof ISSUE_REASONS;

/** A validation issue as the validation plugin passes it on: zod's (standard schema) issue, with its details. */
export interface ValidationIssue {
  message: string;
  code?: string;
  origin?: string;
  /** zod's name of the expected format (`email`, `url`…) of an `invalid_format` issue. */
  format?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  /** Where the value is, from the argument down: `['input', 'partners', 0, 'amountCents']`. */
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
}

/** An issue's dotted path, as `InputIssue.field` and `extensions.field` give it: `input.partners.0.amountCents`. */
export function issueField(issue: ValidationIssue): string {
  return (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('.');
}

/**
 * The reason and limit of a zod issue: a string `too_small` of minimum 1 (or `min(1)` on a list) is empty,
 * above 1 it is too short; `too_big` is too long (text), too many (list) or too large (number).
 */
export function issueReason(issue: ValidationIssue): { reason: IssueReason; limit: number | null } {
  const limit = (value: number | bigint | undefined) =>
    value === undefined || !Number.isFinite(Number(value)) ? null : Number(value);
  const list = issue.origin === 'array' || issue.origin === 'set';
  const text = issue.origin === 'string';
  if (issue.code === 'too_small') {
    const minimum = limit(issue.minimum);
    if (text) return { reason: minimum !== null && minimum <= 1 ? 'REQUIRED' : 'TOO_SHORT', limit: minimum };
    if (list) return { reason: minimum !== null && minimum <= 1 ? 'REQUIRED' : 'TOO_FEW', limit: minimum };
    return { reason: 'TOO_SMALL', limit: minimum };
  }
  if (issue.code === 'too_big') {
    const maximum = limit(issue.maximum);
    return { reason: text ? 'TOO_LONG' : list ? 'TOO_MANY' : 'TOO_LARGE', limit: maximum };
  }
  if (issue.code === 'invalid_format') return { reason: 'INVALID_FORMAT', limit: null };
  return { reason: 'INVALID', limit: null };
}

/** French number formatting (narrow no-break space between thousands), as the web app writes them. */
const number = (value: number) => value.toLocaleString('fr-FR');

/**
 * The French sentence of an issue (`InputIssue.message`): a text's or a list's from its reason and limit, whatever
 * words its schema gave it (`Trop long : au plus 120 caractères.`); a number's and any other issue's own message,
 * which `bounded()` writes in French with its unit (`Au plus 20 000 000 €.`) and zod words in French (`z.config`
 * above) unless the schema gives its own (French too).
 */
export function issueMessage(issue: ValidationIssue): string {
  const { reason, limit } = issueReason(issue);
  const bound = limit === null ? null : number(limit);
  switch (reason) {
    case 'REQUIRED':
      return 'Obligatoire.';
    case 'TOO_SHORT':
      return bound === null ? 'Trop court.' : `Trop court : au moins ${bound} caractères.`;
    case 'TOO_LONG':
      return bound === null ? 'Trop long.' : `Trop long : au plus ${bound} caractères.`;
    case 'TOO_FEW':
      return bound === null ? 'Trop peu d’éléments.' : `Trop peu d’éléments : au moins ${bound}.`;
    case 'TOO_MANY':
      return bound === null ? 'Trop d’éléments.' : `Trop d’éléments : au plus ${bound}.`;
    case 'INVALID_FORMAT':
      if (issue.format === 'email') return 'Adresse e-mail invalide.';
      if (issue.format === 'url') return 'Adresse web invalide : http ou https attendu.';
      return 'Format invalide.';
    default:
      return issue.message;
  }
}

/**
 * The validation plugin's error (`validationError`): Pothos' `InputValidationError` (the typed error mutations
 * return) with each issue's message in French (`issueMessage`), and a French message naming each field at fault.
 */
export function validationError(failure: { issues: ReadonlyArray<ValidationIssue & { path?: ReadonlyArray<unknown> }> }) {
  // Each issue inherits from zod's (the plugin builds them so: code, origin and bounds live on the prototype).
  const issues = failure.issues.map((issue) =>
    Object.create(issue, { message: { value: issueMessage(issue), enumerable: true, configurable: true } }),
  ) as typeof failure.issues;
  const error = new InputValidationError({ issues } as ConstructorParameters<typeof InputValidationError>[0]);
  const where = (path: ReadonlyArray<unknown> | undefined) =>
    (path ?? []).map((part) => String(typeof part === 'object' && part !== null && 'key' in part ? part.key : part)).join('.');
  error.message = `Saisie invalide : ${issues.map((issue) => `${where(issue.path) || 'valeur'} : ${issue.message}`).join(' ; ')}`;
  return error;
}
