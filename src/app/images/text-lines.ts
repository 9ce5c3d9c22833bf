/** Lines of a text as offsets (line endings and a leading byte order mark excluded), and the position of an offset. */

export interface Line {
  start: number;
  /** end of the content, before `\r\n` / `\n` */
  end: number;
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  // a byte order mark is not part of the first line's content
  const bom = /^(\u00ef\u00bb\u00bf|\ufeff)/.exec(text);
  if (bom) start = bom[0].length;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const stop = nl < 0 ? text.length : nl;
    const end = stop > start && text[stop - 1] === '\r' ? stop - 1 : stop;
    lines.push({ start, end });
    if (nl < 0) break;
    start = nl + 1;
  }
  return lines;
}

export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
