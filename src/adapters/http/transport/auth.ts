/**
 * Registry authentication as a wrapper (go-containerregistry `transport/bearer.go`): a
 * request that names `scopes` goes out with the `Authorization` the `RegistryAuth` knows
 * for its origin (none before the origin has asked), and a 401 is answered once: its
 * challenge is remembered, a token for the scopes fetched (or Basic credentials used)
 * and the request sent again. A second 401 is handed up. Tokens are cached per realm,
 * service, scopes and account by `RegistryAuth` (registry-auth.ts).
 */
import type { RegistryAuth } from '../registry-auth.js';
import type { TlsSettings } from '../tls-settings.js';
import { withHeader, type RoundTripRequest, type Wrapper } from './round-tripper.js';
import { discard } from './send.js';

export interface AuthOptions {
  auth: RegistryAuth;
  /** only requests to this origin (`https://host:port`) are authenticated; default: every origin */
  origin?: string;
  /** TLS for a token realm on the server's own host; default: the request's */
  tls?: TlsSettings;
}

export function authenticate(opts: AuthOptions): Wrapper {
  const { auth } = opts;
  return (inner) => async (req) => {
    const scopes = req.scopes ?? [];
    if (scopes.length === 0 || (opts.origin !== undefined && req.url.origin !== opts.origin)) return inner(req);
    const tls = opts.tls ?? req.tls;
    const first = await auth.authorizationFor(req.url, scopes, tls);
    const res = await inner(authorized(req, first));
    if (res.status !== 401) return res;
    let again: string | undefined;
    try {
      again = await auth.authorizeAfter401(req.url, res.headersDistinct['www-authenticate'], scopes, {
        ...(first !== undefined ? { rejected: first } : {}),
        ...(tls ? { tls } : {}),
      });
    } catch (err) {
      res.body.destroy();
      throw err;
    }
    if (again === undefined) return res;
    await discard(res);
    return inner(authorized(req, again));
  };
}

function authorized(req: RoundTripRequest, authorization: string | undefined): RoundTripRequest {
  return authorization === undefined ? req : withHeader(req, 'Authorization', authorization);
}
