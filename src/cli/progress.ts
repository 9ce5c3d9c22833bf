/**
 * Per-blob progress on a terminal: one line per layer, redrawn in place at most
 * ten times a second (`<digest>: <state> [=====>   ] 12.3MB/45.6MB`); nothing
 * when the stream is not a terminal (scripts get the final result only).
 */
import type { Writable } from 'node:stream';

interface Line {
  label: string;
  state: string;
  done: number;
  total: number;
}

export class ProgressBoard {
  private readonly lines = new Map<string, Line>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  readonly enabled: boolean;

  constructor(private readonly out: Writable & { isTTY?: boolean; columns?: number }) {
    this.enabled = out.isTTY === true;
  }

  update(id: string, state: string, done: number, total: number): void {
    if (!this.enabled) return;
    const line = this.lines.get(id) ?? { label: shortDigest(id), state, done, total };
    Object.assign(line, { state, done, total });
    this.lines.set(id, line);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  /** Draws the final state and stops. */
  finish(): void {
    if (!this.enabled) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private draw(): void {
    const width = Math.max(40, (this.out.columns ?? 80) - 1);
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of this.lines.values()) text += `\x1b[2K${render(l).slice(0, width)}\n`;
    this.drawn = this.lines.size;
    this.out.write(text);
  }
}

function render(l: Line): string {
  if (l.state !== 'Downloading' && l.state !== 'Uploading') return `${l.label}: ${l.state}`;
  const ratio = l.total > 0 ? Math.min(1, l.done / l.total) : 0;
  const filled = Math.round(ratio * 30);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(30 - filled)}]`;
  return `${l.label}: ${l.state} ${bar} ${humanBytes(l.done)}/${humanBytes(l.total)}`;
}

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** docker's units: kB, MB, GB with 3 significant digits. */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toPrecision(3)}${units[i]}`;
}
