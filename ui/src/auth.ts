/**
 * The dashboard's bearer token under token auth: kept in sessionStorage (gone with the tab), sent as
 * `Authorization: Bearer`, renewed on a 401 with the credentials typed in this page's life (kept in
 * memory only, never stored). Without them a 401 asks the user to sign in again.
 */
import type { DashboardSession } from '../../src/app/dashboard/dashboard-api.js';
import { tokenOfAnswer, tokenRequest } from './token-request.js';

const KEY = 'dct.dashboard.token';

interface Credentials {
  user: string;
  password: string;
}

let credentials: Credentials | undefined;
const listeners = new Set<() => void>();

export function token(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function setToken(value: string | undefined): void {
  try {
    if (value === undefined) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, value);
  } catch {
    // storage refused (private mode): the token lives as long as the page then
  }
  for (const l of listeners) l();
}

/** Calls `listener` whenever the token changes (signed in, renewed, signed out). */
export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Uses a pasted bearer token. */
export function adoptBearer(value: string): void {
  credentials = undefined;
  setToken(value.trim().replace(/^Bearer\s+/i, ''));
}

export function signOut(): void {
  credentials = undefined;
  setToken(undefined);
}

/** Gets a token from the session's realm with Basic auth (the docker registry token flow). */
export async function signIn(session: DashboardSession, user: string, password: string): Promise<void> {
  const got = await fetchToken(session, { user, password });
  credentials = { user, password };
  setToken(got);
}

/** After a 401: a new token with the remembered credentials; false when there are none or they fail. */
export async function renew(session: DashboardSession): Promise<boolean> {
  if (!credentials) return false;
  try {
    setToken(await fetchToken(session, credentials));
    return true;
  } catch {
    credentials = undefined;
    return false;
  }
}

async function fetchToken(session: DashboardSession, c: Credentials): Promise<string> {
  const { url, headers } = tokenRequest(session, c.user, c.password, location.href);
  const res = await fetch(url, { headers, credentials: 'omit', cache: 'no-store' });
  // the body matters only in a 2xx answer
  const body: unknown = res.ok ? await res.json().catch(() => undefined) : undefined;
  return tokenOfAnswer(res.status, body);
}
