/**
 * One pass over the text of a targets file whose `signed` value is written in
 * canonical form (as notary writes a file without `<`, `>` or `&` in it): it
 * proves that text canonical and checks every target entry in the same pass,
 * so that the file needs neither `JSON.parse` of its targets map, nor a
 * separate walk of the parsed map, nor a separate proof that the text is
 * canonical (signatures are checked over canonical JSON: here the file's own
 * `signed` text, proven to be it).
 *
 * It accepts only what the general path (`JSON.parse`, `Targets.fromJSON`,
 * `canonicalSignedText`) accepts, with the same result; anything else —
 * another shape, a non-canonical byte, an entry the general path would refuse,
 * decode or normalise — makes it answer undefined, and the caller takes the
 * general path, which refuses or reads the file exactly as before.
 */
import { compareCodePoints } from '../canonical-json.js';
import { canonicalStringEnd, canonicalValueEnd, compareLiteralBodies, SIGNED_TEXT_OFFSET } from '../canonical-text.js';
import type { ParsedEntries, TargetSummaries } from './target-files.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const EQUALS = 0x3d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** 6-bit value + 1 of each ASCII code unit of the standard base64 alphabet; 0 for every other one. */
const BASE64_VALUE_1 = new Uint8Array(128);
for (let i = 0; i < 64; i++) BASE64_VALUE_1[BASE64_ALPHABET.charCodeAt(i)] = i + 1;

/** At most 15 digits: below 2^53, so the number is the text's value exactly (as in `canonicalNumberEnd`). */
const MAX_DIGITS = 15;

/** What `readCanonicalTargets` reads from a file. */
export interface CanonicalTargetsText {
  /** end of the `signed` value, which starts at `SIGNED_TEXT_OFFSET`; its text is canonical */
  signedEnd: number;
  /** `JSON.parse` of the `signed` text with its `targets` member's value replaced by `{}` */
  signedShell: unknown;
  /** `JSON.parse` of the `signatures` member's text */
  signatures: unknown;
  /** the `targets` map, every entry checked */
  targets: ParsedEntries;
}

const SIGNATURES_MEMBER = ',"signatures":';

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * For `text` shaped `{"signed":V,"signatures":S}` (whitespace only inside and after S,
 * S any JSON value) where V is a canonical object with a `targets` member whose
 * entries are all plain (`isPlainCanonicalEntry`) and whose names are not array
 * indices, what `JSON.parse(text)` and `TargetFiles.fromJSON` would give, read in one
 * pass. Undefined for anything else (the caller then parses `text` as usual). Never throws.
 */
export function readCanonicalTargets(text: string): CanonicalTargetsText | undefined {
  if (!text.startsWith('{"signed":{') || text.charCodeAt(SIGNED_TEXT_OFFSET + 1) === CLOSE_OBJECT) return undefined;
  // the members of V: names strictly ascending; `targets` read by `scanTargets`, the others checked as canonical
  let i = SIGNED_TEXT_OFFSET + 1;
  let prevStart = -1;
  let prevEnd = -1;
  let targets: TextEntries | undefined;
  let targetsStart = -1;
  let targetsEnd = -1;
  for (;;) {
    const nameEnd = canonicalStringEnd(text, i);
    if (nameEnd < 0 || text.charCodeAt(nameEnd) !== COLON) return undefined;
    if (prevStart >= 0 && compareLiteralBodies(text, prevStart, prevEnd, i + 1, nameEnd - 1) >= 0) return undefined;
    prevStart = i + 1;
    prevEnd = nameEnd - 1;
    const valueStart = nameEnd + 1;
    let valueEnd: number;
    if (nameEnd - i === 9 && text.startsWith('"targets"', i)) {
      const scan = new TargetsScan(text);
      valueEnd = scan.map(valueStart);
      if (valueEnd < 0) return undefined;
      targets = scan.entries();
      targetsStart = valueStart;
      targetsEnd = valueEnd;
    } else {
      valueEnd = canonicalValueEnd(text, valueStart);
      if (valueEnd < 0) return undefined;
    }
    const c = text.charCodeAt(valueEnd);
    i = valueEnd + 1;
    if (c === CLOSE_OBJECT) break;
    if (c !== COMMA) return undefined;
  }
  if (!targets) return undefined;
  const signedEnd = i;
  // the envelope: `,"signatures":` S, then `}` and whitespace only
  if (!text.startsWith(SIGNATURES_MEMBER, signedEnd)) return undefined;
  let close = text.length;
  while (close > signedEnd && isJsonWhitespace(text.charCodeAt(close - 1))) close--;
  if (text.charCodeAt(close - 1) !== CLOSE_OBJECT) return undefined;
  try {
    const signatures = JSON.parse(text.slice(signedEnd + SIGNATURES_MEMBER.length, close - 1)) as unknown;
    const signedShell = JSON.parse(text.slice(SIGNED_TEXT_OFFSET, targetsStart) + '{}' + text.slice(targetsEnd, signedEnd)) as unknown;
    return { signedEnd, signedShell, signatures, targets };
  } catch {
    return undefined; // S is not one JSON value (e.g. members after it): not this shape
  }
}

