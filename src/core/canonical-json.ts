/**
 * Canonical JSON exactly as notary 0.7 produces it (docker/go `canonical/json`).
 *
 * - object members sorted by the UTF-8 bytes of their names (= code point order);
 * - no insignificant whitespace;
 * - strings escape only `"` and `\`; everything else (control characters,
 *   `<>&`, U+2028, non-ASCII) is written raw;
 * - numbers must be integral and are printed as Go's int64(float64) would.
 *
 * Metadata *files* are this encoding passed through Go's HTML-escaping compact
 * step (see `htmlEscape`), which is what `json.Marshal` does to a RawMessage.
 */
import { CoreError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const NEEDS_ESCAPE = /["\\]/g;
const HAS_ESCAPE = /["\\]/;
const HAS_SURROGATE = /[\ud800-\udfff]/;
const TWO_POW_53 = 2 ** 53;
const TWO_POW_63 = 2 ** 63;

/**
 * The deepest nesting of arrays and objects canonicalize writes. JSON.parse reads any depth, and
 * writing recurses: deeper values (a million `[` in a target's `custom`, from a trust server or a
 * client's upload) would overflow the stack. No metadata comes near it; Go's encoding/json refuses
 * to read past 10,000 levels.
 */
export const MAX_CANONICAL_DEPTH = 1000;

/** Returns the canonical JSON text of `value` (convert with Buffer.from(…, 'utf8') for bytes). */
export function canonicalize(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return canonicalString(value);
    case 'number':
      return canonicalNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_CANONICAL_DEPTH) {
        throw new CoreError('MALFORMED_JSON', `JSON nested deeper than ${MAX_CANONICAL_DEPTH} levels`);
      }
      if (Array.isArray(value)) return canonicalArray(value, depth + 1);
      return canonicalObject(value as Record<string, unknown>, depth + 1);
    default:
      throw new CoreError('CANONICAL_JSON_UNSUPPORTED_VALUE', `canonical JSON: unsupported value of type ${typeof value}`);
  }
}

/** Canonical JSON as UTF-8 bytes: the exact bytes notary signs and verifies. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

function canonicalString(s: string): string {
  if (!HAS_ESCAPE.test(s)) return '"' + s + '"';
  return '"' + s.replace(NEEDS_ESCAPE, (c) => '\\' + c) + '"';
}

function canonicalNumber(n: number): string {
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw new CoreError('CANONICAL_JSON_UNSUPPORTED_VALUE', `canonical JSON: unsupported value: ${n}`);
  }
  if (Math.abs(n) < TWO_POW_53) return n === 0 ? '0' : String(n);
  // Go converts with int64(f): exact digits, and out-of-range values become MinInt64 on amd64.
  if (n >= TWO_POW_63 || n < -TWO_POW_63) return '-9223372036854775808';
  return BigInt(n).toString();
}

function canonicalArray(values: unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += canonicalize(values[i], depth);
  }
  return out + ']';
}

function canonicalObject(obj: Record<string, unknown>, depth: number): string {
  const keys = sortKeys(Object.keys(obj));
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += canonicalString(key) + ':' + canonicalize(v, depth);
  }
  return out + '}';
}

/** Sorts member names by UTF-8 byte order (UTF-16 order differs only around astral characters). */
export function sortKeys(keys: string[]): string[] {
  // Parsed canonical input is already in order: checking is far cheaper than sorting.
  if (!isAscending(keys)) keys.sort();
  if (keys.some((k) => HAS_SURROGATE.test(k))) keys.sort(compareCodePoints);
  return keys;
}

function isAscending(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates (astral characters) must sort after U+E000..U+FFFF.
export function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
// Characters Go's compact step refuses inside a string literal.
const CONTROL = /[\u0000-\u001f]/;

/**
 * Go's `json.Compact` with HTML escaping, applied to already-compact JSON text:
 * what `json.Marshal` does to canonical bytes embedded as a RawMessage.
 * Control characters are invalid there (Go fails the whole marshal), so are we.
 */
export function htmlEscape(compactJson: string): string {
  if (CONTROL.test(compactJson)) {
    throw new CoreError(
      'CANONICAL_JSON_UNSUPPORTED_VALUE',
      'metadata contains a control character in a string, which notary cannot serialise',
    );
  }
  HTML_UNSAFE.lastIndex = 0;
  if (!HTML_UNSAFE.test(compactJson)) return compactJson;
  return compactJson.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c] as string);
}

const GO_STRING_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]/g;

/** A string as Go's encoding/json writes it (HTML-safe). */
export function goJsonString(s: string): string {
  GO_STRING_ESCAPE.lastIndex = 0;
  if (!GO_STRING_ESCAPE.test(s)) return '"' + s + '"';
  return (
    '"' +
    s.replace(GO_STRING_ESCAPE, (c) => {
      switch (c) {
        case '"':
          return '\\"';
        case '\\':
          return '\\\\';
        case '\n':
          return '\\n';
        case '\r':
          return '\\r';
        case '\t':
          return '\\t';
        default:
          return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
      }
    }) +
    '"'
  );
}

/** JSON.parse with a stable error code. Bytes are decoded as UTF-8 (invalid sequences become U+FFFD, as in Go). */
export function parseJson(input: Uint8Array | string, what = 'JSON'): unknown {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CoreError('MALFORMED_JSON', `${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Go's encoding/json maxNestingDepth: deeper JSON is not valid JSON to Go ("exceeded max depth"). */
export const GO_MAX_JSON_DEPTH = 10_000;

/** Whether valid JSON `text` nests arrays and objects deeper than `max` (one pass over the text, strings skipped). */
export function jsonNestingExceeds(text: string, max: number): boolean {
  // a text too short to nest that deep is not read again
  if (text.length <= max * 2) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: to its closing quote (the text is valid JSON, so there is one)
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
