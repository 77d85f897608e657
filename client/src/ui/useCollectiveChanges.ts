import { useEffect, useEffectEvent } from 'react';
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
