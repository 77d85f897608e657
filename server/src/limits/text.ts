import {
  type DocumentNode,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  Kind,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
} from 'graphql';
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

/**
 * Invisible format characters (Unicode category Cf): zero-width spaces and joiners (U+200B–U+200D, U+2060), the
 * bidirectional marks, embeddings, overrides and isolates (U+200E/U+200F, U+202A–U+202E, U+2066–U+2069, U+061C),
 * U+FEFF, the soft hyphen, tag characters… They show nothing, or reorder what is shown, so `Vie\u200Bcoop` looks
 * like another collective's name and `\u202E` makes a name read backwards (the "Trojan Source" and spoofing
 * attacks). The prepended concatenation marks (U+0600–U+0605…) are Cf too but visible, so they are left out.
 */
const HIDDEN = /(?![\u0600-\u0605\u06DD\u070F\u0890\u0891\u08E2\u{110BD}\u{110CD}])\p{Cf}/u;
/** A zero-width joiner inside an emoji sequence (👩‍💻, 🏳️‍🌈): what it is for. */
const EMOJI_ZWJ = /(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})/gu;
/**
 * A zero-width (non-)joiner between letters of a script that joins (Arabic, Persian, the Indic scripts…), where
 * it changes the spelling; between Latin, Greek or Cyrillic letters it only disguises a word.
 */
const SCRIPT_JOINER =
  /(?<=(?![\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Common}\p{sc=Inherited}])[\p{L}\p{M}])[\u200C\u200D](?=[\p{L}\p{M}])/gu;
/** The tag characters of a subdivision flag (🏴 + tags + cancel tag, e.g. Scotland's). */
const FLAG_TAGS = /(?<=\u{1F3F4})[\u{E0020}-\u{E007E}]+\u{E007F}/gu;

/** What is wrong with a string no input may hold: `control` (see `INVALID_TEXT`), `hidden` (see `HIDDEN`). */
export type TextFault = 'control' | 'hidden';

/**
 * What is wrong with `value`, or null when any input may hold it: text no person types (`INVALID_TEXT`), or an
 * invisible format character (`HIDDEN`) outside the places it belongs (an emoji sequence, a joining script, a
 * flag). Linear in the string's length; the common case (no Cf character) is one regular-expression scan.
 */
export function textFault(value: string): TextFault | null {
  if (INVALID_TEXT.test(value)) return 'control';
  if (!HIDDEN.test(value)) return null;
  const rest = value.replace(FLAG_TAGS, '').replace(EMOJI_ZWJ, '').replace(SCRIPT_JOINER, '');
  return HIDDEN.test(rest) ? 'hidden' : null;
}

/** Whether a string holds text no input may hold (see `textFault`). */
export function isInvalidText(value: string): boolean {
  return textFault(value) !== null;
}

/**
 * The first fault of a JSON value (the operation's variables): the path of a string or object key holding
 * invalid text (`textFault`), or of a value nested deeper than `maxDepth` arrays/objects. Walked with an
 * explicit stack, so no nesting depth can overflow the call stack (a recursion did: `RangeError`, a 500).
 */
function findInvalid(root: unknown, rootPath: string, maxDepth: number): { path: string; fault: TextFault | 'depth' } | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: rootPath, depth: 0 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string') {
      const fault = textFault(value);
      if (fault) return { path, fault };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { path, fault: 'depth' };
    // Pushed in reverse, so entries are checked in order.
    const entries = Array.isArray(value) ? [...value.entries()] : Object.entries(value);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, item] = entries[index] as [string | number, unknown];
      const fault = typeof key === 'string' ? textFault(key) : null;
      if (fault) return { path: `${path}.${key}`, fault };
      stack.push({ value: item, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * The first list the operation's variables hold, for an argument or input field of a list type, with more than
 * `maxItems` entries: its path (`variables.input.ownerIds`) and length, or null. Walked by the variables'
 * declared types (lists and input objects; a `JSON` scalar's own arrays are not lists of the schema).
 */
function findLongListInVariables(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  maxItems: number,
): { where: string; length: number } | null {
  const stack: Array<{ value: unknown; type: GraphQLInputType; path: string }> = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const type = typeFromAST(schema, variable.type);
      const name = variable.variable.name.value;
      if (isInputType(type) && name in variables) stack.push({ value: variables[name], type, path: `variables.${name}` });
    }
  }
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, path } = next;
    const type = isNonNullType(next.type) ? next.type.ofType : next.type;
    if (isListType(type) && Array.isArray(value)) {
      if (value.length > maxItems) return { where: path, length: value.length };
      for (const [index, item] of value.entries()) stack.push({ value: item, type: type.ofType, path: `${path}.${index}` });
    } else if (isInputObjectType(type) && value && typeof value === 'object' && !Array.isArray(value)) {
      const fields = type.getFields();
      for (const [key, item] of Object.entries(value)) {
        const field = fields[key];
        if (field) stack.push({ value: item, type: field.type, path: `${path}.${key}` });
      }
    }
  }
  return null;
}

/** The first list literal of the document with more than `maxItems` entries (its argument's name), or null. */
/** A list past the limit: where (the argument or variable path) and its length. */
type LongList = { where: string; length: number };

function findLongListLiteral(schema: GraphQLSchema, document: DocumentNode, maxItems: number): LongList | null {
  let found: LongList | null = null;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      ListValue(node) {
        if (found === null && node.values.length > maxItems) {
          found = { where: typeInfo.getArgument()?.name ?? 'a list literal', length: node.values.length };
        }
      },
    }),
  );
  return found;
}

