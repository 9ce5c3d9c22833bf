/** Go's text forms that docker prints: logrus warning lines, RFC 3339 times, failed file operations. */

/** Go's logrus text line for a warning, as docker prints notary's warnings on stderr. */
export function logrusWarning(now: Date, message: string): string {
  const quoted = /^[A-Za-z0-9\-._/@^+]+$/.test(message) ? message : JSON.stringify(message);
  return `time="${rfc3339Local(now)}" level=warning msg=${quoted}\n`;
}

/** RFC 3339 in the local time zone, seconds precision (Go's time.RFC3339). */
export function rfc3339Local(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const sign = offset > 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Go's `fmt` text of a failed file operation: `open <path>: no such file or directory`. */
export function goFileError(op: string, path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EEXIST: 'file exists',
  };
  return `${op} ${path}: ${(code && text[code]) ?? (err as Error)?.message ?? String(err)}`;
}
