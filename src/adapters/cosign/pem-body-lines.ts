/**
 * The line rules of Go's `encoding/pem` reader, on text held as bytes (a latin1 string: one
 * character a byte): where a line ends and what of it counts, and how a header name or value is
 * trimmed.
 */

/** A line from `start`: its content `[start, contentEnd)` and where the next line starts. */
export interface PemLine {
  contentEnd: number;
  next: number;
}

/**
 * The line starting at `start` (Go's `getLine`): up to the next `\n` (or the text's end), less a
 * `\r` just before that `\n`, less the spaces and tabs then at its end.
 */
export function pemLine(text: string, start: number): PemLine {
  const nl = text.indexOf('\n', start);
  let end = nl < 0 ? text.length : nl;
  if (nl > start && text.charCodeAt(nl - 1) === 0x0d) end--;
  while (end > start && isSpaceOrTab(text.charCodeAt(end - 1))) end--;
  return { contentEnd: end, next: nl < 0 ? text.length : nl + 1 };
}

/**
 * Whether the line from `start` holds only spaces and tabs (Go's `getLine` gives it empty), read
 * only as far as its first other character.
 */
export function isBlankLineFrom(text: string, start: number): boolean {
  let at = start;
  while (at < text.length && isSpaceOrTab(text.charCodeAt(at))) at++;
  if (at === text.length || text.charCodeAt(at) === 0x0a) return true;
  return text.charCodeAt(at) === 0x0d && text.charCodeAt(at + 1) === 0x0a;
}

function isSpaceOrTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** ASCII white space as Go's `unicode.IsSpace` has it */
function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * The UTF-8 bytes of the other white space Go's `bytes.TrimSpace` trims (U+0085, U+00A0, U+1680,
 * U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), as latin1 strings.
 */
const UNICODE_SPACES = [0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]
  .concat(Array.from({ length: 11 }, (_, i) => 0x2000 + i))
  .map((cp) => Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1'));

/** `text.slice(start, end)` less white space at both ends, as Go's `bytes.TrimSpace` trims bytes. */
export function trimGoSpace(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  for (let step = 1; step > 0 && from < to;) {
    step = isAsciiSpace(text.charCodeAt(from))
      ? 1
      : (UNICODE_SPACES.find((s) => to - from >= s.length && text.startsWith(s, from))?.length ?? 0);
    from += step;
  }
  for (let step = 1; step > 0 && from < to;) {
    step = isAsciiSpace(text.charCodeAt(to - 1))
      ? 1
      : (UNICODE_SPACES.find((s) => to - from >= s.length && text.startsWith(s, to - s.length))?.length ?? 0);
    to -= step;
  }
  return text.slice(from, to);
}
