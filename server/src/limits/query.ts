import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import {
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLOutputType,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type SelectionSetNode,
  typeFromAST,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config.js';
import { logger } from '../observability/log.js';

/**
 * Reports a document over a limit as an ordinary validation error, coded `BAD_REQUEST` (HTTP 400), instead
 * of throwing out of `validate()` as graphql-armor does by default: a throw there would escape graphql-ws'
 * `onSubscribe` and close the whole socket (4500) for one bad operation.
 */
function reportRejection(context: ValidationContext | null, error: GraphQLError): void {
  const refusal = new GraphQLError(limitInFrench(error.message), {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
  logger.info({ reason: refusal.message }, 'GraphQL document refused by a query limit');
  context?.reportError(refusal);
}

/** graphql-armor's names of its limits, in French. */
const LIMIT_NAMES: Record<string, string> = {
  'Query depth': 'profondeur',
  'Query Cost': 'coût',
  Aliases: 'alias',
  Directives: 'directives',
  Token: 'jetons',
};

/** graphql-armor's English refusal (`Syntax Error: Aliases limit of 15 exceeded, found 20.`) in French. */
function limitInFrench(message: string): string {
  const match =
    /^(?:Syntax Error: )?(Query depth|Query Cost|Aliases|Directives|Token) limit(?: of (\d+))? exceeded(?:, found (\d+(?:\.\d+)?))?\.?$/.exec(
      message,
    );
  if (!match) return message.replace(/^Syntax Error: /, '');
  const [, name = '', limit, found] = match;
  return `Document GraphQL refusé : ${LIMIT_NAMES[name]} au-delà de la limite${limit ? ` de ${limit}` : ''}${found ? ` (${Math.round(Number(found))})` : ''}.`;
}

/**
 * graphql-armor's depth, cost, alias, token and directive limits as Envelop plugins. They hook `parse` and
 * `validate`, which Yoga runs for HTTP and SSE and our graphql-ws transport runs through `getEnveloped`, so
 * one list bounds every transport. The token limit acts while parsing: a document past it is never built.
 */
export function useQueryLimits(limits: Limits['query']): Plugin[] {
  const rules = queryLimitRules(limits);
  return [
    // The token counter can only throw (there is no validation context yet): a GraphQLError, which both
    // Yoga and our graphql-ws `onSubscribe` answer as a bad request.
    maxTokensPlugin({ n: limits.maxTokens }) as Plugin,
    codeTokenRejections(),
    // What graphql-armor's own plugins do with these rules (`addValidationRule`), with our rejection report;
    // first, a document whose fragments expand past the cost limit is refused without validating it at all.
    {
      onValidate: ({ params, addValidationRule, setResult }) => {
        if (expandedFieldCount(params.documentAST) > limits.maxCost) {
          const refusal = new GraphQLError(
            `Document GraphQL refusé : plus de ${limits.maxCost} champs une fois ses fragments développés (voir SECURITY.md).`,
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
          logger.info({ reason: refusal.message }, 'GraphQL document refused by a query limit');
          setResult([refusal]);
          return;
        }
        for (const rule of rules) addValidationRule(rule);
      },
    },
  ];
}

/**
 * The field selections of the document's operations once every fragment spread is replaced by its fragment, a
 * fragment spread n times counting n times: what validation rules that walk fragments where they are spread
 * (graphql-armor's depth and cost, `maxHeavyWeightRule`) would visit. Counted in time linear in the document (each
 * fragment's count once), so a kilobyte of fragments each spreading the next twice (2^n fields, which froze the
 * server for seconds in those rules) costs nothing to measure. A spread of an unknown fragment, or one in a cycle,
 * counts nothing (validation refuses both). Beyond 2^53 the count is approximate (Infinity past about 1.8e308): it is
 * only compared with a bound.
 */
export function expandedFieldCount(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const counted = new Map<string, number>();
  const counting = new Set<string>();
  const count = (selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) total += 1 + (selection.selectionSet ? count(selection.selectionSet) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else total += fragmentCount(selection.name.value);
    }
    return total;
  };
  const fragmentCount = (name: string): number => {
    const known = counted.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || counting.has(name)) return 0;
    counting.add(name);
    const total = count(fragment.selectionSet);
    counting.delete(name);
    counted.set(name, total);
    return total;
  };
  let total = 0;
  for (const definition of document.definitions)
    if (definition.kind === Kind.OPERATION_DEFINITION) total += count(definition.selectionSet);
  return total;
}

/** graphql-armor's validation rules (depth, cost, aliases, directives) at `limits`, reported as `BAD_REQUEST`. */
export function queryLimitRules(limits: Limits['query']): ValidationRule[] {
  const rejection = { propagateOnRejection: false, onReject: [reportRejection] };
  return [
    maxDepthRule({ n: limits.maxDepth, ...rejection }),
    costLimitRule({ maxCost: limits.maxCost, ...rejection }),
    maxAliasesRule({ n: limits.maxAliases, ...rejection }),
    maxDirectivesRule({ n: limits.maxDirectives, ...rejection }),
    maxHeavyWeightRule(limits),
  ] as unknown as ValidationRule[];
}

/** The largest page a connection returns (`MAX_PAGE_SIZE` in schema/pagination.ts, the Relay plugin's too). */
const PAGE_MAX = 100;

/**
 * The weight of a field as its schema marks it (`extensions: { heavy: n }` on the field): work far above an
 * ordinary field's (building an export, encoding and storing a section's state, decoding a version), which the
 * static cost cannot see.
 */
export function heavyWeightOf(field: GraphQLField<unknown, unknown>): number {
  const heavy = (field.extensions as { heavy?: unknown } | undefined)?.heavy;
  return typeof heavy === 'number' && heavy > 0 ? heavy : 0;
}

/**
 * Refuses an operation whose heavy fields (see `heavyWeightOf`) weigh more than `maxHeavyWeight` in all (`BAD_REQUEST`):
 * each counts its weight times the rows it may be asked for: a field with a literal `first`/`last` multiplies what is
 * below it by that number (at most a page), one without by a page; a list field by its literal list argument's
 * length, else by `maxListItems`; a connection's `edges`/`nodes` add nothing to their connection's page. Fragments
 * are counted where they are spread, so aliases, fragments and repeated spreads all add up. Issue 9: fifteen aliased
 * exports in one request answered 281 MB; fifteen aliased version saves took seconds each.
 */
function maxHeavyWeightRule(limits: Limits['query']): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const literalCount = (field: FieldNode, names: readonly string[]): number | null => {
      for (const argument of field.arguments ?? []) {
        if (!names.includes(argument.name.value)) continue;
        if (argument.value.kind === Kind.INT) return Math.max(0, Number(argument.value.value));
        if (argument.value.kind === Kind.LIST) return argument.value.values.length;
      }
      return null;
    };
    /** Rows `field` may return for each of its parent's, as far as the document says. */
    const rowsOf = (field: FieldNode, definition: GraphQLField<unknown, unknown>, parentName: string): number => {
      const paged = definition.args.some((argument) => argument.name === 'first' || argument.name === 'last');
      if (paged) return Math.min(literalCount(field, ['first', 'last']) ?? PAGE_MAX, PAGE_MAX);
      if (!isListType(getNullableType(definition.type))) return 1;
      if (parentName.endsWith('Connection') && (definition.name === 'edges' || definition.name === 'nodes')) return 1;
      const listArgument = field.arguments?.find((argument) => argument.value.kind === Kind.LIST);
      if (listArgument?.value.kind === Kind.LIST) return listArgument.value.values.length;
      return limits.maxListItems;
    };
    const weigh = (
      selectionSet: SelectionSetNode,
      type: GraphQLOutputType,
      multiplier: number,
      spreading: ReadonlySet<string>,
    ): number => {
      const named = getNamedType(type);
      if (!isCompositeType(named)) return 0;
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          // Abstract types have no fields of their own but __typename: their fields are read in inline fragments.
          const definition = 'getFields' in named ? named.getFields()[selection.name.value] : undefined;
          if (!definition) continue;
          const rows = multiplier * rowsOf(selection, definition, named.name);
          total += heavyWeightOf(definition) * rows;
          if (selection.selectionSet) total += weigh(selection.selectionSet, definition.type, rows, spreading);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? typeFromAST(schema, selection.typeCondition) : named;
          if (condition) total += weigh(selection.selectionSet, condition as GraphQLOutputType, multiplier, spreading);
        } else {
          const name = selection.name.value;
          const fragment = context.getFragment(name);
          // A cycle is refused by its own rule; here it only stops the walk.
          if (!fragment || spreading.has(name)) continue;
          const condition = typeFromAST(schema, fragment.typeCondition);
          if (condition)
            total += weigh(fragment.selectionSet, condition as GraphQLOutputType, multiplier, new Set([...spreading, name]));
        }
      }
      return total;
    };
    return {
      OperationDefinition(operation) {
        const root =
          operation.operation === 'query'
            ? schema.getQueryType()
            : operation.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        if (!root) return;
        const weight = weigh(operation.selectionSet, root, 1, new Set());
        if (weight > limits.maxHeavyWeight)
          reportRejection(
            context,
            new GraphQLError(
              `Document GraphQL refusé : champs lourds de poids ${weight}, au plus ${limits.maxHeavyWeight} (un export, un enregistrement ou une restauration de version par opération, voir SECURITY.md).`,
            ),
          );
      },
    };
  };
}

/** Codes the token limit's parse error like the other limits' (`BAD_REQUEST`), once the parser gave up. */
function codeTokenRejections(): Plugin {
  return {
    onParse:
      () =>
      ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError && / limit of \d+ exceeded/.test(result.message)) {
          const refusal = new GraphQLError(limitInFrench(result.message), {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
          logger.info({ reason: refusal.message }, 'GraphQL document refused by a query limit');
          replaceParseResult(refusal);
        }
      },
  };
}
