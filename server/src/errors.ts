/**
 * Expected failures. Each class is a GraphQL type (see schema/errors.ts) that a mutation returns as a
 * typed result; anything else thrown is unexpected and masked by Yoga.
 */

/** The rules the server keeps; each broken rule names one of these. */
export const RULES = {
  REQUIRED: 'A value is required.',
  TOO_LONG: 'The value is too long.',
  NAME_TAKEN: 'Another collective already has this name.',
  COMMONS_MUST_BE_OPEN: 'A commons collective is open to every member.',
  SECTOR_REQUIRED: 'A sector collective names its sector.',
  HORIZON_REQUIRED: 'A business collective is one-off or long-term.',
  HORIZON_ONLY_FOR_BUSINESS: 'Only business collectives have a horizon.',
  OBJECTIVE_REQUIRED: 'A one-off business collective needs an objective.',
  TARGET_DATE_REQUIRED: 'A one-off business collective needs a target date.',
  TARGET_DATE_IN_PAST: 'The target date must not be in the past.',
  NO_TARGET_DATE_FOR_LONG_TERM: 'A long-term business collective has no deadline.',
  COMMONS_ANIMATOR_MUST_BE_ASSOCIATE: 'A commons collective is animated by an associate entrepreneur.',
  COMMONS_CO_ANIMATOR_MUST_BE_SUPPORT_STAFF: 'The co-animator of a commons collective is a member of the support staff.',
  MEMBER_NOT_ACTIVE: 'This person is no longer in the cooperative.',
  COLLECTIVE_CLOSED: 'The collective is closed.',
  ALREADY_MEMBER: 'Already a member of this collective.',
  ALREADY_PENDING: 'A request or invitation is already pending.',
  INVITATION_ONLY: 'This collective is joined by invitation only.',
  NOT_SAME_SECTOR: 'A sector collective gathers people of its trade.',
  NOT_PENDING: 'This membership is not pending.',
  NOT_A_MEMBER: 'Not an active member of this collective.',
  ALREADY_ANIMATOR: 'Already the animator of this collective.',
  INVALID_STATUS_CHANGE: 'This status change is not allowed.',
  ALREADY_LEFT_COOPERATIVE: 'This person has already left the cooperative.',
  NOT_CHANGEABLE: 'This can no longer be changed.',
  // ── Opportunities and deals (add deal rules above this line) ──
  // ── Tender responses (add tender rules above this line) ──
  // ── Trade-show stands (add stand rules above this line) ──
  // ── Brands and products (add brand and product rules above this line) ──
  // ── Sector tools (add sector-tool rules above this line) ──
} as const;

export type Rule = keyof typeof RULES;

/** A cooperative rule the request would break. `field` names the input field at fault. */
export class RuleViolationError extends Error {
  override name = 'RuleViolationError';
  constructor(
    readonly field: string | null,
    readonly rule: Rule,
    message: string = RULES[rule],
  ) {
    super(message);
  }
}

/** The thing does not exist, or the viewer may not know it exists. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly field: string | null,
    message = 'Not found.',
  ) {
    super(message);
  }
}

/** The viewer may see the thing but not do this to it. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  constructor(message = 'You are not allowed to do this.') {
    super(message);
  }
}

export class InvalidCredentialsError extends Error {
  override name = 'InvalidCredentialsError';
  constructor() {
    super('Unknown email or wrong password.');
  }
}
