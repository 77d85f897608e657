import { InputValidationError } from '@pothos/plugin-validation';
import { builder } from '../builder.js';
import { ForbiddenError, InvalidCredentialsError, NotFoundError, RULES, RuleViolationError } from '../errors.js';

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

const InputIssue = builder
  .objectRef<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }>('InputIssue')
  .implement({
    description: 'One problem with the input.',
    fields: (t) => ({
      message: t.exposeString('message', { description: 'What is wrong.' }),
      field: t.string({
        description: 'Dotted path of the input field at fault, e.g. `input.name`.',
        resolve: (issue) => (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('.'),
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
