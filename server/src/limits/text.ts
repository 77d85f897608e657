import { type DocumentNode, GraphQLError, Kind, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { logger } from '../observability/log.js';

/**
 * Text no input may hold: NUL and the other C0 controls but tab, line feed and carriage return, DEL and the
 * C1 controls, lone UTF-16 surrogates, and the noncharacters U+FFFE/U+FFFF. PostgreSQL refuses NUL in text
 * and JSON (a 500 if it got that far), and the rest is never typed by a person: it is garbage or an attack.
 */
const INVALID_TEXT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string holds text no input may hold (see `INVALID_TEXT`). */
export function isInvalidText(value: string): boolean {
  return INVALID_TEXT.test(value);
}

/** The path of the first string (or object key) in a JSON value that holds invalid text, or null. */
function findInvalid(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isInvalidText(value) ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findInvalid(item, `${path}.${index}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (isInvalidText(key)) return `${path}.${key}`;
      const found = findInvalid(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/** The first string literal of the document that holds invalid text (its argument's name), or null. */
function findInvalidLiteral(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    StringValue(node) {
      if (found === null && isInvalidText(node.value)) found = 'a string literal';
    },
    [Kind.ARGUMENT]: {
      enter(node) {
        if (found === null && node.value.kind === Kind.STRING && isInvalidText(node.value.value)) found = node.name.value;
      },
    },
  });
  return found;
}

function invalidText(where: string): GraphQLError {
  logger.info({ where }, 'Input refused: invalid text');
  return new GraphQLError(`Invalid text in ${where}: control characters (such as NUL) and broken Unicode are not accepted.`, {
    extensions: { code: 'BAD_USER_INPUT', field: where },
  });
}

/**
 * Envelop plugin: every string an operation carries, in its variables (keys included) or as a literal in the
 * document, is checked once, centrally, before any resolver runs; invalid text (`INVALID_TEXT`) answers a
 * typed `BAD_USER_INPUT` error instead of reaching the database. Covers queries, mutations and subscriptions
 * over HTTP, SSE and graphql-ws alike.
 */
export function useValidText(): Plugin {
  const check = (document: DocumentNode, variables: unknown): GraphQLError | null => {
    const inVariables = findInvalid(variables ?? {}, 'variables');
    if (inVariables) return invalidText(inVariables);
    const inDocument = findInvalidLiteral(document);
    return inDocument ? invalidText(inDocument) : null;
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const error = check(args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const error = check(args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
