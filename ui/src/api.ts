/**
 * Reads the dashboard's JSON API (src/app/dashboard/dashboard-api.ts) with the bearer token when there
 * is one; a 401 renews the token (one renewal for all the calls that failed together, see
 * token-renewal.ts) and retries, else reports that signing in is needed.
 */
import type { DashboardSession } from '../../src/app/dashboard/dashboard-api.js';
import { onTokenChange, renew, token } from './auth.js';
import { lacksScope, tokenRenewal } from './token-renewal.js';

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

const renewal = tokenRenewal(() => {
  const s = session;
  return s ? { token, renew: () => renew(s), onUnauthorized: () => onUnauthorized() } : undefined;
});
onTokenChange(() => renewal.forget());

/** The session every later call renews its token with, and what to do when renewing fails. */
export function configureApi(s: DashboardSession, unauthorized: () => void): void {
  session = s;
  onUnauthorized = unauthorized;
}

/** fetch() with the token; on a 401, the token renewed (shared with the calls that failed together) and one retry. */
export function apiFetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return renewal.send((t) =>
    fetch(path, { ...init, headers: t ? { ...init.headers, Authorization: `Bearer ${t}` } : (init.headers ?? {}), credentials: 'omit' }),
  );
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
