/**
 * multipart/form-data as notary's update endpoint reads it (`N:server/handlers/default.go`
 * atomicUpdateHandler): EVERY part is one metadata file, whatever its form
 * name, and its role is the RAW `filename` parameter, slashes included
 * (`targets/releases`); a part without one (no Content-Disposition, no
 * `filename`, or a repeated parameter, which Go's mime.ParseMediaType refuses)
 * has the empty name, which the handler answers with NO_FILENAME. RFC 7578 says to
 * strip paths, and Go ≥ 1.17 does, which broke notary (notary#1630); we read
 * the parameter as sent.
 *
 * Framing follows Go's mime/multipart reader: a delimiter is `CRLF--boundary`
 * followed by `--`, white space or a line end (anything else is part data);
 * after it, optional spaces/tabs and CRLF, or `--` for the last one. Lines end
 * in CRLF (Go also tolerates bare LF; real clients never send it, and dct
 * refuses it). Anything else is MALFORMED_UPLOAD.
 */
import { ApiError } from './api-errors.js';

export interface UploadPart {
  /** the filename parameter as sent ('' when absent) */
  filename: string;
  data: Buffer;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
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

/** Every part of a multipart body; MALFORMED_UPLOAD when it is not well formed or has more than `maxParts` parts. */
export function parseUploadParts(body: Buffer, boundary: string, maxParts = 1000): UploadPart[] {
  const malformed = () => new ApiError('MALFORMED_UPLOAD');
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // the first boundary opens the body, or follows a preamble
  let pos: number;
  if (body.subarray(0, dashBoundary.length).equals(dashBoundary) && isDelimiterEnd(body, dashBoundary.length)) {
    pos = dashBoundary.length;
  } else {
    const first = findDelimiter(body, delimiter, 0);
    if (first < 0) throw malformed();
    pos = first + delimiter.length;
  }
  const parts: UploadPart[] = [];
  for (;;) {
    if (body[pos] === DASH) {
      if (body[pos + 1] === DASH) return parts; // the close delimiter; an epilogue is ignored
      throw malformed();
    }
    while (body[pos] === SPACE || body[pos] === TAB) pos++;
    if (!isCrlf(body, pos)) throw malformed();
    pos += 2;
    if (parts.length >= maxParts) throw malformed();
    // the part's header block ends with an empty line (which may be the first line)
    let headerEnd: number;
    let dataStart: number;
    if (isCrlf(body, pos)) {
      headerEnd = pos;
      dataStart = pos + 2;
    } else {
      headerEnd = body.indexOf(CRLF_CRLF, pos);
      if (headerEnd < 0) throw malformed();
      dataStart = headerEnd + 4;
    }
    const headers = parseHeaders(body.subarray(pos, headerEnd).toString('latin1'));
    if (!headers) throw malformed();
    const end = findDelimiter(body, delimiter, dataStart);
    if (end < 0) throw malformed();
    parts.push({ filename: filenameOf(headers), data: Buffer.from(body.subarray(dataStart, end)) });
    pos = end + delimiter.length;
  }
}

function isCrlf(body: Buffer, pos: number): boolean {
  return body[pos] === CR && body[pos + 1] === LF;
}

/** Go's matchAfterPrefix: a boundary counts when followed by `-`, space, tab, CR, LF or the end. */
function isDelimiterEnd(body: Buffer, pos: number): boolean {
  const next = body[pos];
  return next === undefined || next === DASH || next === SPACE || next === TAB || next === CR || next === LF;
}

function findDelimiter(body: Buffer, delimiter: Buffer, from: number): number {
  for (let at = body.indexOf(delimiter, from); at >= 0; at = body.indexOf(delimiter, at + 1)) {
    if (isDelimiterEnd(body, at + delimiter.length)) return at;
  }
  return -1;
}

/**
 * A part's MIME header block (lines without their CRLFs) → lower-cased name →
 * first value; undefined when a line is not `Name: value` (Go's textproto
 * "malformed MIME header line"). Continuation lines are folded in.
 */
function parseHeaders(block: string): Map<string, string> | undefined {
  const headers = new Map<string, string>();
  if (block === '') return headers;
  /** the header the previous line set (a continuation extends it), null after a repeated one */
  let last: string | null | undefined;
  for (const line of block.split('\r\n')) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) return undefined;
      if (last !== null) headers.set(last, `${headers.get(last) as string} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) return undefined;
    if (headers.has(name)) {
      last = null;
      continue;
    }
    headers.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return headers;
}

/** Go's Part.FileName() on the raw parameter: '' without a usable Content-Disposition. */
function filenameOf(headers: Map<string, string>): string {
  const disposition = headers.get('content-disposition');
  if (disposition === undefined) return '';
  return dispositionParams(disposition)?.get('filename') ?? '';
}

/**
 * `form-data; name="files"; filename="targets/releases"` → its parameters
 * (Go-style quoting); undefined when a parameter is repeated, which Go's
 * mime.ParseMediaType refuses ("duplicate parameter name"): a proxy and the
 * server must never disagree about which `filename` counts.
 */
function dispositionParams(value: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const [, ...params] = splitParams(value);
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    if (out.has(name)) return undefined;
    // bytes in a header are latin1 on the wire; filenames are UTF-8 inside
    out.set(name, Buffer.from(unquote(p.slice(eq + 1).trim()), 'latin1').toString('utf8'));
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
