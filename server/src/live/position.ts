import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import type { EventBus } from '../events/bus.js';

/** The response extension that tells a query's log position (issue 10 item 9). */
export const LIVE_POSITION = 'livePosition';

/**
 * Adds `extensions.livePosition` to every query and mutation result (HTTP, SSE and graphql-ws alike): the
 * event log's position this instance had delivered up to when the operation started. It is read before any
 * data, from memory (no SQL), and every event up to it was committed before, so the data reflects at least
 * that position: a client that subscribes with `after: livePosition` misses nothing between its query and
 * its subscription (it may see again an event the data already shows, which an event-driven cache absorbs).
 * Only signed-in callers get it: polled anonymously, the position would tell anyone the cooperative's activity
 * rate, business collectives' included, and an anonymous caller can subscribe to nothing.
 */
export function useLivePosition(events: EventBus): Plugin {
  return {
    onExecute: ({ args }) => {
      if (!(args.contextValue as Partial<Context>).session) return;
      if (getOperationAST(args.document, args.operationName)?.operation === 'subscription') return;
      const position = events.position.toString();
      return {
        onExecuteDone: ({ result, setResult }) => {
          // Incremental delivery (defer/stream) is not used by this API: only whole results get the position.
          if (Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, [LIVE_POSITION]: position } });
        },
      };
    },
  };
}
