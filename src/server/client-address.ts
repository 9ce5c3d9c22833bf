/**
 * The client a request comes from, for the per-client write and login limits
 * and for logs. Directly connected clients are their socket address. Behind
 * load balancers or reverse proxies listed as trusted (`--trusted-proxy`), the
 * address comes from `X-Forwarded-For`, read from the right: each trusted hop
 * vouches for the one before it, and the first address that is not a trusted
 * proxy is the client (nginx's `real_ip_recursive`). A header from an untrusted
 * peer is ignored, so clients cannot pick their own rate-limit bucket.
 */
import { BlockList, isIP } from 'node:net';
import { DctError } from '../core/errors.js';

/** `::ffff:192.0.2.1` (an IPv4 client of a dual-stack socket) as `192.0.2.1`. */
function normalize(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  /** `proxies`: IP addresses or CIDR ranges (INVALID_CONFIG otherwise). */
  constructor(proxies: readonly string[]) {
    for (const entry of proxies) {
      const [address = '', prefix, extra] = entry.trim().split('/');
      const family = isIP(address);
      const bits = prefix === undefined ? (family === 4 ? 32 : 128) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (family === 0 || extra !== undefined || !(bits >= 0 && bits <= (family === 4 ? 32 : 128))) {
        throw new DctError(
          'INVALID_CONFIG',
          `trusted proxy ${JSON.stringify(entry)} is not an IP address or a CIDR range (e.g. 10.0.0.5 or 10.0.0.0/8)`,
        );
      }
      this.trusted.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.any = proxies.length > 0;
  }

  /** Whether a peer address is one of the trusted proxies. */
  isTrustedProxy(address: string): boolean {
    return this.any && this.isTrusted(normalize(address));
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client of a request with this peer address and these `X-Forwarded-For` headers. */
  of(socketAddress: string | undefined, forwardedFor: string | readonly string[] | undefined): string {
    let client = normalize(socketAddress ?? '?');
    if (!this.any || forwardedFor === undefined || !this.isTrusted(client)) return client;
    const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalize(hops[i] as string);
      if (isIP(hop) === 0) return client; // not an address: nothing before it can be believed
      client = hop;
      if (!this.isTrusted(hop)) return client;
    }
    return client;
  }
}
