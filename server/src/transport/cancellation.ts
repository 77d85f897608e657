import { type ExecutionArgs, type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { clientGoneError } from './unavailable.js';

/**
 * Envelop plugin: a query whose caller has gone stops being worked on (issue 11). The operation's connection
 * signal (live/connection.ts: the HTTP request's, aborted when its client hangs up before the answer; the SSE
 * operation's; the graphql-ws socket's) is handed to the executor (`@graphql-tools/executor` takes `signal`), which
 * then resolves no further field: statements already sent finish (Prisma takes no signal), nothing new starts.
 * The execution then ends with one `CLIENT_CLOSED_REQUEST` error instead of rejecting, so every plugin's
 * `onExecuteDone` still runs (in-flight counts, metrics, the SSE operation's release).
 *
 * Queries only: a mutation runs to its end once started, so a caller that hung up finds all of it applied
 * (its events announced, its idempotency key's answer stored), never part of a multi-field mutation.
 * Subscriptions end with their connection through the stream lifecycle already.
 */
export function useCancelWhenGone(): Plugin {
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      const connection = (args.contextValue as Partial<Context>).connection;
      if (!connection || getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      setExecuteFn(async (executeArgs: ExecutionArgs): Promise<ExecutionResult> => {
        // The executor leaves its listener on the signal until it aborts: a graphql-ws socket's outlives its many
        // operations, so each gets a signal of its own, let go with the operation.
        const own = connection.transport === 'ws' ? new AbortController() : null;
        const abort = () => own?.abort();
        if (own && connection.signal.aborted) own.abort();
        else if (own) connection.signal.addEventListener('abort', abort, { once: true });
        const signal = own?.signal ?? connection.signal;
        try {
          return (await executeFn({ ...executeArgs, signal } as ExecutionArgs)) as ExecutionResult;
        } catch (error) {
          if (signal.aborted) return { errors: [clientGoneError()] };
          throw error;
        } finally {
          if (own) connection.signal.removeEventListener('abort', abort);
        }
      });
    },
  };
}
