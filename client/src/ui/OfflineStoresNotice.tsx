import { useEffect, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { graphql } from '../graphql';
import { fr } from '../i18n/fr';
import { onSectionsWithdrawn } from '../withdrawals';
import { forgetUnreadableStores } from './offlineIndex';

const OFFLINE_VIEWER = graphql(`
  query OfflineViewer {
    viewer {
      id
    }
  }
`);

/**
 * At load, at sign-in and when a live event withdraws a section from them (`onSectionsWithdrawn`), deletes the
 * signed-in member's offline copies of sections they can no longer open (see
 * `forgetUnreadableStores`), and says so: edits left in such a copy are lost, never kept without the member knowing.
 * Shows nothing otherwise.
 */
export function OfflineStoresNotice() {
  const client = useClient();
  const [{ data }] = useQuery({ query: OFFLINE_VIEWER });
  const memberId = data?.viewer?.id ?? null;
  const [forgotten, setForgotten] = useState(0);

  useEffect(() => {
    if (!memberId) return;
    let live = true;
    // One sweep at a time: events during a sweep ask for one more after it, so a copy is never counted twice.
    let sweeping = false;
    let again = false;
    const forget = () => {
      if (sweeping) {
        again = true;
        return;
      }
      sweeping = true;
      void forgetUnreadableStores(client, memberId)
        .then((count) => {
          if (live && count > 0) setForgotten((before) => before + count);
        })
        .finally(() => {
          sweeping = false;
          if (again && live) {
            again = false;
            forget();
          }
        });
    };
    forget();
    const stop = onSectionsWithdrawn(forget);
    return () => {
      live = false;
      stop();
    };
  }, [client, memberId]);

  if (forgotten === 0) return null;
  return (
    <div className="container">
      <p role="status" className="tender-editor__notice" data-testid="offline-stores-forgotten">
        {fr.editor.storesForgotten(forgotten)}{' '}
        <button type="button" className="button button--small" onClick={() => setForgotten(0)}>
          {fr.editor.editDropped.dismiss}
        </button>
      </p>
    </div>
  );
}
