/**
 * Reads the dashboard's JSON API (src/app/dashboard/dashboard-api.ts) with the bearer token when there
 * is one; a 401 renews the token once and retries, else reports that signing in is needed.
 */
import type { DashboardSession } from '../../src/app/dashboard/dashboard-api.js';
import { renew, token } from './auth.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

let session: DashboardSession | undefined;
let onUnauthorized: () => void = () => {};

/** The session every later call renews its token with, and what to do when renewing fails. */
export function configureApi(s: DashboardSession, unauthorized: () => void): void {
  session = s;
  onUnauthorized = unauthorized;
}

function headersWith(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

/** fetch() with the token; one renewal on a 401. */
export async function apiFetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  const go = () => fetch(path, { ...init, headers: headersWith(init.headers), credentials: 'omit' });
  let res = await go();
  if (res.status === 401 && !lacksScope(res) && session && (await renew(session))) res = await go();
  if (res.status === 401 && !lacksScope(res)) onUnauthorized();
  return res;
}

/** A 401 for a valid token without the access asked (the decision feed): signing in again would not help. */
export function lacksScope(res: Response): boolean {
  return res.status === 401 && /error="insufficient_scope"/.test(res.headers.get('WWW-Authenticate') ?? '');
}

/** GET of a JSON route; a non-2xx answer throws ApiError with notary's error code and message. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await apiFetch(path, { headers: { Accept: 'application/json' }, ...(signal ? { signal } : {}) });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

async function errorOf(res: Response): Promise<ApiError> {
  if (lacksScope(res)) return new ApiError(403, "Your account may not read this: it needs the audit feed's access.", 'DENIED');
  try {
    const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return new ApiError(res.status, e.message ?? e.code ?? `HTTP ${res.status}`, e.code);
  } catch {
    // not JSON
  }
  return new ApiError(res.status, res.status === 401 ? 'Sign in to see this.' : `The server answered ${res.status} ${res.statusText}.`);
}
