import { useEffect, useRef, useState } from 'react';
import { type CombinedError, useQuery, useSubscription } from 'urql';
import { graphql } from '../graphql';
import type { FeedEvent } from './ActivityFeed';

/** What a screen shows of an event, read the same way from the history and from both live streams. */
const EVENT_FIELDS = graphql(`
  fragment ActivityEventFields on ActivityEvent @_unmask {
    position
    type
    createdAt
    subjectId
    collectiveId
    payload
    actor {
      id
      displayName
    }
  }
`);

const HISTORY = graphql(
  `
  query ActivityHistory($collectiveId: ID, $concerningMe: Boolean, $first: Int!, $after: String) {
    activity(collectiveId: $collectiveId, concerningMe: $concerningMe, first: $first, after: $after) {
      livePosition
      edges {
        node {
          ...ActivityEventFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`,
  [EVENT_FIELDS],
);

const COLLECTIVE_LIVE = graphql(
  `
  subscription CollectiveActivity($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) {
      __typename
      ...ActivityEventFields
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`,
  [EVENT_FIELDS],
);

const FEED_LIVE = graphql(
  `
  subscription MyFeed($after: String) {
    myFeed(after: $after) {
      __typename
      ...ActivityEventFields
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`,
  [EVENT_FIELDS],
);

const PAGE = 20;
/** Empty pages the history reads on by itself before waiting for « plus anciens » (each reads up to 5,000 log rows). */
const MAX_EMPTY_READS = 10;

export interface ActivityState {
  events: FeedEvent[];
  /** The history is loaded and the live stream asked for. */
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder(): void;
  /** The live stream fell behind or resumed from too far back: the history was read again. */
  resynced: boolean;
  error: boolean;
  /** The viewer may not follow this activity (a business collective they are not in): hidden, not empty. */
  forbidden: boolean;
}

/** Whether an error is the server refusing the viewer this activity (FORBIDDEN), rather than a failure. */
function isForbidden(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((graphQLError) => graphQLError.extensions?.code === 'FORBIDDEN');
}

function merge(current: readonly FeedEvent[], incoming: readonly FeedEvent[]): FeedEvent[] {
  const byPosition = new Map(current.map((event) => [event.position, event]));
  for (const event of incoming) byPosition.set(event.position, event);
  return [...byPosition.values()].sort((a, b) => (BigInt(b.position) > BigInt(a.position) ? 1 : -1));
}

/**
 * A page's activity: what happened before it opened (the event log's history, newest first, paged back on demand),
 * then what happens live, from the position the history was read at, so nothing falls between the two.
 * `source` is a collective (its activity) or the viewer's own feed; `onEvent` hears each live event.
 */
export function useActivity(
  source: { collectiveId: string } | { feed: true },
  onEvent?: (event: FeedEvent) => void,
): ActivityState {
  const collectiveId = 'collectiveId' in source ? source.collectiveId : null;
  // One pager: the page asked for (null: the newest, then each older page's cursor), read by one query, each
  // page read merged into `history`.
  const [pageAfter, setPageAfter] = useState<string | null>(null);
  const [{ data, error, fetching, operation }, reexecute] = useQuery({
    query: HISTORY,
    variables: { collectiveId, concerningMe: collectiveId ? null : true, first: PAGE, after: pageAfter },
    requestPolicy: 'network-only',
  });
  const [history, setHistory] = useState<FeedEvent[]>([]);
  const [live, setLive] = useState<FeedEvent[]>([]);
  const [cursor, setCursor] = useState<{ endCursor: string | null; hasNextPage: boolean } | null>(null);
  const [resynced, setResynced] = useState(false);
  // Go live once, from where the newest page's read stopped: a later re-read (the cache refreshing it) must not
  // restart the stream. A resync starts over.
  const [after, setAfter] = useState<string | null>(null);
  // After a resync the next newest page replaces the history (kept on screen until then) instead of adding to it.
  const replace = useRef(false);

  // Only the page asked for: the result of the one before may still be there while it is read.
  const page = operation?.variables.after === pageAfter ? data?.activity : undefined;
  // Pages read in a row that held nothing for this viewer (see below).
  const emptyReads = useRef(0);
  useEffect(() => {
    if (!page) return;
    const events = page.edges.map((edge) => edge.node);
    if (replace.current) {
      replace.current = false;
      setHistory(events);
    } else setHistory((current) => merge(current, events));
    setCursor(page.pageInfo);
    setAfter((current) => current ?? page.livePosition);
    // The server reads a bounded stretch of the log per page: past a long run of events this viewer may not see, a
    // page comes back empty with a cursor to go on from. Go on by itself (a few times) rather than show nothing.
    emptyReads.current = events.length === 0 ? emptyReads.current + 1 : 0;
    const { hasNextPage, endCursor } = page.pageInfo;
    if (events.length === 0 && hasNextPage && endCursor && emptyReads.current <= MAX_EMPTY_READS) setPageAfter(endCursor);
  }, [page]);

  const onMessage = (message: { __typename: string } & Partial<FeedEvent>) => {
    if (message.__typename === 'ActivityEvent') {
      const event = message as FeedEvent;
      setLive((current) => merge(current, [event]));
      onEvent?.(event);
      return;
    }
    // Missed events cannot be replayed: read the newest page again and go live from there.
    setResynced(true);
    setLive([]);
    setCursor(null);
    setAfter(null);
    replace.current = true;
    if (pageAfter === null) reexecute({ requestPolicy: 'network-only' });
    else setPageAfter(null);
  };
  const pause = after === null;
  const [collectiveStream] = useSubscription(
    { query: COLLECTIVE_LIVE, variables: { collectiveId: collectiveId ?? '', after }, pause: pause || !collectiveId },
    (_previous, next) => {
      onMessage(next.collectiveActivity);
      return next;
    },
  );
  const [feedStream] = useSubscription(
    { query: FEED_LIVE, variables: { after }, pause: pause || !!collectiveId },
    (_previous, next) => {
      onMessage(next.myFeed);
      return next;
    },
  );

  const loadingOlder = fetching && pageAfter !== null;
  return {
    events: merge(history, live),
    loaded: after !== null || history.length > 0,
    hasOlder: cursor?.hasNextPage ?? false,
    loadingOlder,
    loadOlder: () => {
      if (!cursor?.hasNextPage || !cursor.endCursor || loadingOlder) return;
      // The same cursor again: that page's read failed, so it is read again.
      if (cursor.endCursor === pageAfter) reexecute({ requestPolicy: 'network-only' });
      else setPageAfter(cursor.endCursor);
    },
    resynced,
    error: !!error || !!collectiveStream.error || !!feedStream.error,
    forbidden: isForbidden(error) || isForbidden(collectiveStream.error),
  };
}
