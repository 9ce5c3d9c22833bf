/** Times as the dashboard says them: relative ("in 3 days", "5 minutes ago"), on the server's clock. */

let skewMs = 0;

/** Aligns relative times on the server's clock (`DashboardSession.now`); an unreadable time changes nothing. */
export function setServerNow(now: string, localNow = Date.now()): void {
  const t = Date.parse(now);
  if (!Number.isNaN(t)) skewMs = t - localNow;
}

/** The server's clock now (epoch ms), as far as the last `setServerNow` tells. */
export function serverNow(localNow = Date.now()): number {
  return localNow + skewMs;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/**
 * `iso` relative to `now` (epoch ms, the server's clock by default) in the largest unit it reaches,
 * rounded: "in 3 days", "yesterday", "now"; '—' without a time; the text itself when it is no time.
 */
export function relative(iso: string | undefined, now = serverNow()): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return iso;
  for (const [unit, ms] of UNITS) if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  return rtf.format(Math.round(diff / 1000), 'second');
}
