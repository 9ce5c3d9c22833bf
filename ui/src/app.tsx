/**
 * The dashboard's shell: reads GET /ui/api/session first; under token auth without a token it shows
 * the sign-in form; else the navigation and the page of the current route.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DashboardSession } from '../../src/app/dashboard/dashboard-api.js';
import { ApiError, configureApi, getJson } from './api.js';
import { onTokenChange, signOut, token } from './auth.js';
import { ErrorBox } from './format.js';
import { setServerNow } from './relative-time.js';
import { DecisionsPage } from './pages/decisions.js';
import { ExpiryPage } from './pages/expiry.js';
import { LoginPage } from './pages/login.js';
import { RepositoriesPage } from './pages/repositories.js';
import { RepositoryPage } from './pages/repository.js';
import { Link, useLocation } from './router.js';
import { BASE, routeOf, type Route } from './routes.js';

const NAV: { href: string; label: string; pages: Route['page'][] }[] = [
  { href: `${BASE}repositories`, label: 'Repositories', pages: ['repositories', 'repository'] },
  { href: `${BASE}expiry`, label: 'Expiry', pages: ['expiry'] },
  { href: `${BASE}decisions`, label: 'Decisions', pages: ['decisions'] },
];

export function App() {
  const [session, setSession] = useState<DashboardSession>();
  const [error, setError] = useState<unknown>();
  const [needLogin, setNeedLogin] = useState(false);
  const [tokenTick, setTokenTick] = useState(0);
  const loc = useLocation();
  const route = routeOf(loc.pathname);

  useEffect(() => onTokenChange(() => setTokenTick((n) => n + 1)), []);

  useEffect(() => {
    const ctl = new AbortController();
    getJson<DashboardSession>('/ui/api/session', ctl.signal)
      .then((s) => {
        setServerNow(s.now);
        configureApi(s, () => setNeedLogin(true));
        setSession(s);
        setNeedLogin(s.auth === 'token' && !token());
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        // a stale token in this tab's storage: drop it, which reads the session again without one
        if (e instanceof ApiError && e.status === 401 && token()) signOut();
        else setError(e);
      });
    return () => ctl.abort();
    // the session is read again whenever the token changes (the user it names changes)
  }, [tokenTick]);

  // after moving to another page, focus goes to the content (screen readers read the new page from there)
  const shownPath = useRef(loc.pathname);
  useEffect(() => {
    if (shownPath.current === loc.pathname) return;
    shownPath.current = loc.pathname;
    document.getElementById('main')?.focus();
  }, [loc.pathname]);

  useEffect(() => {
    const name = NAV.find((n) => n.pages.includes(route.page))?.label ?? 'Not found';
    document.title = `${route.page === 'repository' ? route.gun : name} · dct dashboard`;
  }, [route]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <p class="brand">
          <Link href={`${BASE}repositories`}>dct dashboard</Link>
        </p>
        <nav aria-label="Dashboard">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {session?.auth === 'token' && !needLogin && token() ? (
          <p class="user">
            <span data-testid="user">{session.user ?? 'signed in'}</span>{' '}
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </p>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {error ? (
          <ErrorBox error={error} />
        ) : !session ? (
          <p aria-busy="true">Loading…</p>
        ) : needLogin ? (
          <LoginPage session={session} onDone={() => setNeedLogin(false)} />
        ) : (
          <Page route={route} session={session} />
        )}
      </main>
    </>
  );
}

function Page({ route, session }: { route: Route; session: DashboardSession }) {
  switch (route.page) {
    case 'repositories':
      return <RepositoriesPage session={session} />;
    case 'repository':
      return <RepositoryPage gun={route.gun} session={session} />;
    case 'expiry':
      return <ExpiryPage session={session} />;
    case 'decisions':
      return <DecisionsPage />;
    case 'missing':
      return (
        <section aria-labelledby="missing-title">
          <h1 id="missing-title">Not found</h1>
          <p>
            No dashboard page at <code>{route.path}</code>. <Link href={`${BASE}repositories`}>See the repositories.</Link>
          </p>
        </section>
      );
  }
}
