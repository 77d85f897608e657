import { useEffect, useEffectEvent, useRef } from 'react';
import { useSubscription } from 'urql';
import { graphql } from '../graphql';

const COLLECTIVE_CHANGES = graphql(`
  subscription CollectiveChanges($collectiveId: ID!) {
    collectiveActivity(collectiveId: $collectiveId) {
      __typename
      ... on ActivityEvent {
        position
        type
        subjectId
        collectiveId
        # A section's recount carries its figures: the cache takes them in place (client.ts, applyLiveEvent).
        payload
      }
      ... on ResyncRequired {
        reason
      }
    }
  }
`);

/**
 * Calls `onChange` for each event of the collective whose type is in one of `families` (`brand`, `product`…), and
 * after a resync. For pages whose parts are subjects of their own (a brand's usage-rule versions and authorised users,
 * a product's sales): the node's own changes do not name them.
 */
export function useCollectiveChanges(collectiveId: string | null | undefined, families: readonly string[], onChange: () => void) {
  const [{ data }] = useSubscription({
    query: COLLECTIVE_CHANGES,
    variables: { collectiveId: collectiveId ?? '' },
    pause: !collectiveId,
  });
  const message = data?.collectiveActivity;
  const key = message?.__typename === 'ActivityEvent' ? message.position : message ? `resync:${message.reason}` : null;
  const type = message?.__typename === 'ActivityEvent' ? message.type : null;
  const changed = useEffectEvent(() => {
    if (type === null || families.includes(type.split('.')[0] ?? '')) onChange();
  });
  useEffect(() => {
    if (key) changed();
  }, [key]);
}

// Opportunities belong to no collective and name no one: the dashboard's stream, pushed after every burst of
// changes the viewer may see, is where their events arrive.
const PUBLIC_CHANGES = graphql(`
  subscription PublicChanges {
    dashboard(withinDays: 0) {
      position
      recentActivity {
        position
        type
      }
    }
  }
`);

/**
 * Calls `onChange` once for each burst of changes that holds an event of one of `families` not seen before (the
 * first snapshot only records what is there): for lists of things outside any collective (the opportunities).
 */
export function usePublicChanges(families: readonly string[], onChange: () => void) {
  const [{ data }] = useSubscription({ query: PUBLIC_CHANGES });
  const seen = useRef<Set<string> | null>(null);
  const position = data?.dashboard.position ?? null;
  const changed = useEffectEvent(() => {
    const events = data?.dashboard.recentActivity ?? [];
    const fresh = events.filter(
      (event) => families.includes(event.type.split('.')[0] ?? '') && !seen.current?.has(event.position),
    );
    const first = seen.current === null;
    seen.current ??= new Set();
    for (const event of events) seen.current.add(event.position);
    if (!first && fresh.length > 0) onChange();
  });
  useEffect(() => {
    if (position) changed();
  }, [position]);
}
