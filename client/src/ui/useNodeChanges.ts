import { useSubscription } from 'urql';
import { graphql } from '../graphql';

const NODE_CHANGES = graphql(`
  subscription NodeChanges($id: ID!, $after: String) {
    nodeChanges(id: $id, after: $after) {
      __typename
      ... on ActivityEvent {
        position
        type
        createdAt
        subjectId
        collectiveId
      }
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`);

/**
 * Keeps a detail page live: each change to the node invalidates it in the cache (see `client.ts`),
 * and the page's query fetches just that node again.
 */
export function useNodeChanges(id: string, onResync?: () => void) {
  useSubscription({ query: NODE_CHANGES, variables: { id }, pause: !id }, (_previous, data) => {
    if (data.nodeChanges.__typename === 'ResyncRequired') onResync?.();
    return data;
  });
}
