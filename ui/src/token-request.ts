/**
 * The docker registry token flow as the dashboard uses it, without the browser: the request for a
 * token at the session's realm (Basic credentials, the service, the account, the scope the
 * decision feed needs) and the token read from the realm's answer.
 */
import type { DashboardSession } from '../../src/app/dashboard/dashboard-api.js';

export class SignInError extends Error {}

/** The realm's address (relative to `base`, the page's) and the headers that ask it for a token. */
export function tokenRequest(
  session: DashboardSession,
  user: string,
  password: string,
  base: string,
): { url: URL; headers: Record<string, string> } {
  if (!session.realm) throw new SignInError('The server names no token realm.');
  const url = new URL(session.realm, base);
  if (session.service) url.searchParams.set('service', session.service);
  url.searchParams.set('account', user);
  // the decision feed needs the audit feed's access; the issuer grants only what the user's rules allow
  url.searchParams.set('scope', 'registry:catalog:*');
  // Basic credentials are the UTF-8 bytes of user:password in base64
  const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)));
  return { url, headers: { Authorization: `Basic ${basic}` } };
}

/** The token in the realm's answer (`token`, or OAuth's `access_token`); a SignInError saying why there is none. */
export function tokenOfAnswer(status: number, body: unknown): string {
  if (status === 401) throw new SignInError('Wrong username or password.');
  if (status < 200 || status > 299) throw new SignInError(`The token realm answered ${status}.`);
  const b = (typeof body === 'object' && body !== null ? body : {}) as { token?: unknown; access_token?: unknown };
  const t = typeof b.token === 'string' && b.token ? b.token : b.access_token;
  if (typeof t !== 'string' || !t) throw new SignInError('The token realm answered no token.');
  return t;
}
