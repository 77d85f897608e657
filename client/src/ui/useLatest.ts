import { useRef } from 'react';

interface QueryLike<T> {
  data?: T | undefined;
  stale: boolean;
}

/**
 * The page's data, kept steady while live changes refetch it. A live event invalidates cached fields; graphcache then
 * answers from the cache with the page's root field (`root`) as null and `stale: true` until the network replies.
 * That null means "being refetched", not "not found": keep showing the last data (and keep the page's state).
 * A new key (another ID or slug) starts afresh.
 */
export function useLatest<T extends object>(result: QueryLike<T>, key: string, root: keyof T): T | undefined {
  const ref = useRef<{ key: string; value: T | undefined }>({ key, value: undefined });
  const { data } = result;
  // graphcache was also seen answering a shown entity's root as null from the cache with `stale: false` under load
  // (browser test of a collective's co-animation, 1 run in 3 with three runs side by side): an invalidation racing
  // the refetch. A null root for the same key keeps the last data; only a new key starts afresh.
  const refetching = data != null && data[root] == null;
  if (ref.current.key !== key) ref.current = { key, value: undefined };
  if (data !== undefined && !(refetching && ref.current.value)) ref.current = { key, value: data };
  return ref.current.value;
}
