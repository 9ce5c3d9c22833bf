/**
 * A fast, validating check that a JSON text is already canonical: when the
 * `signed` text of a metadata file provably equals what `canonicalize` would
 * re-derive from its parsed value, a verifier may use that text as the
 * canonical bytes and skip the re-derivation (notary verifies the
 * re-derivation, spec §2.2; the two are then the same bytes).
 */
import { codePointRank } from './canonical-json.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** At most 15 digits: every such integer is below 2^53, so String(n) reproduces the text. */
const MAX_CANONICAL_DIGITS = 15;
/**
 * Deeper values are left to `canonicalize`, whose recursion may overflow the
 * stack on them: the check must not turn that failure into a success.
 */
const MAX_CANONICAL_CHECK_DEPTH = 512;

/**
 * Compares two canonical string-literal bodies (`text[as..ae)`, `text[bs..be)`)
 * by their decoded values, exactly as `compareCodePoints` compares strings.
 */
export function compareLiteralBodies(text: string, as: number, ae: number, bs: number, be: number): number {
  let i = as;
  let j = bs;
  while (i < ae && j < be) {
    let x = text.charCodeAt(i++);
    if (x === BACKSLASH) x = text.charCodeAt(i++);
    let y = text.charCodeAt(j++);
    if (y === BACKSLASH) y = text.charCodeAt(j++);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return (i < ae ? 1 : 0) - (j < be ? 1 : 0);
}

/**
 * If a canonical string literal starts at `text[start]` (a quote; then raw
 * characters other than controls, `\"` and `\\` the only escapes), the index
 * just past its closing quote; otherwise -1. For short strings (member names):
 * one pass, checking every character, so the text need not be known to be JSON.
 */
export function canonicalStringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== QUOTE) return -1;
  const n = text.length;
  for (let i = start + 1; i < n;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const escaped = text.charCodeAt(i + 1);
      if (escaped !== QUOTE && escaped !== BACKSLASH) return -1;
      i += 2;
    } else if (c < 0x20) {
      return -1;
    } else {
      i++;
    }
  }
  return -1;
}

/** End of the canonical integer at `text[start]` (`0` or `-?[1-9][0-9]{0,14}`), else -1. */
export function canonicalNumberEnd(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === MINUS) i++;
  const first = text.charCodeAt(i);
  if (first === DIGIT_0) {
    if (i !== start) return -1; // -0 canonicalises to 0
    i++;
  } else if (first > DIGIT_0 && first <= DIGIT_9) {
    const digitsStart = i;
    do i++;
    while (text.charCodeAt(i) >= DIGIT_0 && text.charCodeAt(i) <= DIGIT_9);
    if (i - digitsStart > MAX_CANONICAL_DIGITS) return -1;
  } else {
    return -1;
  }
  const next = text.charCodeAt(i);
  // a fraction, an exponent or a further digit (after a leading 0) is not canonical
  if (next === 0x2e || next === 0x65 || next === 0x45 || (next >= DIGIT_0 && next <= DIGIT_9)) return -1;
  return i;
}

/** Controls: JSON text cannot hold them raw, and canonical JSON does not escape them, so the check refuses them. */
const CONTROL = /[\u0000-\u001f]/;

/**
 * If the JSON value starting at `text[start]` is written exactly in canonical
 * form, returns the index just past it; otherwise -1. "Canonical form" means:
 * for the value text `v = text.slice(start, end)`,
 * `canonicalize(JSON.parse(v)) === v`. This is checked, not assumed: it
 * accepts only
 * - no whitespace between tokens and no control characters at all;
 * - object members whose decoded names are strictly ascending in the order
 *   `sortKeys` produces (so no duplicate names either);
 * - strings whose only escapes are `\"` and `\\` (no `\u…`, `\/`, `\n`, … —
 *   JSON.parse would decode those and canonicalize would not re-escape them);
 * - integers `0` or `-?[1-9][0-9]*` of at most 15 digits (no `-0`, `1.0`,
 *   `1e3`, or values where float64 rounding could change the digits);
 * - `true`, `false`, `null`.
 * Anything else returns -1, and the caller must canonicalise the parsed value
 * (as it must for values nested deeper than 512 levels). Never throws.
 */
export function canonicalValueEnd(text: string, start = 0): number {
  return scanCanonicalValue(text, start, true);
}

/**
 * `canonicalValueEnd`; with `checkControls` false, for a `text` known to be valid
 * JSON, the final search for control characters is left out: outside string
 * literals every character is read by the scan (which takes no whitespace), and
 * JSON has no raw control characters inside them.
 */
