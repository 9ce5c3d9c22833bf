/** The addresses of the dashboard's API routes: query strings and GUNs in paths. */

/** A query string of the defined, non-empty values (`?a=1&b=x`), or '' when there are none. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A GUN as a path (`/ui/api/repositories/<gun>`): each segment escaped, the slashes kept. */
export function gunPath(gun: string): string {
  return gun.split('/').map(encodeURIComponent).join('/');
}
