const SURROGATE = /[\ud800-\udfff]/;

/** Runes (code points), as Go's tabwriter counts a cell's width. */
function runeCount(cell: string): number {
  return SURROGATE.test(cell) ? [...cell].length : cell.length;
}

/** Go text/tabwriter layout (no flags): each cell padded to its column's width + padding, last cell bare. */
export function tabwrite(rows: string[][], { minWidth = 4, padding = 4 } = {}): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.length - 1; i++) widths[i] = Math.max(widths[i] ?? minWidth, runeCount(row[i] as string) + padding);
  }
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length - 1; i++) {
      const cell = row[i] as string;
      out += cell.padEnd((widths[i] as number) - (runeCount(cell) - cell.length));
    }
    out += (row[row.length - 1] ?? '') + '\n';
  }
  return out;
}
