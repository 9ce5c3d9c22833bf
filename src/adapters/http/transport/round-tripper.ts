/**
 * The shape of the transport family (go-containerregistry's `http.RoundTripper`): a
 * round-tripper sends one request and resolves with the response head, its body a stream
 * the caller reads; a wrapper takes the round-tripper below it and adds one concern
 * (retry, auth, redirects, user agent). `send` (send.ts) is the bottom.
 */
import type { TransportRequest, TransportResponse } from './send.js';

export interface RoundTripRequest extends TransportRequest {
  /** token scopes the request needs (`repository:<name>:<actions>`); none: sent without authentication (auth.ts) */
  scopes?: readonly string[];
  /** whether retry.ts may send it again after a transient failure; default: GET and HEAD only */
  retry?: boolean;
  /** whether redirect.ts follows a redirect; default: GET and HEAD only */
  redirects?: boolean;
}

export type RoundTripper = (req: RoundTripRequest) => Promise<TransportResponse>;

/** One concern around an inner round-tripper. */
export type Wrapper = (inner: RoundTripper) => RoundTripper;

/** `wrap(send, a, b, c)` is `c(b(a(send)))`: the first wrapper is nearest the wire. */
export function wrap(bottom: RoundTripper, ...wrappers: ReadonlyArray<Wrapper | undefined>): RoundTripper {
  let rt = bottom;
  for (const w of wrappers) if (w) rt = w(rt);
  return rt;
}

/** The request with one header set (replacing one of the same name in any case). */
export function withHeader(req: RoundTripRequest, name: string, value: string): RoundTripRequest {
  const headers: Record<string, string> = {};
  let placed = false;
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    if (k.toLowerCase() === name.toLowerCase()) {
      if (!placed) headers[name] = value;
      placed = true;
    } else headers[k] = v;
  }
  if (!placed) headers[name] = value;
  return { ...req, headers };
}

/** The request without a header (any case). */
export function withoutHeader(req: RoundTripRequest, name: string): RoundTripRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) if (k.toLowerCase() !== name.toLowerCase()) headers[k] = v;
  return { ...req, headers };
}

/** Whether the method may be repeated or followed by default. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}