/** Reads one `targets` map; -1 from any step means "not plain canonical text". */
class TargetsScan {
  readonly names: string[] = [];
  readonly digests: string[] = [];
  readonly lengths: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  /** set by `entry`: where the sha256 digest's text is (-1: none), and the length */
  private sha256Start = -1;
  private sha256End = -1;
  private length = 0;

  constructor(private readonly text: string) {}

  entries(): TextEntries {
    return new TextEntries(this.text, this.names, this.starts, this.ends, {
      names: this.names,
      digests: this.digests,
      lengths: this.lengths,
    });
  }

  /** `{` name `:` entry (`,` name `:` entry)* `}` or `{}`, names strictly ascending; the end, or -1. */
  map(start: number): number {
    const text = this.text;
    if (text.charCodeAt(start) !== OPEN_OBJECT) return -1;
    if (text.charCodeAt(start + 1) === CLOSE_OBJECT) return start + 2;
    let i = start + 1;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      const nameEnd = canonicalStringEnd(text, i);
      if (nameEnd < 0 || text.charCodeAt(nameEnd) !== COLON) return -1;
      if (prevStart >= 0 && compareLiteralBodies(text, prevStart, prevEnd, i + 1, nameEnd - 1) >= 0) return -1;
      // Object.keys lists array indices first: such names would not keep file order
      const first = text.charCodeAt(i + 1);
      if (first >= DIGIT_0 && first <= DIGIT_9 && allDigits(text, i + 1, nameEnd - 1)) return -1;
      prevStart = i + 1;
      prevEnd = nameEnd - 1;
      const entryEnd = this.entry(nameEnd + 1);
      if (entryEnd < 0) return -1;
      this.names.push(literalValue(text, i + 1, nameEnd - 1));
      this.digests.push(this.sha256Start < 0 ? '' : text.slice(this.sha256Start, this.sha256End));
      this.lengths.push(this.length);
      this.starts.push(nameEnd + 1);
      this.ends.push(entryEnd);
      const c = text.charCodeAt(entryEnd);
      if (c === CLOSE_OBJECT) return entryEnd + 1;
      if (c !== COMMA) return -1;
      i = entryEnd + 1;
    }
  }

  /**
   * A plain entry: `{"custom"?: non-null, "hashes": {alg: canonical base64}, "length": n ≥ 0}`,
   * other members allowed (Go drops them), all canonical, names strictly ascending.
   */
  private entry(start: number): number {
    const text = this.text;
    if (text.charCodeAt(start) !== OPEN_OBJECT || text.charCodeAt(start + 1) === CLOSE_OBJECT) return -1;
    this.sha256Start = -1;
    let sawHashes = false;
    let sawLength = false;
    let i = start + 1;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      const nameEnd = canonicalStringEnd(text, i);
      if (nameEnd < 0 || text.charCodeAt(nameEnd) !== COLON) return -1;
      if (prevStart >= 0 && compareLiteralBodies(text, prevStart, prevEnd, i + 1, nameEnd - 1) >= 0) return -1;
      prevStart = i + 1;
      prevEnd = nameEnd - 1;
      const v = nameEnd + 1;
      let end: number;
      if (nameEnd - i === 8 && text.startsWith('"hashes"', i)) {
        end = this.hashes(v);
        sawHashes = true;
      } else if (nameEnd - i === 8 && text.startsWith('"length"', i)) {
        end = this.nonNegativeInteger(v);
        sawLength = true;
      } else {
        // "custom": null is dropped when decoded, so such an entry is not plain
        if (nameEnd - i === 8 && text.startsWith('"custom"', i) && text.startsWith('null', v)) return -1;
        end = canonicalValueEnd(text, v);
      }
      if (end < 0) return -1;
      const c = text.charCodeAt(end);
      if (c === CLOSE_OBJECT) return sawHashes && sawLength ? end + 1 : -1;
      if (c !== COMMA) return -1;
      i = end + 1;
    }
  }

  /** `{}` or `{` alg `:` digest (`,` alg `:` digest)* `}`, algs strictly ascending. */
  private hashes(start: number): number {
    const text = this.text;
    if (text.charCodeAt(start) !== OPEN_OBJECT) return -1;
    if (text.charCodeAt(start + 1) === CLOSE_OBJECT) return start + 2;
    let i = start + 1;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      const nameEnd = canonicalStringEnd(text, i);
      if (nameEnd < 0 || text.charCodeAt(nameEnd) !== COLON) return -1;
      if (prevStart >= 0 && compareLiteralBodies(text, prevStart, prevEnd, i + 1, nameEnd - 1) >= 0) return -1;
      prevStart = i + 1;
      prevEnd = nameEnd - 1;
      const end = canonicalBase64LiteralEnd(text, nameEnd + 1);
      if (end < 0) return -1;
      if (nameEnd - i === 8 && text.startsWith('"sha256"', i)) {
        this.sha256Start = nameEnd + 2;
        this.sha256End = end - 1;
      }
      const c = text.charCodeAt(end);
      if (c === CLOSE_OBJECT) return end + 1;
      if (c !== COMMA) return -1;
      i = end + 1;
    }
  }

  /** `0` or `[1-9][0-9]{0,14}` not followed by a digit, `.`, `e` or `E`; sets `length`. */
  private nonNegativeInteger(start: number): number {
    const text = this.text;
    let c = text.charCodeAt(start);
    if (c === DIGIT_0) {
      this.length = 0;
      c = text.charCodeAt(start + 1);
      return (c >= DIGIT_0 && c <= DIGIT_9) || c === 0x2e || c === 0x65 || c === 0x45 ? -1 : start + 1;
    }
    let n = 0;
    let i = start;
    while (c >= DIGIT_0 && c <= DIGIT_9) {
      n = n * 10 + (c - DIGIT_0);
      c = text.charCodeAt(++i);
    }
    if (i === start || i - start > MAX_DIGITS || c === 0x2e || c === 0x65 || c === 0x45) return -1;
    this.length = n;
    return i;
  }
}

