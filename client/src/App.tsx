import { useEffect, useEffectEvent, useState } from 'react';
import { gql, Provider, useMutation, useQuery } from 'urql';
import { createGraphqlSession, readToken, TOKEN_KEY, writeToken } from './client';
import { SignIn } from './features/auth/SignIn';
import { Directory } from './features/collectives/Directory';
import { fr } from './i18n/fr';

const VIEWER = gql<{ viewer: { id: string; displayName: string } | null }>`
  query Viewer {
    viewer {
      id
      displayName
    }
  }
`;

const SIGN_OUT = gql<{ signOut: boolean }>`
  mutation SignOut {
    signOut
  }
`;

export function App() {
  const [token, setToken] = useState(readToken);
  const [session, setSession] = useState(createGraphqlSession);
  const [notice, setNotice] = useState<string | null>(null);
  // Focus moves to the new view's heading only after a sign-in or sign-out, not on first load.
  const [moveFocus, setMoveFocus] = useState(false);

  /** Switches viewer: a fresh client, so no cached data or open WebSocket outlives the previous token. */
  function switchSession(next: string | null, message: string | null = null) {
    session.dispose();
    setSession(createGraphqlSession());
    setToken(next);
    setNotice(message);
    setMoveFocus(true);
  }

  function changeToken(next: string | null, message: string | null = null) {
    writeToken(next);
    switchSession(next, message);
  }

  // Signing in or out in another tab applies here too.
  const onStorage = useEffectEvent((event: StorageEvent) => {
    if (event.key === TOKEN_KEY || event.key === null) switchSession(readToken());
  });
  useEffect(() => {
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  return (
    <Provider value={session.client}>
      <a className="skip-link" href="#contenu">
        {fr.app.skipToContent}
      </a>
      <header className="app-header">
        <div className="container app-header__inner">
          <p className="brand">
            {fr.app.name}
            <span className="brand__tagline">{fr.app.tagline}</span>
          </p>
          {token ? <ViewerMenu onSignedOut={(message) => changeToken(null, message)} /> : null}
        </div>
      </header>
      <main id="contenu" className="container" tabIndex={-1}>
        {token ? (
          <Directory focusOnMount={moveFocus} />
        ) : (
          <SignIn onSignedIn={(next) => changeToken(next)} notice={notice} focusOnMount={moveFocus} />
        )}
      </main>
    </Provider>
  );
}

function ViewerMenu({ onSignedOut }: { onSignedOut(message?: string): void }) {
  const [{ data }] = useQuery({ query: VIEWER });
  const [{ fetching }, signOut] = useMutation(SIGN_OUT);
  const expired = data !== undefined && data.viewer === null;
  const onExpired = useEffectEvent(() => onSignedOut(fr.app.sessionExpired));

  // The server no longer knows this token (expired or revoked elsewhere): back to the sign-in form.
  useEffect(() => {
    if (expired) onExpired();
  }, [expired]);

  async function handleSignOut() {
    if (fetching) return;
    // Whatever the server answers, the token is forgotten here.
    await signOut({});
    onSignedOut();
  }

  return (
    <div className="viewer">
      {data?.viewer ? <span className="viewer__name">{fr.app.signedInAs(data.viewer.displayName)}</span> : null}
      <button type="button" className="button" aria-disabled={fetching} onClick={handleSignOut}>
        {fetching ? fr.app.signingOut : fr.app.signOut}
      </button>
    </div>
  );
}
