import { useEffect, useState } from 'react';
import { type CombinedError, useClient, useQuery, useSubscription } from 'urql';
import { graphql } from '../graphql';
import type { FeedEvent } from './ActivityFeed';

const HISTORY = graphql(`
  query ActivityHistory($collectiveId: ID, $concerningMe: Boolean, $first: Int!, $after: String) {
    activity(collectiveId: $collectiveId, concerningMe: $concerningMe, first: $first, after: $after) {
      livePosition
      edges {
        node {
          position
          type
          createdAt
          subjectId
          collectiveId
          actor {
            id
            displayName
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const COLLECTIVE_LIVE = graphql(`
  subscription CollectiveActivity($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) {
      __typename
      ... on ActivityEvent {
        position
        type
        createdAt
        subjectId
        collectiveId
        actor {
          id
          displayName
        }
      }
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`);

const FEED_LIVE = graphql(`
  subscription MyFeed($after: String) {
    myFeed(after: $after) {
      __typename
      ... on ActivityEvent {
        position
        type
        createdAt
        subjectId
        collectiveId
        actor {
          id
          displayName
        }
      }
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`);

const PAGE = 20;

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
  const client = useClient();
  const collectiveId = 'collectiveId' in source ? source.collectiveId : null;
  const [{ data, error }, reexecute] = useQuery({
    query: HISTORY,
    variables: { collectiveId, concerningMe: collectiveId ? null : true, first: PAGE, after: null },
    requestPolicy: 'network-only',
  });
  const [older, setOlder] = useState<FeedEvent[]>([]);
  const [live, setLive] = useState<FeedEvent[]>([]);
  const [cursor, setCursor] = useState<{ endCursor: string | null; hasNextPage: boolean } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [resynced, setResynced] = useState(false);
  const history = data?.activity;
  // Go live once, from where the first history read stopped: a later re-read (the cache refreshing it) must not
  // restart the stream. A resync starts over.
  const [after, setAfter] = useState<string | null>(null);

  useEffect(() => {
    if (!history) return;
    setCursor((current) => current ?? history.pageInfo);
    setAfter((current) => current ?? history.livePosition);
  }, [history]);

  const onMessage = (message: { __typename: string } & Partial<FeedEvent>) => {
    if (message.__typename === 'ActivityEvent') {
      const event = message as FeedEvent;
      setLive((current) => merge(current, [event]));
      onEvent?.(event);
    } else {
      // Missed events cannot be replayed: read the history again and go live from there.
      setResynced(true);
      setLive([]);
      setOlder([]);
      setCursor(null);
      setAfter(null);
      reexecute({ requestPolicy: 'network-only' });
    }
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

  async function loadOlder() {
    if (!cursor?.hasNextPage || loadingOlder) return;
    setLoadingOlder(true);
    const result = await client
      .query(HISTORY, { collectiveId, concerningMe: collectiveId ? null : true, first: PAGE, after: cursor.endCursor })
      .toPromise();
    setLoadingOlder(false);
    const page = result.data?.activity;
    if (!page) return;
    setOlder((current) =>
      merge(
        current,
        page.edges.map((edge) => edge.node),
      ),
    );
    setCursor(page.pageInfo);
  }

  const events = merge(merge(history?.edges.map((edge) => edge.node) ?? [], older), live);
  return {
    events,
    loaded: !!history,
    hasOlder: cursor?.hasNextPage ?? false,
    loadingOlder,
    loadOlder: () => void loadOlder(),
    resynced,
    error: !!error || !!collectiveStream.error || !!feedStream.error,
    forbidden: isForbidden(error) || isForbidden(collectiveStream.error),
  };
}
