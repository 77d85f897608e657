import { useRef } from 'react';

interface QueryLike<T> {
  data?: T | undefined;
  stale: boolean;
}

/**
 * The page's data, kept steady while live changes refetch it. A live event invalidates cached fields; graphcache then
 * answers from the cache with the page's root field (`root`) as null and `stale: true` until the network replies.
 * That null means "being refetched", not "not found": keep showing the last data (and keep the page's state).
 * A new key (another ID or slug) starts afresh. A network answer that graphcache reads back short is passed on as
 * stale and sent again (`refetchingCache` in client.ts), so a null root with `stale: false` is a real « not found ».
 */
export function useLatest<T extends object>(result: QueryLike<T>, key: string, root: keyof T): T | undefined {
  const ref = useRef<{ key: string; value: T | undefined }>({ key, value: undefined });
  const { data, stale } = result;
  const refetching = stale && data != null && data[root] == null;
  if (ref.current.key !== key) ref.current = { key, value: undefined };
  if (data !== undefined && !(refetching && ref.current.value)) ref.current = { key, value: data };
  return ref.current.value;
}
