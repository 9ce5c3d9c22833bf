/**
 * The "natural" order docker sorts tags and signers by (fvbommel/sortorder
 * `NaturalLess`): byte-wise, except that runs of digits compare as numbers,
 * digits sort before other bytes, and with equal numbers fewer leading zeros
 * come first.
 */
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

export function naturalLess(a: string, b: string): boolean {
  return compareBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;
}

/** A comparator for `Array.prototype.sort` (stable) from `naturalLess`. */
export function naturalCompare(a: string, b: string): number {
  return compareBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * NaturalLess(a, b) ? -1 : NaturalLess(b, a) ? 1 : 0, in one pass: every decision of
 * NaturalLess is symmetric in its arguments, so each answers both questions.
 */
function compareBytes(s1: Buffer, s2: Buffer): number {
  let i = 0;
  let j = 0;
  while (i < s1.length && j < s2.length) {
    const c1 = s1[i] as number;
    const c2 = s2[j] as number;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1 ? -1 : 1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2 ? -1 : 1;
      i++;
      j++;
      continue;
    }
    while (i < s1.length && s1[i] === 0x30) i++;
    while (j < s2.length && s2[j] === 0x30) j++;
    const start1 = i;
    const start2 = j;
    while (i < s1.length && isDigit(s1[i] as number)) i++;
    while (j < s2.length && isDigit(s2[j] as number)) j++;
    const len1 = i - start1;
    const len2 = j - start2;
    if (len1 !== len2) return len1 < len2 ? -1 : 1;
    for (let k = 0; k < len1; k++) {
      const x = s1[start1 + k] as number;
      const y = s2[start2 + k] as number;
      if (x !== y) return x < y ? -1 : 1;
    }
    if (start1 !== start2) return start1 < start2 ? -1 : 1;
  }
  return s1.length === s2.length ? 0 : s1.length < s2.length ? -1 : 1;
}

/** printable ASCII without space: the keys `sortKey` encodes */
const PRINTABLE = /^[\u0021-\u007e]*$/;
const DIGIT_RUN = /[0-9]+/g;

/**
 * A string whose plain code-unit order is the natural order of `s` (printable
 * ASCII): each digit run becomes U+0001 (below every printable character, as
 * digits sort before other bytes), its length without leading zeros, those
 * digits, and its count of leading zeros (fewer first when the numbers are equal).
 */
function sortKey(s: string): string {
  return s.replace(DIGIT_RUN, (run) => {
    let zeros = 0;
    while (zeros < run.length && run.charCodeAt(zeros) === 0x30) zeros++;
    return '\u0001' + String.fromCharCode(0x21 + run.length - zeros) + run.slice(zeros) + String.fromCharCode(0x21 + zeros);
  });
}

/** `sortNatural` through native string sort keys, or undefined when a key is not printable ASCII. */
function sortPrintable<T>(items: readonly T[], key: (item: T) => string): T[] | undefined {
  // (digit runs and indexes are written as UTF-16 code units: bounded lengths and counts keep them in range)
  if (items.length > 0xffffffff) return undefined;
  const keys = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const text = key(items[i] as T);
    if (text.length > 0xff00 || !PRINTABLE.test(text)) return undefined;
    // U+0000 ends each key (below every key character: a prefix sorts first), then the index, fixed width (stability)
    keys[i] = sortKey(text) + '\u0000' + String.fromCharCode(i >>> 16, i & 0xffff);
  }
  keys.sort();
  const out = new Array<T>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out[i] = items[(k.charCodeAt(k.length - 2) << 16) | k.charCodeAt(k.length - 1)] as T;
  }
  return out;
}

/**
 * `items` sorted (stably) in natural order of `key`. Printable ASCII keys (docker tags)
 * become sort keys ordered by the engine's native string sort; others are compared
 * one pair at a time as UTF-8 (encoded once each).
 */
export function sortNatural<T>(items: readonly T[], key: (item: T) => string): T[] {
  const sorted = sortPrintable(items, key);
  if (sorted) return sorted;
  const keyed = items.map((item) => ({ item, bytes: Buffer.from(key(item), 'utf8') }));
  keyed.sort((x, y) => compareBytes(x.bytes, y.bytes));
  return keyed.map((x) => x.item);
}
