/**
 * Redirects: a request that may follow them (`redirects`, by default GET and HEAD) is sent
 * again to the `Location` of a 301, 302, 303, 307 or 308, up to `max` times, with the same
 * method. Never from https down to plain http (unless `allowPlainHttp` says yes for that
 * host), never to another scheme, and `Authorization` is never sent to another origin
 * than the first (the auth wrapper below authenticates only its own origin).
 */
import { DctError } from '../../../core/errors.js';
import { isLoopbackHost } from '../../../core/image-reference.js';
import { isSafeMethod, withoutHeader, type RoundTripRequest, type Wrapper } from './round-tripper.js';
import { describeUrl, discard, header } from './send.js';

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export interface RedirectOptions {
  /** most redirects followed (default 5) */
  max?: number;
  /** plain-http hosts an https request may be sent on to (loopback hosts always may) */
  allowPlainHttp?: (host: string) => boolean;
  /**
   * the request as sent to another origin (e.g. other TLS settings, the agent for another scheme);
   * default: the same, without `Authorization` (and without the agent when the scheme changes)
   */
  crossOrigin?: (req: RoundTripRequest, to: URL) => RoundTripRequest;
  /** the error for a refused redirect (default: DctError with the code) */
  error?: (code: 'REGISTRY_BAD_RESPONSE' | 'INSECURE_REDIRECT', message: string, status: number) => DctError;
}

export function followRedirects(opts: RedirectOptions = {}): Wrapper {
  const max = opts.max ?? 5;
  const error = opts.error ?? ((code, message) => new DctError(code, message));
  return (inner) => async (first) => {
    if (!(first.redirects ?? isSafeMethod(first.method))) return inner(first);
    let req = first;
    for (let redirects = 0; ; redirects++) {
      const res = await inner(req);
      const location = header(res, 'location');
      if (!REDIRECT_STATUSES.has(res.status) || location === undefined) return res;
      await discard(res);
      const url = req.url;
      if (redirects >= max)
        throw error('REGISTRY_BAD_RESPONSE', `${describeUrl(first.method, first.url)}: more than ${max} redirects`, res.status);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw error('REGISTRY_BAD_RESPONSE', `${describeUrl(req.method, url)} redirects to an invalid URL`, res.status);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw error('REGISTRY_BAD_RESPONSE', `${describeUrl(req.method, url)} redirects to a ${next.protocol} URL`, res.status);
      if (url.protocol === 'https:' && next.protocol === 'http:' && !isLoopbackHost(next.host) && !opts.allowPlainHttp?.(next.host)) {
        throw error(
          'INSECURE_REDIRECT',
          `${describeUrl(req.method, url)} redirects to plain http (${next.origin}): refusing to leave https`,
          res.status,
        );
      }
      const moved: RoundTripRequest = { ...first, url: next };
      // an agent serves one protocol: on a change of scheme the hop goes without it unless crossOrigin gives one
      if (next.protocol !== first.url.protocol) delete moved.agent;
      req =
        next.origin === first.url.origin
          ? moved
          : (opts.crossOrigin ?? ((r: RoundTripRequest) => r))(withoutHeader(moved, 'Authorization'), next);
    }
  };
}
