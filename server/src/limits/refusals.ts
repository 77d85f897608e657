import { GraphQLError } from 'graphql';
import { logger } from '../observability/log.js';

/** Names of the limits a `RATE_LIMITED` error can report (`extensions.limit`); SECURITY.md lists each. */
export type LimitName =
  | 'signInAccount'
  | 'signInAddress'
  | 'passwordHashQueue'
  | 'mutationsPerSecond'
  | 'coeditingMessagesPerSecond'
  | 'sseStreamsPerUser'
  | 'sseReservationsPerUser'
  | 'operationsPerSocket'
  | 'requestsInFlight'
  | 'exportsPerCaller'
  | 'exportQueue';

/**
 * A refusal for a caller past one of its limits: `extensions.code` is `RATE_LIMITED`, `extensions.limit` names
 * the limit and, when waiting helps, `extensions.retryAfterMs` says how long (HTTP 429 over HTTP). Logged as
 * info: it is an expected refusal, not a fault.
 */
export function rateLimited(limit: LimitName, message: string, retryAfterMs?: number, subject?: string): GraphQLError {
  logger.info({ limit, subject, retryAfterMs }, 'Caller refused by a limit');
  return new GraphQLError(message, {
    extensions: {
      code: 'RATE_LIMITED',
      limit,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) }),
      http: {
        status: 429,
        ...(retryAfterMs === undefined ? {} : { headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } }),
      },
    },
  });
}
