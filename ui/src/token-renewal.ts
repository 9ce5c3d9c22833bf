/**
 * What the dashboard does with a 401, without the browser: a call answered 401 for the token that
 * is still current renews the token, and every 401 that comes while that renewal is under way
 * waits for the same renewal (one request to the token realm however many calls failed
 * together); then each retries once with the new token. A renewal that fails is reported once
 * (`onUnauthorized`), however many calls waited for it, and a later 401 for that same stale token
 * neither renews nor reports again (until the token changes: `forget`). A 401 for a token already
 * replaced retries with the current one without renewing; a 401 after a renewal has succeeded
 * renews again.
 */
import { singleFlight } from './single-flight.js';

export interface RenewalDeps {
  /** the current bearer token, if any */
  token(): string | undefined;
  /** gets and stores a new token; false when there is no way to (no credentials, or they fail) */
  renew(): Promise<boolean>;
  /** signing in again is needed */
  onUnauthorized(): void;
}

/** Sends the request with this bearer token (none: undefined). */
export type Send = (token: string | undefined) => Promise<Response>;

export interface TokenRenewal {
  /** `send` with the current token, renewed and sent again on a 401 as said above */
  send(send: Send): Promise<Response>;
  /** the token changed (signed in, out, pasted): a renewal that failed for the old one is forgotten */
  forget(): void;
}

/** A 401 for a valid token without the access asked (the decision feed): renewing or signing in again would not help. */
export function lacksScope(res: Response): boolean {
  return res.status === 401 && /error="insufficient_scope"/.test(res.headers.get('WWW-Authenticate') ?? '');
}

const unauthorized = (res: Response) => res.status === 401 && !lacksScope(res);

/** `deps` is read at each call: undefined until the session is known (a 401 is then answered as is). */
export function tokenRenewal(deps: () => RenewalDeps | undefined): TokenRenewal {
  let failed: { token: string | undefined } | undefined;
  const renewOnce = singleFlight(async () => {
    const d = deps();
    const from = d?.token();
    const renewed = d ? await d.renew() : false;
    if (!renewed) {
      failed = { token: from };
      d?.onUnauthorized();
    }
    return renewed;
  });
  const retry = async (send: Send, d: RenewalDeps) => {
    const res = await send(d.token());
    if (unauthorized(res)) d.onUnauthorized();
    return res;
  };
  return {
    async send(send) {
      const sent = deps()?.token();
      const res = await send(sent);
      const d = deps();
      if (!d || !unauthorized(res)) return res;
      const now = d.token();
      if (now !== sent) return retry(send, d);
      if (failed && failed.token === now) return res; // its renewal failed and was reported
      if (!(await renewOnce())) return res;
      return retry(send, d);
    },
    forget() {
      failed = undefined;
    },
  };
}
