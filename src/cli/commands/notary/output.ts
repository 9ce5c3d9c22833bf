/**
 * Output as the notary CLI writes it: logrus text lines on stderr
 * (`time="…" level=warning msg="…"`), Go tabwriter tables, and errors turned into
 * notary's own texts (printed by the caller as `* fatal: <text>`).
 */
import { KeyError } from '../../../app/keys/key-error.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { NotaryHttpError } from '../../../adapters/notary-http/notary-client.js';
import { VALIDATION_TEXT } from '../../../adapters/notary-http/notary-errors.js';
import { tabwrite } from '../../table.js';
import { CliFailure } from '../../cli-failure.js';
import { goQuote } from '../../pflag/strconv.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

/** logrus' TextFormatter without a terminal: `time="<RFC3339>" level=<level> msg=<value>` */
export class Logger {
  constructor(
    private readonly write: (line: string) => void,
    readonly level: LogLevel = 'warning',
    private readonly now: () => Date = () => new Date(),
  ) {}

  debug(msg: string): void {
    this.log('debug', msg);
  }
  info(msg: string): void {
    this.log('info', msg);
  }
  warn(msg: string): void {
    this.log('warning', msg);
  }
  error(msg: string): void {
    this.log('error', msg);
  }

  log(level: LogLevel, msg: string): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.write(`time="${rfc3339(this.now())}" level=${level} msg=${logrusValue(msg)}\n`);
  }
}

/** logrus quotes a value unless every character is a letter, digit or one of `-._/@^+` */
function logrusValue(s: string): string {
  return /^[A-Za-z0-9\-._/@^+]+$/.test(s) ? s : goQuote(s);
}

/** Go's time.RFC3339 in the local zone */
export function rfc3339(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offset * 60_000);
  const base = local.toISOString().slice(0, 19);
  if (offset === 0) return `${base}Z`;
  const sign = offset > 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** notary's `initTabWriter` tables: header, dashes, rows; tabwriter(minwidth 4, padding 4) */
export function notaryTable(columns: string[], rows: string[][]): string {
  return tabwrite([columns, columns.map((c) => '-'.repeat(c.length)), ...rows], { minWidth: 4, padding: 4 });
}

/** Go's `%s` of a []string: `[a b c]` */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** Go's net/http error text for a failed request (`Get "url": dial tcp …: connect: connection refused`). */
export function goNetworkError(method: string, url: string, err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause ?? err;
  const e = cause as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const u = new URL(url);
  const hostPort = u.port ? `${u.hostname}:${u.port}` : `${u.hostname}:${u.protocol === 'https:' ? 443 : 80}`;
  let why: string;
  switch (e?.code) {
    case 'ECONNREFUSED':
      why = `dial tcp ${e.address ? `${e.address}:${e.port}` : hostPort}: connect: connection refused`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = `dial tcp: lookup ${u.hostname}: no such host`;
      break;
    case 'ECONNRESET':
      why = 'read: connection reset by peer';
      break;
    case 'ETIMEDOUT':
      why = `dial tcp ${hostPort}: i/o timeout`;
      break;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      why = 'x509: certificate signed by unknown authority';
      break;
    case 'CERT_HAS_EXPIRED':
      why = 'x509: certificate has expired or is not yet valid';
      break;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      why = `x509: certificate is valid for other names, not ${u.hostname}`;
      break;
    default:
      if (isDctError(err, 'TIMEOUT')) why = 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
      else why = (e as Error)?.message ?? String(err);
  }
  return `${method} ${JSON.stringify(url)}: ${why}`;
}

/** The text notary prints for an error (after `* fatal: `). */
export function notaryErrorText(err: unknown): string {
  if (err instanceof CliFailure) return err.message;
  if (err instanceof NotaryHttpError) {
    const status = err.status;
    const details = err.details;
    if (err.code === 'NETWORK_ERROR' || err.code === 'TIMEOUT') {
      return goNetworkError(details.method ?? 'GET', details.url ?? '', err);
    }
    if (status === 401) return 'you are not authorized to perform this operation: server returned 401.';
    if (status === 400) {
      const v = details.validation;
      if (v && VALIDATION_TEXT[v.name]) return `${VALIDATION_TEXT[v.name]} ${v.msg}`;
      return 'trust server rejected operation.';
    }
    if (status === 404) {
      const role = /\/_trust\/tuf\/(?:\d+\.)?(.*?)(?:\.[0-9a-f]{64})?\.(?:json|key)$/.exec(details.url ?? '')?.[1];
      return `${role ?? 'metadata'} trust data unavailable.  Has a notary repository been initialized?`;
    }
    if (status !== undefined) return `unable to reach trust server at this time: ${status}.`;
    if (err.code === 'RESPONSE_TOO_LARGE') return 'trust server returned a bad response.';
    return err.message;
  }
  if (err instanceof KeyError && err.step !== undefined) return `${err.step}: ${notaryErrorText(err.cause)}`;
  if (err instanceof DctError) {
    switch (err.code) {
      case 'OFFLINE':
        return 'client is offline';
      case 'PASSPHRASE_REQUIRED':
      case 'PASSPHRASE_ATTEMPTS_EXCEEDED':
      case 'WRONG_PASSPHRASE':
      case 'PASSPHRASE_CANCELLED':
        return 'maximum number of passphrase attempts exceeded';
      case 'REPOSITORY_NOT_INITIALIZED':
        return 'repository has not been initialized';
      case 'CERTIFICATE_VALIDATION_FAILED':
        // notary's ErrValidationFail always names the root path
        return err.message.startsWith('could not validate the path to a trusted root')
          ? err.message
          : `could not validate the path to a trusted root: ${err.message}`;
      default:
        return err.message;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Go's *PathError text for a failed read of `file`: `open <file>: no such file or directory`, `read <file>: is a directory` */
export function fsError(err: unknown, file: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (code === 'EACCES') return `open ${file}: permission denied`;
  if (code === 'EISDIR') return `read ${file}: is a directory`;
  return `open ${file}: ${(err as Error).message}`;
}
