import { type DocumentNode, type ExecutionResult, type GraphQLError, getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isArgumentRefusal, maskedCode } from '../transport/unavailable.js';
import { logger } from './log.js';
import type { Metrics } from './metrics.js';

/** Yoga's own logger, writing through pino (so its lines are JSON and carry the request id). */
export const yogaLogger = {
  debug: (...args: unknown[]) => logger.debug(...yogaLine(args)),
  info: (...args: unknown[]) => logger.info(...yogaLine(args)),
  warn: (...args: unknown[]) => logger.warn(...yogaLine(args)),
  // Yoga calls this with the original error of every result it masks: a bug to look at, unless `maskUnavailable`
  // answered it as an outage (UNAVAILABLE, logged there as a warning), a lost race (CONFLICT, logged as info)
  // or an argument its validation refused (BAD_USER_INPUT, logged as a refusal by the plugin below), or the client
  // hung up (CLIENT_CLOSED_REQUEST, debug).
  error: (error: unknown, ...rest: unknown[]) => {
    const code = maskedCode(error);
    if (code === 'CLIENT_CLOSED_REQUEST') logger.debug('GraphQL request ended by its client going away');
    else if (code)
      logger.debug({ err: error }, 'GraphQL operation met an outage, a conflict or a refused argument (answered as such)');
    else logger.error({ err: error, ...(rest.length > 0 ? { yoga: rest } : {}) }, 'Unexpected error in a GraphQL operation');
  },
};

/** Yoga's message as the line's message, anything else it passed as a field. */
function yogaLine(args: unknown[]): [Record<string, unknown>, string] {
  const [first, ...rest] = args;
  return typeof first === 'string'
    ? [rest.length > 0 ? { yoga: rest } : {}, `GraphQL server: ${first}`]
    : [{ yoga: args }, 'GraphQL server'];
}

/**
 * A refusal is an error with a code the API documents (FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, BAD_USER_INPUT,
 * RATE_LIMITED, ACCESS_REVOKED…): the caller's doing, logged as `info`. An error without one (or
 * INTERNAL_SERVER_ERROR) is unexpected: Yoga masks it and logs its original at `error` (`yogaLogger`).
 */
export function isRefusal(error: Pick<GraphQLError, 'extensions'>): boolean {
  const code = error.extensions?.code;
  return typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' && error.extensions?.unexpected !== true;
}

/**
 * The code a caller receives for an error of a result, read before Yoga's masking has run (this plugin sees
 * results first): the error's own code, else what `maskedError` will code it (transport/unavailable.ts).
 */
function answeredCode(error: GraphQLError): unknown {
  return error.extensions?.code ?? maskedCode(error);
}

/** The root fields an operation selects (`sectionSync`, `myFeed`…): a subscription's stream kind. */
export function rootFields(document: DocumentNode, operationName?: string | null): string {
  const operation = getOperationAST(document, operationName);
  const names = (operation?.selectionSet.selections ?? []).flatMap((selection) =>
    selection.kind === Kind.FIELD ? [selection.name.value] : [],
  );
  return names.length > 0 ? names.join(',') : 'unknown';
}

/** What a plugin's `onSubscribe` may return: the hooks of that subscription. */
type SubscribeHooks = Exclude<Awaited<ReturnType<NonNullable<Plugin['onSubscribe']>>>, void>;

/**
 * Envelop plugin (HTTP, SSE and graphql-ws alike): counts every error of a result by code and logs refusals
 * as `info` with the operation and path; counts open subscriptions per stream kind until each ends (completed,
 * returned by a closing socket, or failed).
 */
export function useOperationObservability(metrics: Metrics): Plugin {
  const report = (errors: readonly GraphQLError[] | undefined, operation: string) => {
    for (const error of errors ?? []) {
      const code = answeredCode(error);
      const refused = isRefusal({ extensions: { ...error.extensions, code } });
      metrics.graphqlError(refused ? String(code) : 'INTERNAL_SERVER_ERROR');
      // An outage or a lost race is logged once, by `maskUnavailable`, which codes it.
      if (refused && (error.extensions?.code || isArgumentRefusal(error)))
        logger.info({ code, operation, path: error.path }, `Refused: ${error.message}`);
    }
  };
  // One hooks object for every subscription (it reads the operation from its payload): envelop keeps an operation's
  // hooks for the subscription's life, an object and a closure each per idle subscriber (issue 11).
  const afterSubscribe: SubscribeHooks = {
    onSubscribeResult: ({ args, result, setResult }) => {
      const kind = rootFields(args.document, args.operationName);
      if (!(Symbol.asyncIterator in result)) {
        report(result.errors, kind);
        return;
      }
      setResult(new CountedStream(result[Symbol.asyncIterator](), metrics.subscribed(kind), report, kind));
    },
  };
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        if (!(Symbol.asyncIterator in result)) report(result.errors, rootFields(args.document, args.operationName));
      },
    }),
    onSubscribe: () => afterSubscribe,
  };
}

/**
 * A subscription's results, counted (`end` once it ends) and their errors reported: a class, so that each idle
 * subscription holds one object rather than four closures and their scopes (issue 11).
 */
class CountedStream implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly inner: AsyncIterator<ExecutionResult>,
    private readonly end: () => void,
    private readonly report: (errors: readonly GraphQLError[] | undefined, operation: string) => void,
    /** The operation's root fields, as `report` names them. */
    private readonly operation: string,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    // No async function of its own: parked on an idle stream, one was ~0.4 KB of each idle subscriber (issue 11).
    let next: Promise<IteratorResult<ExecutionResult>>;
    try {
      next = this.inner.next();
    } catch (error) {
      return Promise.reject(this.#failed(error));
    }
    return next.then(
      (step) => {
        if (step.done) this.end();
        else this.report(step.value.errors, this.operation);
        return step;
      },
      (error: unknown) => {
        throw this.#failed(error);
      },
    );
  }

  /** Counts the end and reports the error; returns it, to be rethrown. */
  #failed(error: unknown): unknown {
    this.end();
    this.report(
      [error as GraphQLError].filter((e) => typeof e === 'object' && e !== null && 'extensions' in e),
      this.operation,
    );
    return error;
  }

  async return(value?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return (await this.inner.return?.(value as never)) ?? { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    if (this.inner.throw) return this.inner.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}
