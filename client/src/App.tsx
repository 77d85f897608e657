import { lazy, Suspense, useEffect, useEffectEvent, useRef, useState } from 'react';
import { BrowserRouter, NavLink, Route, Routes, useLocation, useParams } from 'react-router';
import { Provider, useMutation, useQuery } from 'urql';
import { createGraphqlSession, type GraphqlSession, readToken, TOKEN_KEY, writeToken } from './client';
import { SignIn } from './features/auth/SignIn';
import { CollectivePage } from './features/collectives/CollectivePage';
import { CreateCollective } from './features/collectives/CreateCollective';
import { Directory } from './features/collectives/Directory';
import { DealPage } from './features/deals/DealPage';
import { OpportunitiesPage, OpportunityPage } from './features/deals/OpportunityPage';
import { MyFeed } from './features/feed/MyFeed';
import { BrandPage } from './features/resources/BrandPage';
import { ProductPage } from './features/resources/ProductPage';
import { StandPage } from './features/resources/StandPage';
import { SectorTools } from './features/sector/SectorTools';
import { graphql } from './graphql';
import { fr } from './i18n/fr';
import { NotFound } from './ui/QueryState';

// The heavy screens (charts, the co-editor) load on first visit.
const Dashboard = lazy(() => import('./features/dashboard/Dashboard').then((module) => ({ default: module.Dashboard })));
const TenderResponsePage = lazy(() =>
  import('./features/editor/TenderResponsePage').then((module) => ({ default: module.TenderResponsePage })),
);

const VIEWER = graphql(`
  query Viewer {
    viewer {
      id
      displayName
    }
  }
`);

const SIGN_OUT = graphql(`
  mutation SignOut {
    signOut
  }
`);

export function App() {
  return (
    <BrowserRouter>
      <Session />
    </BrowserRouter>
  );
}

/** Holds the token and the urql client built for it; a lost session sends the viewer back to the sign-in form. */
function Session() {
  const [token, setToken] = useState(readToken);
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const [notice, setNotice] = useState<string | null>(null);
  // Focus moves to the new view's heading only after a sign-in or sign-out, not on first load.
  const [moveFocus, setMoveFocus] = useState(false);

  const onSessionLost = useEffectEvent(() => {
    if (tokenRef.current) changeToken(null, fr.app.sessionExpired);
  });
  const [session, setSession] = useState<GraphqlSession>(() =>
    createGraphqlSession({ getToken: () => tokenRef.current, onSessionLost: () => queueMicrotask(onSessionLost) }),
  );

  /** Switches viewer: a fresh client, so no cached data or open WebSocket outlives the previous token. */
  function switchSession(next: string | null, message: string | null = null) {
    session.dispose();
    tokenRef.current = next;
    setSession(createGraphqlSession({ getToken: () => tokenRef.current, onSessionLost: () => queueMicrotask(onSessionLost) }));
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
        {token ? <MainNav /> : null}
      </header>
      <main id="contenu" className="container" tabIndex={-1}>
        {token ? (
          <AppRoutes moveFocus={moveFocus} />
        ) : (
          <SignIn onSignedIn={(next) => changeToken(next)} notice={notice} focusOnMount={moveFocus} />
        )}
      </main>
    </Provider>
  );
}

function MainNav() {
  const links: [string, string][] = [
    ['/', fr.nav.directory],
    ['/opportunites', fr.nav.opportunities],
    ['/tableau-de-bord', fr.nav.dashboard],
    ['/fil', fr.nav.feed],
    ['/collectifs/nouveau', fr.nav.propose],
  ];
  return (
    <nav className="main-nav" aria-label={fr.nav.label}>
      <ul className="container main-nav__list">
        {links.map(([to, text]) => (
          <li key={to}>
            <NavLink to={to} end={to === '/'}>
              {text}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Focus the main region after client-side navigation so keyboard users start at the new page. */
function useFocusOnNavigate() {
  const { pathname } = useLocation();
  const previous = useRef(pathname);
  useEffect(() => {
    if (previous.current === pathname) return;
    previous.current = pathname;
    const heading = document.querySelector<HTMLElement>('main h1');
    (heading ?? document.getElementById('contenu'))?.focus();
  }, [pathname]);
}

function AppRoutes({ moveFocus }: { moveFocus: boolean }) {
  useFocusOnNavigate();
  return (
    <Suspense
      fallback={
        <p className="muted" role="status">
          {fr.common.loading}
        </p>
      }
    >
      <Routes>
        <Route path="/" element={<Directory focusOnMount={moveFocus} />} />
        <Route path="/collectifs" element={<Directory focusOnMount={moveFocus} />} />
        <Route path="/collectifs/nouveau" element={<CreateCollective />} />
        <Route path="/collectifs/:slug" element={<CollectivePage />} />
        <Route path="/collectifs/:slug/outils" element={<SectorTools />} />
        <Route path="/opportunites" element={<OpportunitiesPage />} />
        <Route path="/opportunites/:id" element={<OpportunityPage />} />
        <Route path="/affaires/:id" element={<DealPage />} />
        <Route path="/reponses/:id" element={<TenderResponseRoute />} />
        <Route path="/stands/:id" element={<StandPage />} />
        <Route path="/marques/:id" element={<BrandPage />} />
        <Route path="/produits/:id" element={<ProductPage />} />
        <Route path="/fil" element={<MyFeed />} />
        <Route path="/tableau-de-bord" element={<Dashboard />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Suspense>
  );
}

function TenderResponseRoute() {
  const { id = '' } = useParams();
  return <TenderResponsePage key={id} responseId={id} />;
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
