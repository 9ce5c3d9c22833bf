/**
 * The dashboard's pages and their addresses under /ui/: which page a path shows, and the path of
 * a repository's page (deep links and reloads work: the server answers index.html for every page path).
 */
import { gunPath } from './api-paths.js';

export const BASE = '/ui/';

export type Route =
  | { page: 'repositories' }
  | { page: 'repository'; gun: string }
  | { page: 'expiry' }
  | { page: 'decisions' }
  | { page: 'missing'; path: string };

/** The page `pathname` shows; `missing` for anything else. */
export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\/ui$/, '');
  const parts = rest.split('/').filter((p) => p !== '');
  const [first] = parts;
  if (first === undefined || (first === 'repositories' && parts.length === 1)) return { page: 'repositories' };
  if (first === 'repositories') return { page: 'repository', gun: parts.slice(1).map(safeDecode).join('/') };
  if (first === 'expiry' && parts.length === 1) return { page: 'expiry' };
  if (first === 'decisions' && parts.length === 1) return { page: 'decisions' };
  return { page: 'missing', path: pathname };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The path of a repository's page: each segment of the GUN escaped, the slashes kept. */
export function repositoryHref(gun: string): string {
  return `${BASE}repositories/${gunPath(gun)}`;
}
