import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { type LiveState, liveStatusOf } from '../client';
import { fr } from '../i18n/fr';

/** The state of the page's live connection, re-rendered on every change. */
export function useLiveState(): LiveState {
  const status = liveStatusOf(useClient());
  const [state, setState] = useState(status.state);
  useEffect(() => {
    setState(status.state);
    return status.listen(setState);
  }, [status]);
  return state;
}

/**
 * Says, above every screen, that the live connection dropped and is being re-established (issue 10 item
 * 10): the dashboard, the feed, a collective's activity and the editor all depend on it. Hidden otherwise;
 * its `data-state` always tells the connection's state.
 */
export function LiveStatusNotice() {
  const state = useLiveState();
  return (
    <p className="live-status" role="status" data-testid="live-status" data-state={state} hidden={state !== 'reconnecting'}>
      {state === 'reconnecting' ? fr.app.reconnecting : null}
    </p>
  );
}
