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

/** `items` sorted (stably) in natural order of `key`, each key encoded once rather than per comparison. */
export function sortNatural<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, bytes: Buffer.from(key(item), 'utf8') }))
    .sort((x, y) => compareBytes(x.bytes, y.bytes))
    .map((x) => x.item);
}
