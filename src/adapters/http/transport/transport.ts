/**
 * A transport put together from the wrappers of this folder, nearest the wire first:
 * send → reconnect → user agent → auth → redirects → retry. A client builds one and
 * sends every request through it; what it does with the answer (status, body, errors)
 * is its own.
 */
import { authenticate, type AuthOptions } from './auth.js';
import { reconnect } from './reconnect.js';
import { followRedirects, type RedirectOptions } from './redirect.js';
import { retry, type RetryOptions } from './retry.js';
import { wrap, type RoundTripper } from './round-tripper.js';
import { send } from './send.js';
import { userAgent } from './user-agent.js';

export interface TransportOptions {
  /** `User-Agent` on every request */
  userAgent?: string;
  /** registry token / Basic authentication for requests that name scopes */
  auth?: AuthOptions;
  /** follow redirects (GET and HEAD unless a request says otherwise) */
  redirects?: RedirectOptions;
  /** send again after transient failures (GET and HEAD unless a request says otherwise) */
  retry?: RetryOptions;
  /** send once more after a stale keep-alive connection (only where every request may be repeated) */
  reconnect?: boolean;
  /** the bottom (default `send`; tests) */
  bottom?: RoundTripper;
}

export function createTransport(opts: TransportOptions = {}): RoundTripper {
  return wrap(
    opts.bottom ?? send,
    opts.reconnect ? reconnect() : undefined,
    opts.userAgent !== undefined ? userAgent(opts.userAgent) : undefined,
    opts.auth ? authenticate(opts.auth) : undefined,
    opts.redirects ? followRedirects(opts.redirects) : undefined,
    opts.retry ? retry(opts.retry) : undefined,
  );
}
