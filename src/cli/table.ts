/** Go text/tabwriter layout (no flags): each cell padded to its column's width + padding, last cell bare. */
export function tabwrite(rows: string[][], { minWidth = 4, padding = 4 } = {}): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? minWidth, [...cell].length + padding);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd((widths[i] as number) - ([...cell].length - cell.length)) : cell)).join(''))
    .map((line) => line + '\n')
    .join('');
}
