/**
 * Whether a message the API sends a person is French: the rule of SECURITY.md ("Messages"). A tidy heuristic, not a
 * grammar: no common English word, and some French (an accent, French punctuation, or a common French word).
 */

/**
 * English words that no French message of ours contains (`invalid` is not `invalide`: words are whole, told apart by
 * any letter around them, accented ones included: `sign` is not in `désignée`).
 */
const ENGLISH = new RegExp(
  `(?<![\\p{L}\\p{N}_])(${[
    'the',
    'is',
    'are',
    'not',
    'no',
    'must',
    'only',
    'too',
    'many',
    'sign',
    'invalid',
    'error',
    'unexpected',
    'allowed',
    'found',
    'such',
    'stream',
    'required',
    'exceeded',
    'limit',
    'request',
    'body',
    'expected',
    'cannot',
    'could',
    'missing',
    'unknown',
    'forbidden',
    'unauthorized',
    'try',
    'again',
    'later',
    'timeout',
    'received',
    'already',
    'exists',
    'at most',
    'at least',
    'provide',
    'parameter',
    'bad',
    'going',
    'away',
    'you',
    'your',
    'please',
    'header',
    'method',
  ].join('|')})(?![\\p{L}\\p{N}_])`,
  'iu',
);

/** Some French: an accented letter, French punctuation (« », a space before a colon, ’), or a common French word. */
const FRENCH =
  /[àâçéèêëîïôûùœ«»’]| [:;]|\b(le|la|les|de|des|du|un|une|est|sont|pas|ou|et|au|aux|en|sur|par|pour|avec|ce|cette|trop|plus|introuvable|invalide|obligatoire|vous|votre|ne|que|qui|dans|se|sa|son|ses)\b/i;

/**
 * graphql-js' own errors about a GraphQL document, for the developer who wrote it: the only English the API sends
 * (SECURITY.md). Told by their code, which every one of them carries; a variable that does not fit its type is
 * graphql-js' coercion message (`Variable "$x" got invalid value…`), coded BAD_USER_INPUT.
 */
export function isDeveloperError(error: { message: string; extensions?: { code?: unknown } }): boolean {
  const code = error.extensions?.code;
  if (code === 'GRAPHQL_PARSE_FAILED' || code === 'GRAPHQL_VALIDATION_FAILED') return true;
  return code === 'BAD_USER_INPUT' && error.message.startsWith('Variable "$');
}

/** What is wrong with `message` as French text for a person, or null when it reads as French. */
export function notFrench(message: string): string | null {
  // Code and technical names are no language: `after`, text/event-stream, connection_init, extensions.operationId.
  const words = message.replace(/`[^`]*`/g, ' ').replace(/\S*[/_=$<>]\S*|\S+\.\S+/g, ' ');
  const english = ENGLISH.exec(words);
  if (english) return `English word "${english[1]}" in: ${message}`;
  if (!FRENCH.test(message)) return `no French in: ${message}`;
  return null;
}

/**
 * What is wrong with each error of a GraphQL answer (`{ errors: [{ message, extensions: { code } }] }`) as a refusal
 * a person may read: a code, and a French message unless it is a developer's document error (`isDeveloperError`).
 * `where` names the request in the report. Empty when all is well.
 */
export function frenchProblems(
  where: string,
  errors: ReadonlyArray<{ message?: unknown; extensions?: { code?: unknown } }>,
): string[] {
  const problems: string[] = [];
  for (const error of errors) {
    const message = typeof error.message === 'string' ? error.message : '';
    if (typeof error.extensions?.code !== 'string') problems.push(`${where}: no extensions.code (${message})`);
    if (!message) problems.push(`${where}: no message`);
    else if (!isDeveloperError({ message, extensions: error.extensions })) {
      const problem = notFrench(message);
      if (problem) problems.push(`${where}: ${problem}`);
    }
  }
  return problems;
}