/**
 * If a string literal holding canonical standard base64 (padded, unused bits zero:
 * what `isCanonicalBase64` accepts) starts at `text[start]`, the index past its
 * closing quote; else -1.
 */
function canonicalBase64LiteralEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== QUOTE) return -1;
  const first = start + 1;
  let i = first;
  let last = 0;
  for (;;) {
    const u = text.charCodeAt(i); // NaN past the end
    const v = u < 128 ? (BASE64_VALUE_1[u] as number) : 0;
    if (v === 0) break;
    last = v;
    i++;
  }
  let pad = 0;
  while (pad < 2 && text.charCodeAt(i) === EQUALS) {
    pad++;
    i++;
  }
  if (text.charCodeAt(i) !== QUOTE || ((i - first) & 3) !== 0) return -1;
  // the unused low bits of the last character before the padding must be zero
  if (pad === 1 ? ((last - 1) & 0x3) !== 0 : pad === 2 ? ((last - 1) & 0xf) !== 0 : false) return -1;
  return i + 1;
}

function allDigits(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

/** The value of a canonical string-literal body (`\"` and `\\` the only escapes). */
function literalValue(text: string, start: number, end: number): string {
  const body = text.slice(start, end);
  return body.indexOf('\\') < 0 ? body : body.replace(/\\(["\\])/g, '$1');
}

/**
 * Entries read by `TargetsScan`: names in canonical (code point) order, which is
 * also their `Object.keys` order (no name is an array index); each entry's text
 * is parsed when it is read.
 */
class TextEntries implements ParsedEntries {
  constructor(
    private readonly text: string,
    readonly names: readonly string[],
    private readonly starts: readonly number[],
    private readonly ends: readonly number[],
    readonly index: TargetSummaries,
  ) {}

  private find(name: string): number {
    let lo = 0;
    let hi = this.names.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareCodePoints(this.names[mid] as string, name);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  entry(name: string): unknown {
    const i = this.find(name);
    return i < 0 ? undefined : this.entryAt(i);
  }

  hash(name: string, alg: string): string | undefined {
    const i = this.find(name);
    if (i < 0) return undefined;
    if (alg === 'sha256' && this.index.digests[i] !== '') return this.index.digests[i];
    const hashes = (this.entryAt(i) as { hashes: Record<string, string> }).hashes;
    return Object.hasOwn(hashes, alg) ? hashes[alg] : undefined;
  }

  private entryAt(i: number): unknown {
    return JSON.parse(this.text.slice(this.starts[i], this.ends[i])) as unknown;
  }
}
