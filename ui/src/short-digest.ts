/** A digest as the dashboard shows it in a line: its first 12 hex digits and '…' (the whole one in a title). */
export function shortDigest(d: string): string {
  const hex = d.replace(/^sha256:/, '');
  return hex.length > 16 ? `${hex.slice(0, 12)}…` : hex;
}
