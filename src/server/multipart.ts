/**
 * multipart/form-data as notary's update endpoint reads it: every part named
 * `files` is one metadata file whose role is the RAW `filename` parameter,
 * slashes included (`targets/releases`). RFC 7578 says to strip paths, and Go
 * ≥ 1.17 does, which broke notary (notary#1630); we read the parameter as sent.
 */
import { ApiError } from './api-errors.js';

export interface UploadPart {
  /** the filename parameter as sent ('' when absent) */
  filename: string;
  data: Buffer;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** The boundary of a multipart/form-data Content-Type, or undefined for anything else. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = splitParams(contentType);
  if (type?.toLowerCase() !== 'multipart/form-data') return undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'boundary') {
      const value = unquote(p.slice(eq + 1).trim());
      if (value.length >= 1 && value.length <= 70) return value;
    }
  }
  return undefined;
}

/** The `files` parts of a multipart body; MALFORMED_UPLOAD when it is not well formed. */
export function parseUploadParts(body: Buffer, boundary: string, maxParts = 1000): UploadPart[] {
  const malformed = () => new ApiError('MALFORMED_UPLOAD');
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw malformed();
  const parts: UploadPart[] = [];
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing delimiter "--"
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw malformed();
    pos += 2;
    const headerEnd = body.indexOf(CRLF_CRLF, pos);
    if (headerEnd < 0) throw malformed();
    const headers = body.subarray(pos, headerEnd).toString('latin1').split('\r\n');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) throw malformed();
    if (parts.length >= maxParts) throw malformed();
    const disposition = headers.find((h) => h.toLowerCase().startsWith('content-disposition:'));
    if (disposition) {
      const params = dispositionParams(disposition.slice(disposition.indexOf(':') + 1));
      if (params.get('name') === 'files') {
        parts.push({ filename: params.get('filename') ?? '', data: Buffer.from(body.subarray(headerEnd + 4, next)) });
      }
    }
    pos = next + 2;
  }
  return parts;
}

/** `form-data; name="files"; filename="targets/releases"` → its parameters (Go-style quoting). */
function dispositionParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const [, ...params] = splitParams(value);
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    // bytes in a header are latin1 on the wire; filenames are UTF-8 inside
    out.set(p.slice(0, eq).trim().toLowerCase(), Buffer.from(unquote(p.slice(eq + 1).trim()), 'latin1').toString('utf8'));
  }
  return out;
}

/** Splits on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current.trim());
  return out;
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}
