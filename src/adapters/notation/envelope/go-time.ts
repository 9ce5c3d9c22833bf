/**
 * Times as notation's messages print them: Go's RFC 1123 with numeric zone,
 * `Fri, 29 Jul 2022 23:59:00 +0000`.
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number) => String(n).padStart(2, '0');

/** The zone offset (minutes east of UTC) an RFC 3339 text carries; 0 for `Z` or no text. */
export function offsetOf(rfc3339?: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(rfc3339 ?? '');
  if (m === null) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

export function formatRfc1123z(t: Date, offsetMinutes = 0): string {
  const local = new Date(t.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${DAYS[local.getUTCDay()]}, ${pad(local.getUTCDate())} ${MONTHS[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}
