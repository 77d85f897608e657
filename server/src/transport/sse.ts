import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { logger } from '../observability/log.js';
import { GRAPHQL_PATH } from './websocket.js';

/**
 * Where the `graphql-sse` protocol is served, in both its modes (github.com/enisdenjo/graphql-sse PROTOCOL.md):
 * "single connection" (PUT reserves a stream and answers its token, an `Accept: text/event-stream` request with
 * the token opens it, each operation is then a POST carrying the token and comes back on that one stream, and
 * DELETE `?operationId=` completes one), which browsers need beyond six streams per origin over HTTP/1.1; and
 * "distinct connections" (one `text/event-stream` request per operation), as on `/graphql` itself.
 */
export const SSE_STREAM_PATH = `${GRAPHQL_PATH}/stream`;

/** The header carrying a single-connection stream's token (graphql-sse's `TOKEN_HEADER_KEY`). */
const TOKEN_HEADER = 'x-graphql-event-stream-token';

/**
 * What the context factory is handed for an operation posted onto a single-connection stream: its request is
 * answered at once (202), so the operation's connection is not the request but this controller, aborted when the
 * operation completes, is completed by the client (DELETE), or its stream closes.
 */
export interface SseOperationContext {
  sseOperation?: AbortController;
}

/**
 * An async iterable whose end, however it comes (completed, returned by a DELETE or a closed stream, thrown),
 * aborts `operation` first: the stream generators wait on their connection's signal, so aborting is what lets a
 * `return()` through while they wait for the next event. A stream that ends with an error (SESSION_REVOKED,
 * ACCESS_REVOKED…) delivers it as its last result, as graphql-ws and SSE on /graphql do: thrown, it would end the
 * whole shared event stream, every other operation on it included.
 */
function releasing(
  source: AsyncIterable<ExecutionResult>,
  operation: AbortController,
): AsyncGenerator<ExecutionResult, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const release = () => {
    ended = true;
    operation.abort();
  };
  const done = { done: true, value: undefined } as const;
  const generator: AsyncGenerator<ExecutionResult, undefined> = {
    [Symbol.asyncIterator]: () => generator,
    async next() {
      if (ended) return done;
      try {
        const step = await iterator.next();
        if (!step.done) return step;
        release();
        return done;
      } catch (error) {
        release();
        if (!(error instanceof GraphQLError)) logger.error({ err: error }, 'A stream over graphql-sse failed');
        const reported =
          error instanceof GraphQLError
            ? error
            : createGraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
        return { done: false, value: { data: null, errors: [reported] } };
      }
    },
    async return() {
      release();
      await iterator.return?.();
      return done;
    },
    async throw(error: unknown) {
      release();
      await iterator.return?.();
      throw error;
    },
  };
  return generator;
}

const isAsyncIterable = <T>(value: unknown): value is AsyncIterable<T> =>
  typeof Object(value)[Symbol.asyncIterator] === 'function';

/**
 * GraphQL over SSE in the `graphql-sse` protocol at `SSE_STREAM_PATH`, single-connection mode included
 * (`@graphql-yoga/plugin-graphql-sse`). Each operation posted onto a stream is a connection of transport `sse` of
 * its own (the session read from its own bearer token, per-member SSE stream limits, the lifecycle's
 * re-authorisation and release), released when it completes, is completed by the client (DELETE), its POST is
 * abandoned before it is answered, or its stream closes.
 *
 * `operations` goes first in Yoga's plugins (its result hooks then see the refusals of every later plugin),
 * `endpoint` last (it answers the requests of its path).
 */
export function useSingleConnectionSse(): { operations: Plugin<SseOperationContext>; endpoint: Plugin } {
  const answered = new WeakSet<Request>();
  const operations: Plugin<SseOperationContext> = {
    onRequest({ request, serverContext }) {
      if (!new URL(request.url).pathname.endsWith(SSE_STREAM_PATH)) return;
      const accept = request.headers.get('accept') ?? '';
      // An operation posted onto a registered stream (the stream itself asks for text/event-stream).
      if (!['POST', 'GET'].includes(request.method) || !request.headers.has(TOKEN_HEADER) || accept === 'text/event-stream')
        return;
      const operation = new AbortController();
      (serverContext as SseOperationContext).sseOperation = operation;
      // The client gave up before its 202 (graphql-sse's client then sends no DELETE): nobody will complete it.
      request.signal.addEventListener('abort', () => answered.has(request) || operation.abort(), { once: true });
    },
    onResponse({ request }) {
      answered.add(request);
    },
    onSubscribe({ args }) {
      const operation = (args.contextValue as SseOperationContext).sseOperation;
      if (!operation) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return setResult(releasing(result, operation));
          operation.abort();
          // graphql-sse reads a result without `data` (a refusal: {errors}) as arguments to execute, and answers 400.
          if (!('data' in result)) setResult({ data: null, ...result });
        },
      };
    },
    onExecute({ args }) {
      const operation = (args.contextValue as SseOperationContext).sseOperation;
      if (!operation) return;
      return {
        onExecuteDone({ result, setResult }) {
          operation.abort();
          if (!isAsyncIterable(result) && !('data' in result)) setResult({ data: null, ...result });
        },
      };
    },
  };
  return { operations, endpoint: useGraphQLSSE({ endpoint: SSE_STREAM_PATH }) };
}
