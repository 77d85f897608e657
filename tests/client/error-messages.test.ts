import { CombinedError } from 'urql';
import { describe, expect, it } from 'vitest';
import { describeError, messageOf, toFormErrors } from '../../client/src/errors.js';
import { fr } from '../../client/src/i18n/fr.js';
import { RULES } from '../../server/src/errors.js';
import { notFrench } from '../support/french.js';

// The web app says every refusal in its own French, from the code, the rule, the reason or the kind of error: never
// the server's words, whatever they are (a sign-in page showed `payload.message` as it came).
const SERVER_WORDS = 'Words of the server the page must not show.';

describe('What the web app says of a refusal', () => {
  it('should never show a typed error’s own message, whatever its kind', () => {
    for (const __typename of [
      'RuleViolationError',
      'NotFoundError',
      'ForbiddenError',
      'InputValidationError',
      'InvalidCredentialsError',
      'SomeFutureError',
    ]) {
      const payload = { __typename, message: SERVER_WORDS, field: null, rule: 'NOT_A_RULE_YET' };
      const said = [messageOf(payload), toFormErrors(payload).general ?? ''];
      for (const text of said) {
        expect(text, __typename).not.toContain(SERVER_WORDS);
        expect(notFrench(text), __typename).toBeNull();
      }
    }
    expect(messageOf({ __typename: 'InvalidCredentialsError', message: SERVER_WORDS })).toBe(fr.signIn.invalidCredentials);
  });

  it('should have a French sentence for every rule the server keeps', () => {
    const missing = Object.keys(RULES).filter((rule) => !Object.hasOwn(fr.rules, rule));
    expect(missing).toEqual([]);
    for (const rule of Object.keys(RULES)) {
      expect(messageOf({ __typename: 'RuleViolationError', message: SERVER_WORDS, rule })).toBe(
        fr.rules[rule as keyof typeof fr.rules],
      );
    }
  });

  it('should say each transport error by its code, never by its message', () => {
    const codes = [
      'UNAVAILABLE',
      'RATE_LIMITED',
      'FORBIDDEN',
      'ACCESS_REVOKED',
      'UNAUTHENTICATED',
      'SESSION_EXPIRED',
      'SESSION_REVOKED',
      'NOT_FOUND',
      'BAD_USER_INPUT',
      'CONFLICT',
      'BAD_REQUEST',
      'GRAPHQL_PARSE_FAILED',
      'INTERNAL_SERVER_ERROR',
    ];
    for (const code of codes) {
      const said = describeError(new CombinedError({ graphQLErrors: [{ message: SERVER_WORDS, extensions: { code } }] }));
      expect(said, code).not.toContain(SERVER_WORDS);
      expect(notFrench(said), code).toBeNull();
    }
    expect(describeError(new CombinedError({ networkError: new Error('socket hang up') }))).toBe(fr.errors.network);
    // A retry of a change that was kept, its answer lost: said as done, not as an unexpected error.
    expect(
      describeError(new CombinedError({ graphQLErrors: [{ message: SERVER_WORDS, extensions: { code: 'ALREADY_APPLIED' } }] })),
    ).toBe(fr.errors.alreadyApplied);
  });
});
