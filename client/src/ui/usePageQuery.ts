import { type AnyVariables, type CombinedError, type UseQueryArgs, useQuery } from 'urql';
import { useLatest } from './useLatest';

/** A detail page's query as the page reads it: its data kept steady through live refetches (see `useLatest`). */
export interface PageQuery<Data> {
  data: Data | undefined;
  fetching: boolean;
  error: CombinedError | undefined;
  /** Asks the network again, past the cache (retry buttons, live resyncs). */
  refetch(): void;
}

/**
 * Runs a detail page's query for the entity at `key` (its ID or slug), whose answer is the root field `root`. Pair it
 * with `PageState` for what the page shows until it has the entity.
 */
export function usePageQuery<Data extends object, Variables extends AnyVariables>(
  args: UseQueryArgs<Variables, Data>,
  key: string,
  root: keyof Data,
): PageQuery<Data> {
  const [result, reexecute] = useQuery(args);
  const data = useLatest(result, key, root);
  return {
    data,
    fetching: result.fetching,
    error: result.error,
    refetch: () => reexecute({ requestPolicy: 'network-only' }),
  };
}
