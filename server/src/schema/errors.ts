import { InputValidationError } from '@pothos/plugin-validation';
import { builder } from '../builder.js';
import { ForbiddenError, InvalidCredentialsError, NotFoundError, RULES, RuleViolationError } from '../errors.js';
import { ISSUE_REASONS, issueField, issueReason, type ValidationIssue } from './validation.js';

const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure: the request was understood and refused, and nothing changed.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, in words a person can read.' }),
  }),
});

const RuleEnum = builder.enumType('Rule', {
  description: 'A rule of the cooperative that the server keeps.',
  values: Object.fromEntries(Object.entries(RULES).map(([name, description]) => [name, { description }])) as Record<
    keyof typeof RULES,
    { description: string }
  >,
});

builder.objectType(RuleViolationError, {
  name: 'RuleViolationError',
  description: 'The change would break a rule of the cooperative.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, if one is.' }),
    rule: t.field({ type: RuleEnum, description: 'The rule that would be broken.', resolve: (error) => error.rule }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'Nothing by this ID exists that you may see.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true, description: 'The input field naming the missing thing.' }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: 'You may see this, but not make this change (for instance, only animators approve requests).',
  interfaces: [ErrorInterface],
});

builder.objectType(InvalidCredentialsError, {
  name: 'InvalidCredentialsError',
  description: 'The email is unknown or the password is wrong (deliberately not told apart).',
  interfaces: [ErrorInterface],
});

const IssueReasonEnum = builder.enumType('InputIssueReason', {
  description: 'What is wrong with one input value.',
  values: Object.fromEntries(Object.entries(ISSUE_REASONS).map(([name, description]) => [name, { description }])) as Record<
    keyof typeof ISSUE_REASONS,
    { description: string }
  >,
});

const InputIssue = builder.objectRef<ValidationIssue>('InputIssue').implement({
  description: 'One problem with the input.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What is wrong.' }),
    reason: t.field({
      type: IssueReasonEnum,
      description: 'What is wrong, for a client to say in its own words: empty, too short, too long…',
      resolve: (issue) => issueReason(issue).reason,
    }),
    limit: t.float({
      nullable: true,
      description:
        'The bound crossed, when there is one: the least number of characters (TOO_SHORT) or entries (TOO_FEW), the most (TOO_LONG, TOO_MANY), the smallest or largest number (which may have decimals: an area of at most 99 999.99 m²).',
      resolve: (issue) => issueReason(issue).limit,
    }),
    field: t.string({
      description: 'Dotted path of the input field at fault, e.g. `input.name`.',
      resolve: issueField,
    }),
  }),
});

builder.objectType(InputValidationError, {
  name: 'InputValidationError',
  description: 'The input is malformed (too long, wrong format…).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [InputIssue], description: 'Each problem found.', resolve: (error) => error.issues }),
  }),
});

/** The typed errors every mutation may return. */
export const MUTATION_ERRORS = [InputValidationError, RuleViolationError, NotFoundError, ForbiddenError];