function scanCanonicalValue(text: string, start: number, checkControls: boolean): number {
  const n = text.length;
  // one entry per open container: -1 for an array; for an object the body
  // range of the previous member name (-2 before the first one)
  const keyStarts: number[] = [];
  const keyEnds: number[] = [];
  // the first backslash at or after the last place one was searched for (n: none)
  let backslash = -1;
  let i = start;
  let expectName = false;

  for (;;) {
    let c = text.charCodeAt(i);
    if (c === QUOTE || expectName) {
      if (c !== QUOTE) return -1;
      // a string literal: only \" and \\ escapes (controls are checked at the end)
      let j = i + 1;
      let end: number;
      for (;;) {
        const quote = text.indexOf('"', j);
        if (quote < 0) return -1;
        if (backslash < j) {
          backslash = text.indexOf('\\', j);
          if (backslash < 0) backslash = n;
        }
        if (backslash > quote) {
          end = quote + 1;
          break;
        }
        const escaped = text.charCodeAt(backslash + 1);
        if (escaped !== QUOTE && escaped !== BACKSLASH) return -1;
        j = backslash + 2;
      }
      if (!expectName) {
        i = end;
      } else {
        // a member name: strictly after the previous one, then a colon and a value
        if (text.charCodeAt(end) !== COLON) return -1;
        const top = keyStarts.length - 1;
        const prevStart = keyStarts[top] as number;
        if (prevStart >= 0 && compareLiteralBodies(text, prevStart, keyEnds[top] as number, i + 1, end - 1) >= 0) return -1;
        keyStarts[top] = i + 1;
        keyEnds[top] = end - 1;
        expectName = false;
        i = end + 1;
        continue;
      }
    } else if (c === OPEN_OBJECT) {
      if (text.charCodeAt(i + 1) === CLOSE_OBJECT) {
        i += 2;
      } else {
        if (keyStarts.length >= MAX_CANONICAL_CHECK_DEPTH) return -1;
        keyStarts.push(-2);
        keyEnds.push(-2);
        expectName = true;
        i++;
        continue;
      }
    } else if (c === OPEN_ARRAY) {
      if (text.charCodeAt(i + 1) === CLOSE_ARRAY) {
        i += 2;
      } else {
        if (keyStarts.length >= MAX_CANONICAL_CHECK_DEPTH) return -1;
        keyStarts.push(-1);
        keyEnds.push(-1);
        i++;
        continue;
      }
    } else if (c === 0x74 /* t */ && text.startsWith('true', i)) {
      i += 4;
    } else if (c === 0x66 /* f */ && text.startsWith('false', i)) {
      i += 5;
    } else if (c === 0x6e /* n */ && text.startsWith('null', i)) {
      i += 4;
    } else {
      i = canonicalNumberEnd(text, i);
      if (i < 0) return -1;
    }

    // after a value: a separator, or closing brackets
    for (;;) {
      const top = keyStarts.length - 1;
      if (top < 0) {
        // the whole value is read: it must not contain a control character
        if (!checkControls) return i;
        // (in the value only: a search running on past it would make many calls on one text quadratic)
        return CONTROL.test(text.slice(start, i)) ? -1 : i;
      }
      const isArray = keyStarts[top] === -1;
      c = text.charCodeAt(i);
      if (c === COMMA) {
        expectName = !isArray;
        i++;
        break;
      }
      if (c !== (isArray ? CLOSE_ARRAY : CLOSE_OBJECT)) return -1;
      keyStarts.pop();
      keyEnds.pop();
      i++;
    }
  }
}

const ENVELOPE_HEAD = '{"signed":';
/** Where `canonicalSignedText`'s V starts in the text (ASCII, so also in the file's bytes). */
export const SIGNED_TEXT_OFFSET = ENVELOPE_HEAD.length;
const ENVELOPE_SIGNATURES = ',"signatures":';

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** End of the (valid) JSON value at `text[start]`, leading whitespace allowed; -1 if the text ends first. */
function skipJsonValue(text: string, start: number): number {
  const n = text.length;
  let i = start;
  while (i < n && isJsonWhitespace(text.charCodeAt(i))) i++;
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < n && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
      if (i >= n) return -1;
      i++;
      if (depth === 0) return i;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      i++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (--depth < 0) return -1;
      i++;
      if (depth === 0) return i;
    } else if (depth === 0) {
      // a scalar: runs until a delimiter
      while (i < n && !isJsonWhitespace(text.charCodeAt(i)) && text.charCodeAt(i) !== COMMA && text.charCodeAt(i) !== CLOSE_OBJECT) i++;
      return i;
    } else {
      i++;
    }
  }
  return -1;
}

/**
 * For the text of a metadata file shaped as notary writes it,
 * `{"signed":V,"signatures":S}` (whitespace allowed only inside and after S),
 * returns V when V is already canonical text, so that
 * `canonicalize(JSON.parse(text).signed) === V`; returns undefined for any
 * other shape (another member order, further or duplicate members, HTML
 * escapes such as `\u003c` in V, …) — the caller then canonicalises the
 * parsed value as usual.
 *
 * Precondition: `text` is valid JSON (call it after JSON.parse(text) succeeded); the
 * check then needs no search for control characters (see `scanCanonicalValue`).
 * The envelope then has exactly the members `signed` and `signatures`, so the
 * parsed `signed` is JSON.parse(V).
 */
export function canonicalSignedText(text: string): string | undefined {
  if (!text.startsWith(ENVELOPE_HEAD)) return undefined;
  const end = scanCanonicalValue(text, ENVELOPE_HEAD.length, false);
  if (end < 0 || !text.startsWith(ENVELOPE_SIGNATURES, end)) return undefined;
  let i = skipJsonValue(text, end + ENVELOPE_SIGNATURES.length);
  if (i < 0) return undefined;
  while (i < text.length && isJsonWhitespace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== CLOSE_OBJECT) return undefined;
  for (i++; i < text.length; i++) if (!isJsonWhitespace(text.charCodeAt(i))) return undefined;
  return text.slice(ENVELOPE_HEAD.length, end);
}
