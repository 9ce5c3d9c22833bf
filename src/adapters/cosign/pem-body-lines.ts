/**
 * Which bodies of a PEM text decodePem (pem-block.ts) takes for a block, each answered in constant
 * time from what one pass over the text's lines found. decodePem tries the BEGIN lines in turn and
 * goes on to the next one when a body is not a block; that next BEGIN line may lie inside the body
 * it just read, so reading each body afresh costs the length of the text per BEGIN line: quadratic
 * in hostile text (cosign certificates and keys come from registries).
 *
 * A body (from just after its BEGIN line to its END marker) is a block when, split in lines and
 * each line trimmed:
 * - with no `:` anywhere, all its lines are the base64;
 * - with one, the lines up to the first blank one are `Name: value` headers (a non-blank line
 *   without `:` there: not a block) and the lines after it the base64 (none when no line is blank);
 * - and the base64, the lines joined, is padded standard base64: only `[A-Za-z0-9+/]`, then at most
 *   two `=`, in groups of four.
 * Bodies start at a line's start; the last line of a body ends at its END marker, maybe mid-line.
 */
const BASE64_LINE = /^[A-Za-z0-9+/]*=*$/;

/** What a line (or the start of one, up to an END marker) contributes, trimmed. */
interface LineFacts {
  blank: boolean;
  colon: boolean;
  /** not `[A-Za-z0-9+/]*=*` */
  bad: boolean;
  length: number;
  /** its trailing `=` */
  padding: number;
  /** has a base64 character other than `=` */
  data: boolean;
}

function lineFacts(line: string): LineFacts {
  const t = line.trim();
  const bad = !BASE64_LINE.test(t);
  let padding = 0;
  if (!bad) while (padding < t.length && t.charCodeAt(t.length - 1 - padding) === 0x3d) padding++;
  return { blank: t === '', colon: line.includes(':'), bad, length: t.length, padding, data: t.length > padding };
}

export class PemBodyLines {
  /** where each line starts (the text split at `\n`) */
  private readonly starts: number[] = [];
  private readonly firstDash: Int32Array;
  private readonly firstColon: Int32Array;
  /** per line k: the first line ≥ k that … (the line count when none) */
  private readonly nextHeaderStop: Int32Array; // has no `:` (blank lines included)
  private readonly nextColon: Int32Array;
  private readonly nextBad: Int32Array;
  private readonly nextPadded: Int32Array;
  /** per line k: the last line < k with base64 data, or -1 */
  private readonly lastData: Int32Array;
  /** per line k: the trimmed lengths and `=` of the lines before k */
  private readonly lengthSum: Float64Array;
  private readonly paddingSum: Float64Array;
  private readonly blank: Uint8Array;
  private readonly partial = new Map<number, LineFacts>();

  constructor(private readonly text: string) {
    for (let at = 0; ;) {
      this.starts.push(at);
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      at = nl + 1;
    }
    const n = this.starts.length;
    this.firstDash = new Int32Array(n);
    this.firstColon = new Int32Array(n);
    this.nextHeaderStop = new Int32Array(n + 1).fill(n);
    this.nextColon = new Int32Array(n + 1).fill(n);
    this.nextBad = new Int32Array(n + 1).fill(n);
    this.nextPadded = new Int32Array(n + 1).fill(n);
    this.lastData = new Int32Array(n + 1).fill(-1);
    this.lengthSum = new Float64Array(n + 1);
    this.paddingSum = new Float64Array(n + 1);
    this.blank = new Uint8Array(n);
    const facts: LineFacts[] = [];
    for (let k = 0; k < n; k++) {
      const start = this.starts[k] as number;
      const end = k + 1 < n ? (this.starts[k + 1] as number) - 1 : text.length;
      const line = text.slice(start, end);
      const dash = line.indexOf('-');
      const colon = line.indexOf(':');
      this.firstDash[k] = dash < 0 ? end : start + dash;
      this.firstColon[k] = colon < 0 ? end : start + colon;
      const f = lineFacts(line);
      facts.push(f);
      this.blank[k] = f.blank ? 1 : 0;
      this.lengthSum[k + 1] = (this.lengthSum[k] as number) + f.length;
      this.paddingSum[k + 1] = (this.paddingSum[k] as number) + f.padding;
      this.lastData[k + 1] = f.data ? k : (this.lastData[k] as number);
    }
    for (let k = n - 1; k >= 0; k--) {
      const f = facts[k] as LineFacts;
      this.nextHeaderStop[k] = !f.colon ? k : (this.nextHeaderStop[k + 1] as number);
      this.nextColon[k] = f.colon ? k : (this.nextColon[k + 1] as number);
      this.nextBad[k] = f.bad ? k : (this.nextBad[k + 1] as number);
      this.nextPadded[k] = f.padding > 0 ? k : (this.nextPadded[k + 1] as number);
    }
  }

  /** Whether `text.slice(bodyStart, bodyEnd)` is a block; `bodyStart` starts a line. */
  isBlock(bodyStart: number, bodyEnd: number): boolean {
    const first = this.lineOf(bodyStart);
    const last = this.lineOf(bodyEnd);
    const tail = this.partialLine(last, bodyEnd);
    if ((this.nextColon[first] as number) >= last && !tail.colon) return this.isBase64(first, last, tail);
    const stop = this.nextHeaderStop[first] as number;
    if (stop < last) return this.blank[stop] === 1 && this.isBase64(stop + 1, last, tail);
    // every whole line is a header: the last one is a header too, or blank, or it is not a block
    return tail.blank || tail.colon;
  }

  /** Whether whole lines `from` to `last - 1` and then `tail` (`from` ≤ `last`) join to padded base64. */
  private isBase64(from: number, last: number, tail: LineFacts): boolean {
    if ((this.nextBad[from] as number) < last || tail.bad) return false;
    const padding = (this.paddingSum[last] as number) - (this.paddingSum[from] as number) + tail.padding;
    const length = (this.lengthSum[last] as number) - (this.lengthSum[from] as number) + tail.length;
    if (padding > 2 || length % 4 !== 0) return false;
    // no base64 data after the first `=`: none on a line after the first whole line with one
    const firstPadded = this.nextPadded[from] as number;
    const lastData = tail.data ? last : (this.lastData[last] as number);
    return firstPadded >= last || lastData <= firstPadded;
  }

  /**
   * The facts of line `k` up to `end`. With a `-` in that part (an END marker on the line before
   * this one, say) it is neither blank nor base64, whatever else it holds; otherwise `end` is the
   * line's first `-`, so each line is read in full at most once here.
   */
  private partialLine(k: number, end: number): LineFacts {
    const start = this.starts[k] as number;
    if ((this.firstDash[k] as number) < end) {
      return { blank: false, colon: (this.firstColon[k] as number) < end, bad: true, length: 0, padding: 0, data: false };
    }
    let facts = this.partial.get(end);
    if (!facts) this.partial.set(end, (facts = lineFacts(this.text.slice(start, end))));
    return facts;
  }

  /** the line holding position `at` */
  private lineOf(at: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.starts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