/**
 * The first string literal of the document that holds invalid text: where it is (the argument and the input
 * fields leading to it, `input.name`; `$name` for a variable's default) and what is wrong, or null.
 */
/** A string literal holding invalid text: where it is and what is wrong. */
type TextFinding = { where: string; fault: TextFault };

function findInvalidLiteral(document: DocumentNode): TextFinding | null {
  let found: TextFinding | null = null;
  const path: string[] = [];
  const leave = () => void path.pop();
  visit(document, {
    [Kind.VARIABLE_DEFINITION]: { enter: (node) => void path.push(`$${node.variable.name.value}`), leave },
    [Kind.ARGUMENT]: { enter: (node) => void path.push(node.name.value), leave },
    [Kind.OBJECT_FIELD]: { enter: (node) => void path.push(node.name.value), leave },
    StringValue(node) {
      const fault = found === null ? textFault(node.value) : null;
      if (fault) found = { where: path.length > 0 ? path.join('.') : 'a string literal', fault };
    },
  });
  return found;
}

function invalidText(where: string, fault: TextFault): GraphQLError {
  logger.info({ where, fault }, 'Input refused: invalid text');
  const what =
    fault === 'hidden'
      ? 'les caractères invisibles qui cachent, joignent ou réordonnent le texte (espaces et liants sans chasse, contrôles bidirectionnels comme U+202E, U+FEFF) sont refusés'
      : 'les caractères de contrôle (comme NUL) et l’Unicode abîmé sont refusés';
  return new GraphQLError(`Texte invalide dans ${where} : ${what}.`, {
    extensions: { code: 'BAD_USER_INPUT', field: where, reason: fault === 'hidden' ? 'invisibleCharacter' : 'controlCharacter' },
  });
}

function tooDeep(where: string, maxDepth: number): GraphQLError {
  logger.info({ where: where.slice(0, 200) }, 'Input refused: nested too deeply');
  return new GraphQLError(`Données imbriquées trop profondément : au plus ${maxDepth} niveaux de listes et d’objets.`, {
    extensions: { code: 'BAD_USER_INPUT', field: where.slice(0, 200), limit: 'inputDepth', maxDepth },
  });
}

function tooLong(where: string, length: number, maxItems: number): GraphQLError {
  logger.info({ where, length }, 'Input refused: list too long');
  return new GraphQLError(`Trop d’éléments dans ${where} : ${length} donnés, au plus ${maxItems} par liste.`, {
    extensions: { code: 'BAD_USER_INPUT', field: where, limit: 'listItems', maxItems },
  });
}

/** Bounds on an operation's input, checked by `useValidText` (SECURITY.md). */
export interface InputLimits {
  /** Most entries in one list argument or list input field, variables and literals alike (`GRAPHQL_MAX_LIST_ITEMS`, 100). */
  maxListItems: number;
  /** Deepest nesting of arrays and objects in the variables, `JSON` values included (`GRAPHQL_MAX_INPUT_DEPTH`, 32). */
  maxInputDepth: number;
}

/**
 * Envelop plugin: every operation's input is checked once, centrally, before any resolver runs, over HTTP, SSE
 * and graphql-ws alike. Each string it carries, in its variables (keys included) or as a literal in the
 * document, must hold valid text (`textFault`: no control characters, no invisible format characters); its variables may nest at most `maxInputDepth` levels; each
 * list argument or list input field (`nodes(ids:)`, `ownerIds`, `lots`…), variable or literal, may hold at most
 * `maxListItems` entries, so no list multiplies the work of one request past the query cost bound. Each fault
 * answers a typed `BAD_USER_INPUT` error (`extensions.field` names where) and nothing runs.
 */
export function useValidText(limits: InputLimits): Plugin {
  // What a document's own literals hold, found once per parsed document (Yoga's parser cache hands the same
  // object for the same text): issue 11, walking it twice per operation was a tenth of a subscription's opening.
  const literals = new WeakMap<DocumentNode, { schema: GraphQLSchema; text: TextFinding | null; long: LongList | null }>();
  const literalsOf = (schema: GraphQLSchema, document: DocumentNode) => {
    let found = literals.get(document);
    if (found?.schema !== schema) {
      found = { schema, text: findInvalidLiteral(document), long: findLongListLiteral(schema, document, limits.maxListItems) };
      literals.set(document, found);
    }
    return found;
  };
  const check = (schema: GraphQLSchema, document: DocumentNode, variables: unknown): GraphQLError | null => {
    const inVariables = findInvalid(variables ?? {}, 'variables', limits.maxInputDepth);
    if (inVariables)
      return inVariables.fault === 'depth'
        ? tooDeep(inVariables.path, limits.maxInputDepth)
        : invalidText(inVariables.path, inVariables.fault);
    const inDocument = literalsOf(schema, document);
    if (inDocument.text) return invalidText(inDocument.text.where, inDocument.text.fault);
    const long =
      (variables && typeof variables === 'object'
        ? findLongListInVariables(schema, document, variables as Record<string, unknown>, limits.maxListItems)
        : null) ?? inDocument.long;
    return long ? tooLong(long.where, long.length, limits.maxListItems) : null;
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const error = check(args.schema, args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const error = check(args.schema, args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
