/**
 * The first PEM block of a text, found as Go's `encoding/pem` Decode finds it (cosign is Go: a
 * file Go reads is read, one Go refuses is refused), and PEM encoding with 64-character lines as
 * Go writes it.
 *
 * Go's reader (since it was made linear, Go 1.24.8 / 1.25.2, with the end bookkeeping of 1.25.3),
 * on the text's bytes:
 * - it takes the first END marker (`\n-----END `) after where it stands, and the last
 *   `-----BEGIN ` before that marker; that BEGIN must start the text, a line, or the part of the
 *   text after the END marker tried before it (which need not start a line);
 * - the BEGIN line (less a `\r` before its `\n` and the spaces and tabs at its end) must end in
 *   `-----`; the type is what lies between, whatever it holds;
 * - `Key: value` header lines follow (split at the first `:`, both sides trimmed of white space, a
 *   later key winning) up to the first line without `:`, which is not a header but the start of
 *   the base64; a text that ends in the header section has no block;
 * - with headers, the header section must end before the END marker's line; a header line past
 *   that marker ends the reading with no block;
 * - after `-----END ` come the type, `-----`, and then only spaces and tabs up to the line's end
 *   (a `\r` only just before its `\n`);
 * - the base64 is everything between the header section and the END marker's `\n`, less spaces,
 *   tabs, `\r` and `\n` wherever they are: padded standard base64 (lengths in fours, at most two
 *   `=` and nothing after them; non-zero bits left over in the last character are allowed);
 * - a BEGIN line or body that fails any of these: on from just after the END marker's `-----END `.
 * Each END marker is tried once and each try reads only the text up to its marker's line: linear.
 */
import { isBlankLineFrom, pemLine, trimGoSpace } from './pem-body-lines.js';

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '\n-----END ';
const DASHES = '-----';
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The first PEM block Go's `pem.Decode` finds, or undefined when it finds none (`p == nil`). */
export function decodePem(input: string | Buffer): PemBlock | undefined {
  // read bytes as Go does; a string's type and headers go back to it as UTF-8
  const text = typeof input === 'string' ? Buffer.from(input, 'utf8').toString('latin1') : input.toString('latin1');
  const out = typeof input === 'string' ? (s: string) => Buffer.from(s, 'latin1').toString('utf8') : (s: string) => s;
  for (let from = 0; ;) {
    const endAt = text.indexOf(END, from);
    if (endAt < 0) return undefined;
    const found = tryBlock(text, from, endAt);
    if (found === 'stop') return undefined;
    if (found) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(found.headers)) setHeader(headers, out(k), out(v));
      return { type: out(found.type), headers, bytes: found.bytes };
    }
    from = endAt + END.length;
  }
}

/**
 * The block ending at the END marker at `endAt` (its `\n`), reading from `from`; undefined when
 * there is none and the search goes on after that marker; `stop` when Go gives up (no block).
 */
function tryBlock(text: string, from: number, endAt: number): PemBlock | undefined | 'stop' {
  const beginAt = text.slice(from, endAt).lastIndexOf(BEGIN);
  if (beginAt < 0 || (beginAt > 0 && text.charCodeAt(from + beginAt - 1) !== 0x0a)) return undefined;
  const typeStart = from + beginAt + BEGIN.length;
  const typeLine = pemLine(text, typeStart);
  if (typeLine.contentEnd - typeStart < DASHES.length || !text.startsWith(DASHES, typeLine.contentEnd - DASHES.length)) return undefined;
  const type = text.slice(typeStart, typeLine.contentEnd - DASHES.length);
  const headers: Record<string, string> = {};
  let hasHeaders = false;
  let at = typeLine.next;
  for (;;) {
    if (at === text.length) return 'stop';
    const line = pemLine(text, at);
    const colon = at + text.slice(at, line.contentEnd).indexOf(':');
    if (colon < at) break;
    setHeader(headers, trimGoSpace(text, at, colon), trimGoSpace(text, colon + 1, line.contentEnd));
    hasHeaders = true;
    at = line.next;
  }
  // past the END marker: Go would go on from before where it stands, and gives up instead
  if (at > endAt + END.length) return 'stop';
  if (hasHeaders && at > endAt) return undefined;
  const trailer = endAt + END.length;
  if (!text.startsWith(type, trailer) || !text.startsWith(DASHES, trailer + type.length)) return undefined;
  if (!isBlankLineFrom(text, trailer + type.length + DASHES.length)) return undefined;
  let b64 = '';
  if (endAt > at) {
    b64 = text.slice(at, endAt).replace(/[ \t\r\n]/g, '');
    if (!PADDED_BASE64.test(b64)) return undefined;
  }
  return { type, headers, bytes: Buffer.from(b64, 'base64') };
}

/** a header as an own property, whatever its name (`__proto__` too), a later one winning */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
}

/** A PEM block as Go's `pem.EncodeToMemory` writes it. */
export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.map((l) => `${l}\n`).join('')}-----END ${type}-----\n`;
}
