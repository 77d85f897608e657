import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config.js';
import { logger } from '../observability/log.js';

/**
 * Reports a document over a limit as an ordinary validation error, coded `BAD_REQUEST` (HTTP 400), instead
 * of throwing out of `validate()` as graphql-armor does by default: a throw there would escape graphql-ws'
 * `onSubscribe` and close the whole socket (4500) for one bad operation.
 */
function reportRejection(context: ValidationContext | null, error: GraphQLError): void {
  const refusal = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
  logger.info({ reason: refusal.message }, 'GraphQL document refused by a query limit');
  context?.reportError(refusal);
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
    // What graphql-armor's own plugins do with these rules (`addValidationRule`), with our rejection report.
    {
      onValidate: ({ addValidationRule }) => {
        for (const rule of rules) addValidationRule(rule);
      },
    },
  ];
}

/** graphql-armor's validation rules (depth, cost, aliases, directives) at `limits`, reported as `BAD_REQUEST`. */
export function queryLimitRules(limits: Limits['query']): ValidationRule[] {
  const rejection = { propagateOnRejection: false, onReject: [reportRejection] };
  return [
    maxDepthRule({ n: limits.maxDepth, ...rejection }),
    costLimitRule({ maxCost: limits.maxCost, ...rejection }),
    maxAliasesRule({ n: limits.maxAliases, ...rejection }),
    maxDirectivesRule({ n: limits.maxDirectives, ...rejection }),
  ] as unknown as ValidationRule[];
}

/** Codes the token limit's parse error like the other limits' (`BAD_REQUEST`), once the parser gave up. */
function codeTokenRejections(): Plugin {
  return {
    onParse:
      () =>
      ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError && / limit of \d+ exceeded/.test(result.message)) {
          const refusal = new GraphQLError(result.message.replace(/^Syntax Error: /, ''), {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
          logger.info({ reason: refusal.message }, 'GraphQL document refused by a query limit');
          replaceParseResult(refusal);
        }
      },
  };
}
