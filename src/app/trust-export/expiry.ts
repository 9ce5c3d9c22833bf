/** Which roles of a verified repository have expired at an instant, and the earliest expiry of some unverified files. */
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import type { ExpiredRole } from '../../core/trust-bundle/manifest.js';

export function expiredRoles(set: TrustedSet, at: Date): ExpiredRole[] {
  const roles: Array<[string, { expires: { isBefore(d: Date): boolean; toDate(): Date } } | undefined]> = [
    ['root', set.root.signed],
    ['timestamp', set.timestamp?.signed],
    ['snapshot', set.snapshot?.signed],
    ...set.targetsRoles().map((r) => [r, set.targets(r)?.signed] as [string, { expires: { isBefore(d: Date): boolean; toDate(): Date } }]),
  ];
  const out: ExpiredRole[] = [];
  for (const [role, signed] of roles) {
    if (signed?.expires.isBefore(at)) out.push({ role, expires: signed.expires.toDate().toISOString() });
  }
  return out;
}

/** The earliest `signed.expires` among files not yet verified (to pick an instant they were all valid at). */
export function earliestExpiry(files: Iterable<Buffer>): Date | undefined {
  let earliest: Date | undefined;
  for (const bytes of files) {
    try {
      const expires = (JSON.parse(bytes.toString('utf8')) as { signed?: { expires?: unknown } }).signed?.expires;
      const t = typeof expires === 'string' ? new Date(expires) : undefined;
      if (t && !Number.isNaN(t.getTime()) && (!earliest || t < earliest)) earliest = t;
    } catch {
      // not JSON: the verification says why
    }
  }
  return earliest;
}

/** "expired since …; verified as of …" */
export function expiryLabel(expired: readonly ExpiredRole[], asOf: Date): string | undefined {
  if (expired.length === 0) return undefined;
  const since = expired.map((e) => e.expires).sort()[0] as string;
  return `expired since ${since} (${expired.map((e) => e.role).join(', ')}); verified as of ${asOf.toISOString()}`;
}

/** Whether the client update skipped a delegation because it had expired (its warning `Error getting R: R expired at …`). */
export function skippedExpiredDelegation(warnings: readonly string[]): boolean {
  return warnings.some((w) => /^Error getting \S+: \S+ expired at /.test(w));
}
