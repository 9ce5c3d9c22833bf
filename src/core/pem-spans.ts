/** Where the PEM blocks of a text are, found in time linear in its length. */
import { PemEndLines } from './pem-end-lines.js';

/** One block: `text.slice(start, end)` is the whole block, `text.slice(bodyStart, bodyEnd)` its body. */
export interface PemSpan {
  type: string;
  start: number;
  bodyStart: number;
  /** where its `-----END <type>-----` begins */
  bodyEnd: number;
  /** just after that END marker */
  end: number;
}

/**
 * The blocks a global lazy regular expression `<begin>[\s\S]*?-----END \1-----` finds, in
 * order: each BEGIN marker that `begin` (a sticky expression, the type in group 1, matching only
 * at a `-----BEGIN ` position) accepts, with the first END marker of its type after it; a BEGIN
 * without one is passed over, and the search goes on after each block's END. Unlike the regular
 * expression (which searches the rest of the text for every BEGIN line without END), linear in
 * the text's length. The types `begin` accepts must neither contain `-----` nor end with `-`
 * (pem-end-lines.ts): a type of no `-` at all, as PEM types are.
 */
export function pemSpans(text: string, begin: RegExp): PemSpan[] {
  if (!begin.sticky) throw new TypeError('pemSpans needs a sticky BEGIN expression');
  const spans: PemSpan[] = [];
  let ends: PemEndLines | undefined;
  for (let pos = text.indexOf('-----BEGIN '); pos >= 0;) {
    begin.lastIndex = pos;
    const m = begin.exec(text);
    if (m) {
      const type = m[1] as string;
      const bodyStart = pos + m[0].length;
      ends ??= new PemEndLines(text);
      const bodyEnd = ends.find(type, bodyStart);
      if (bodyEnd >= 0) {
        const end = bodyEnd + type.length + 14;
        spans.push({ type, start: pos, bodyStart, bodyEnd, end });
        pos = text.indexOf('-----BEGIN ', end);
        continue;
      }
    }
    pos = text.indexOf('-----BEGIN ', pos + 1);
  }
  return spans;
}
