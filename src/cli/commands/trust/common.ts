/** Small pieces the `dct trust` commands share. */
import { DctError } from '../../../core/errors.js';
import type { CommandSpec, FlagSpec, ParsedArgs } from './args.js';
import { stringFlag } from './args.js';
import type { TrustIo } from './io.js';

export type TrustFormat = 'table' | 'json';

export const FORMAT_FLAG: FlagSpec = {
  name: 'format',
  kind: 'string',
  valueName: 'string',
  help: 'Output format: "table" (docker\'s text output) or "json" (dct)',
  default: 'table',
};

export function formatOf(p: ParsedArgs): TrustFormat {
  const v = stringFlag(p, 'format') ?? 'table';
  if (v === 'table' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "table" or "json", not ${JSON.stringify(v)}`);
}

export interface TrustCommand {
  spec: CommandSpec;
  run(p: ParsedArgs, io: TrustIo): Promise<number>;
}

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

/** JSON for `--format json` (2-space indent, one document). */
export function jsonOut(io: TrustIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}
