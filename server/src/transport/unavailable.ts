import { InputValidationError } from '@pothos/plugin-validation';
import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError } from 'graphql-yoga';
import { isClientGone, isUnavailable } from '../errors.js';
import { logger } from '../observability/log.js';
import { issueField, issueReason, type ValidationIssue } from '../schema/validation.js';

/**
 * WebSocket close code 1013 "Try Again Later" (RFC 6455 §7.4.1, IANA registry): graphql-ws clients reconnect
 * after it, while 4500 (its "internal server error") is final for them. Sent when `connection_init` or a
 * `subscribe` meets an outage of PostgreSQL or Redis.
 */
export const CLOSE_TRY_AGAIN_LATER = 1013;

const UNAVAILABLE_MESSAGE = 'Service momentanément indisponible : réessayez dans un instant.';

/** What a caller is told of an unexpected failure (Yoga's `maskedErrors.errorMessage`): nothing of it, in French. */
export const UNEXPECTED_MESSAGE = 'Erreur inattendue du serveur.';

/** The coded, retryable error a caller gets while a service the request needs is down (HTTP 503). */
export function unavailableError(): GraphQLError {
  return createGraphQLError(UNAVAILABLE_MESSAGE, { extensions: { code: 'UNAVAILABLE', http: { status: 503 } } });
}

/** Whether a GraphQL error the caller is about to receive is our UNAVAILABLE. */
export function isUnavailableGraphQLError(error: { extensions?: Record<string, unknown> } | undefined): boolean {
  return error?.extensions?.code === 'UNAVAILABLE';
}

/**
 * Yoga's `maskError`: a failure to reach PostgreSQL or Redis (errors.ts' `isUnavailable`) becomes `UNAVAILABLE`
 * with HTTP 503 and is logged as a warning (an outage is not a bug, and one line per request is enough); an
 * argument refused by its validation (Pothos' `InputValidationError`, outside a mutation's error union) gets
 * `code: BAD_USER_INPUT` with its first issue's `field`, `reason` and `limit` (as `InputIssue` has them); a client hanging up mid-request is `CLIENT_CLOSED_REQUEST`, logged at debug
 * (`clientGoneError`); anything else is masked by Yoga's own function ("Unexpected error."). What the caller
 * gets is `maskedError`'s; this adds the log lines.
 */
export function maskUnavailable(error: unknown, message: string, isDev?: boolean): Error {
  const masked = maskedError(error, message, isDev);
  const code = masked instanceof GraphQLError ? masked.extensions.code : undefined;
  const reason = () => String((error as Error)?.message ?? error).slice(0, 300);
  // A rule checked before writing (a name taken, a key claimed) lost a race with a concurrent request that
  // committed first: nothing was written, and a retry meets the rule or the stored answer.
  if (code === 'CONFLICT' && masked !== error) logger.info({ reason: reason() }, 'Concurrent write conflict: CONFLICT');
  if (code === 'UNAVAILABLE' && masked !== error) logger.warn({ reason: reason() }, 'Request met an outage: UNAVAILABLE');
  return masked;
}

/** The codes `maskedError` gives errors it codes itself (see `maskedCode`). */
export type MaskedCode = 'BAD_USER_INPUT' | 'CONFLICT' | 'CLIENT_CLOSED_REQUEST' | 'UNAVAILABLE';

/**
 * The code `maskedError` answers `error` with when it codes it itself: an argument refused by its validation
 * without a code of its own (`BAD_USER_INPUT`), a write that lost a race on a unique constraint (`CONFLICT`), a
 * client gone mid-request (`CLIENT_CLOSED_REQUEST`), an outage of PostgreSQL or Redis (`UNAVAILABLE`), checked in
 * that order; undefined for any other error (sent as is when it is a GraphQL error of our own, else masked by
 * Yoga). The one place these checks are made: the metrics and Yoga's logger read the answer from here too.
 */
export function maskedCode(error: unknown): MaskedCode | undefined {
  if (isArgumentRefusal(error) && !error.extensions.code) return 'BAD_USER_INPUT';
  if (isUniqueConflict(error)) return 'CONFLICT';
  if (isClientGone(error)) return 'CLIENT_CLOSED_REQUEST';
  if (isUnavailable(error)) return 'UNAVAILABLE';
  return undefined;
}

/**
 * The error a caller is sent for `error` (see `maskUnavailable`), without logging: also what a replayed answer
 * (transport/idempotency.ts) must repeat. A GraphQL error of our own (coded, or with no original error other than
 * a GraphQL one) is sent as is.
 */
export function maskedError(error: unknown, message: string, isDev?: boolean): Error {
  switch (maskedCode(error)) {
    case 'BAD_USER_INPUT': {
      const refused = error as GraphQLError;
      const [issue] = (refused.originalError as InputValidationError).issues as ReadonlyArray<ValidationIssue>;
      return createGraphQLError(refused.message, {
        nodes: refused.nodes,
        path: refused.path,
        originalError: refused.originalError,
        extensions: {
          ...refused.extensions,
          code: 'BAD_USER_INPUT',
          ...(issue ? { field: issueField(issue), ...issueReason(issue) } : {}),
        },
      });
    }
    case 'CONFLICT':
      return createGraphQLError('Une modification concurrente est passée avant celle-ci : rien n’a changé, réessayez.', {
        extensions: { code: 'CONFLICT', http: { status: 409 } },
      });
    case 'CLIENT_CLOSED_REQUEST':
      return clientGoneError();
    case 'UNAVAILABLE':
      return unavailableError();
    default:
      return maskError(error, message, isDev);
  }
}

/** Whether an error is an argument refused by its validation (answered `BAD_USER_INPUT` by `maskUnavailable`). */
export function isArgumentRefusal(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && error.originalError instanceof InputValidationError;
}

/**
 * What a request whose client hung up mid-request is "answered" (nobody reads it): `CLIENT_CLOSED_REQUEST`, the
 * status nginx logs for it (499), logged at `debug`. The HTTP metrics count it as `status="aborted"`.
 */
export function clientGoneError(): GraphQLError {
  logger.debug('Client went away mid-request');
  return createGraphQLError('Le client a fermé la connexion avant que la requête soit lue.', {
    extensions: { code: 'CLIENT_CLOSED_REQUEST', http: { status: 499 } },
  });
}

/**
 * Whether an error is a unique-constraint violation (Prisma P2002, the pg adapter's `UniqueConstraintViolation`,
 * SQLSTATE 23505), looking through `cause` and `originalError`.
 */
export function isUniqueConflict(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 8) return false;
  const candidate = error as { code?: unknown; kind?: unknown; cause?: unknown; originalError?: unknown };
  if (candidate.code === 'P2002' || candidate.code === '23505' || candidate.kind === 'UniqueConstraintViolation') return true;
  return isUniqueConflict(candidate.cause, depth + 1) || isUniqueConflict(candidate.originalError, depth + 1);
}
