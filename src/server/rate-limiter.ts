/**
 * Per-client token buckets (writes, failed logins). Clients are counted per
 * IPv4 address and per IPv6 /64: one host usually holds a whole /64, so
 * counting single IPv6 addresses would let it pick a fresh bucket per request.
 */
import { isIP } from 'node:net';

/** The bucket a client address counts in: an IPv4 address itself, an IPv6 address its /64 (`2001:db8:1:2::/64`). */
export function clientBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  // expand `::` to get the first four groups
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // an embedded IPv4 tail (::ffff:1.2.3.4) holds two groups
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - width(left) - width(right)).fill('0'), ...right];
  const prefix = new URL(`http://[${[...groups.slice(0, 4), '0', '0', '0', '0'].join(':')}]/`).hostname; // canonical spelling
  return `${prefix.slice(1, -1)}/64`;
}

export class ClientRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token from the client's bucket; false when it is empty. */
  take(client: string): boolean {
    const b = this.bucket(clientBucket(client));
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    return ok;
  }

  /** Gives back a token taken for a request that turned out not to count (a successful login). */
  refund(client: string): void {
    const b = this.bucket(clientBucket(client));
    b.tokens = Math.min(this.burst, b.tokens + 1);
  }

  /** Whole seconds until the client's bucket holds a token again (for Retry-After). */
  retryAfter(client: string): number {
    const b = this.bucket(clientBucket(client));
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  private bucket(key: string): { tokens: number; at: number } {
    const now = Date.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    return b;
  }
}
