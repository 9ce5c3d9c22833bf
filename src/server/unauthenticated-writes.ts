/**
 * Without authentication, a write is accepted only when it plainly comes from
 * a local, non-browser client (notary, docker, dct and other CLIs, which send
 * no `Origin` and no `Sec-Fetch-*` headers):
 *
 * - `Host` names this server: a loopback name or address, the listen address,
 *   the registry name or an allowed host (`--allowed-host`). A web page that
 *   rebinds its own DNS name to 127.0.0.1 sends its own name and is refused.
 * - a browser's `Origin` must be this server's own, and `Sec-Fetch-Site`
 *   `same-origin` or `none`: cross-site form posts (which need no CORS
 *   preflight) are refused.
 * - unless unauthenticated network writes were asked for (--insecure-no-auth),
 *   no proxy headers (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`): a reverse
 *   proxy on this machine would otherwise pass anyone's writes on.
 *
 * A refusal is 403 DENIED with a detail that says why and what to do.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './api-errors.js';
import { isLoopback } from './config.js';

/** Is this request a write (or, for `getKey`, may it create a key)? */
export function isWriteRequest(method: string, routeName?: string): boolean {
  return !(method === 'GET' || method === 'HEAD' || method === 'OPTIONS') || routeName === 'getKey';
}

/** The host name of a Host header or URL host (`name:port`, `[v6]:port`), lower case, without a trailing dot. */
function hostName(host: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(host) ?? /^([^:]*)(?::\d*)?$/.exec(host);
  return (m ? (m[1] as string) : host).toLowerCase().replace(/\.$/, '');
}

function loopbackName(name: string): boolean {
  return isLoopback(name) || name.endsWith('.localhost') || /^::ffff:127\.\d+\.\d+\.\d+$/.test(name) || name === '0:0:0:0:0:0:0:1';
}

export class UnauthenticatedWriteGuard {
  private readonly names: Set<string>;

  /**
   * `names`: host names (or host:port) of this server besides the loopback ones;
   * `proxied`: whether writes passed on by a proxy may go on (--insecure-no-auth).
   */
  constructor(
    names: readonly string[],
    private readonly opts: { proxied?: boolean } = {},
  ) {
    this.names = new Set(names.filter((n) => n !== '').map(hostName));
  }

  /** The refusal for a write with these headers, or undefined when it may go on. */
  check(headers: IncomingHttpHeaders): ApiError | undefined {
    const host = headers.host;
    if (host !== undefined) {
      const name = hostName(host);
      if (!loopbackName(name) && !this.names.has(name)) {
        return denied(
          `Host ${JSON.stringify(host.slice(0, 200))} is not a name of this server: without authentication it takes writes only addressed to loopback names and its configured names (add one with --allowed-host, or configure --auth-htpasswd)`,
        );
      }
    }
    if (
      !this.opts.proxied &&
      (headers.forwarded !== undefined || headers['x-forwarded-for'] !== undefined || headers['x-real-ip'] !== undefined)
    ) {
      return denied(
        'a write passed on by a proxy (Forwarded / X-Forwarded-For / X-Real-IP) needs authentication: configure --auth-htpasswd, or pass --insecure-no-auth to accept unauthenticated writes from the network',
      );
    }
    const site = headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return denied(
        `a ${site.slice(0, 40)} browser request may not write: this server has no authentication, so it takes writes only from local clients that are not web pages`,
      );
    }
    const origin = headers.origin;
    if (origin !== undefined) {
      let from: string | undefined;
      try {
        from = new URL(origin).host;
      } catch {
        from = undefined;
      }
      if (from === undefined || from === '' || host === undefined || from.toLowerCase() !== host.toLowerCase()) {
        return denied(
          `a request from the web page origin ${JSON.stringify(origin.slice(0, 200))} may not write: this server has no authentication, so it takes writes only from local clients that are not web pages`,
        );
      }
    }
    return undefined;
  }
}

function denied(detail: string): ApiError {
  return new ApiError('DENIED', detail, `write refused: ${detail}`);
}
