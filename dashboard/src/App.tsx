// The shell: navigation, the time range, the login form when the API asks for the admin key, and
// the page for the current path.
import { useEffect, useState } from 'preact/hooks';
import { clearAdminKey, hasAdminKey, onAuthRequired } from './api.js';
import { Link, useRoute } from './router.js';
import { RANGES, type RangeName } from './range.js';
import { Login } from './pages/Login.js';
import { Overview } from './pages/Overview.js';
import { Requests } from './pages/Requests.js';
import { RequestDetail } from './pages/RequestDetail.js';
import { Routing } from './pages/Routing.js';
import { Caching } from './pages/Caching.js';
import { Batches } from './pages/Batches.js';
import { Recommendations } from './pages/Recommendations.js';
import { Estimator } from './pages/Estimator.js';
import { Keys } from './pages/Keys.js';
import { Budgets } from './pages/Budgets.js';

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/requests', label: 'Requests' },
  { to: '/routing', label: 'Routing' },
  { to: '/caching', label: 'Caching' },
  { to: '/batches', label: 'Batches' },
  { to: '/recommendations', label: 'Recommendations' },
  { to: '/keys', label: 'Keys' },
  { to: '/budgets', label: 'Budgets' },
  { to: '/estimate', label: 'Estimator' },
];

const RANGE_STORAGE = 'costwise.range';

function initialRange(): RangeName {
  const saved = localStorage.getItem(RANGE_STORAGE);
  return RANGES.some((r) => r.name === saved) ? (saved as RangeName) : '7d';
}

export function App() {
  const path = useRoute();
  const [range, setRange] = useState<RangeName>(initialRange);
  const [needsKey, setNeedsKey] = useState(false);
  // Bumped after a login, so every page fetches again with the key.
  const [session, setSession] = useState(0);
  useEffect(() => onAuthRequired(() => setNeedsKey(true)), []);
  useEffect(() => localStorage.setItem(RANGE_STORAGE, range), [range]);

  const page = (() => {
    if (path === '/' || path === '') return <Overview range={range} />;
    if (path === '/requests') return <Requests range={range} />;
    if (path.startsWith('/requests/')) return <RequestDetail id={decodeURIComponent(path.slice('/requests/'.length))} />;
    if (path === '/routing') return <Routing range={range} />;
    if (path === '/caching') return <Caching range={range} />;
    if (path === '/batches') return <Batches />;
    if (path === '/recommendations') return <Recommendations />;
    if (path === '/estimate') return <Estimator />;
    if (path === '/keys') return <Keys />;
    if (path === '/budgets') return <Budgets range={range} />;
    return (
      <p class="empty">
        No page here. <Link to="/">Back to the overview</Link>
      </p>
    );
  })();
  const section = '/' + (path.split('/')[1] ?? '');

  return (
    <div class="shell">
      <header class="top">
        <Link to="/" class="brand">
          costwise
        </Link>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} class={section === n.to ? 'active' : ''} testId={`nav-${n.label.toLowerCase()}`}>
              {n.label}
            </Link>
          ))}
        </nav>
        <label class="range">
          <span class="sr-only">Time range</span>
          <select value={range} onChange={(e) => setRange((e.target as HTMLSelectElement).value as RangeName)} data-testid="range">
            {RANGES.map((r) => (
              <option key={r.name} value={r.name}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {hasAdminKey() && (
          <button
            class="link"
            type="button"
            onClick={() => {
              clearAdminKey();
              location.reload();
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main key={session}>
        {needsKey ? (
          <Login
            onDone={() => {
              setNeedsKey(false);
              setSession((s) => s + 1);
            }}
          />
        ) : (
          page
        )}
      </main>
    </div>
  );
}
