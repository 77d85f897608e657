import { type ComponentType, lazy, Suspense, useEffect, useEffectEvent, useRef, useState } from 'react';
import { BrowserRouter, Link, NavLink, Route, Routes, useLocation, useParams } from 'react-router';
import { Provider, useMutation, useQuery } from 'urql';
import { createGraphqlSession, type GraphqlSession, readToken, TOKEN_KEY, writeToken } from './client';
import { SignIn } from './features/auth/SignIn';
import { Directory } from './features/collectives/Directory';
import { graphql } from './graphql';
import { fr } from './i18n/fr';
import { LiveStatusNotice } from './ui/LiveStatus';
import { OfflineStoresNotice } from './ui/OfflineStoresNotice';
import { wipeOfflineStores } from './ui/offlineIndex';
import { NotFoundPage } from './ui/QueryState';
import { SessionContext } from './ui/session';

/** A screen loaded on first visit: the directory comes with the app, every other screen is its own chunk. */
function screen<Name extends string>(load: () => Promise<Record<Name, ComponentType>>, name: Name) {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const CollectivePage = screen(() => import('./features/collectives/CollectivePage'), 'CollectivePage');
const CreateCollective = screen(() => import('./features/collectives/CreateCollective'), 'CreateCollective');
const SectorTools = screen(() => import('./features/sector/SectorTools'), 'SectorTools');
const OpportunitiesPage = screen(() => import('./features/deals/OpportunityPage'), 'OpportunitiesPage');
const OpportunityPage = screen(() => import('./features/deals/OpportunityPage'), 'OpportunityPage');
const CreateOpportunityPage = screen(() => import('./features/deals/OpportunityForms'), 'CreateOpportunityPage');
const DealPage = screen(() => import('./features/deals/DealPage'), 'DealPage');
const StandPage = screen(() => import('./features/resources/StandPage'), 'StandPage');
const BrandPage = screen(() => import('./features/resources/BrandPage'), 'BrandPage');
const ProductPage = screen(() => import('./features/resources/ProductPage'), 'ProductPage');
const MyFeed = screen(() => import('./features/feed/MyFeed'), 'MyFeed');
const Dashboard = screen(() => import('./features/dashboard/Dashboard'), 'Dashboard');
const MemberDirectory = screen(() => import('./features/members/MemberDirectory'), 'MemberDirectory');
const MemberPage = screen(() => import('./features/members/MemberPage'), 'MemberPage');
const MyProfile = screen(() => import('./features/members/MyProfile'), 'MyProfile');
const NodeRedirect = screen(() => import('./features/nodes/NodeRedirect'), 'NodeRedirect');
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
    // Signing out (or a session over) takes this browser's offline copies of sections with it.
    if (next === null) void wipeOfflineStores();
    writeToken(next);
    switchSession(next, message);
  }

  const sessionActions = { endSession: (message?: string) => changeToken(null, message ?? null) };

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
      {token ? <LiveStatusNotice /> : null}
      {token ? <OfflineStoresNotice /> : null}
      <main id="contenu" className="container" tabIndex={-1}>
        {token ? (
          <SessionContext value={sessionActions}>
            <AppRoutes moveFocus={moveFocus} />
          </SessionContext>
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
    ['/membres', fr.nav.members],
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
        <Route path="/opportunites/nouvelle" element={<CreateOpportunityPage />} />
        <Route path="/membres" element={<MemberDirectory />} />
        <Route path="/membres/:id" element={<MemberPage />} />
        <Route path="/profil" element={<MyProfile />} />
        <Route path="/objet/:id" element={<NodeRedirect />} />
        <Route path="/opportunites/:id" element={<OpportunityPage />} />
        <Route path="/affaires/:id" element={<DealPage />} />
        <Route path="/reponses/:id" element={<TenderResponseRoute />} />
        <Route path="/stands/:id" element={<StandPage />} />
        <Route path="/marques/:id" element={<BrandPage />} />
        <Route path="/produits/:id" element={<ProductPage />} />
        <Route path="/fil" element={<MyFeed />} />
        <Route path="/tableau-de-bord" element={<Dashboard />} />
        <Route path="*" element={<NotFoundPage />} />
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
      {data?.viewer ? (
        <Link className="viewer__name" to="/profil" title={fr.app.myProfile} data-testid="my-profile-link">
          {fr.app.signedInAs(data.viewer.displayName)}
        </Link>
      ) : null}
      <button type="button" className="button" aria-disabled={fetching} onClick={handleSignOut}>
        {fetching ? fr.app.signingOut : fr.app.signOut}
      </button>
    </div>
  );
}
