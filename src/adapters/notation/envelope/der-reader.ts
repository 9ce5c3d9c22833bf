/**
 * A minimal DER reader for the few certificate fields node:crypto does not expose (names as
 * attribute lists, key usage, basic constraints, extended key usage, CRL distribution points).
 * pkijs parses a certificate in ~4 ms; verifying a thousand signatures needs this in microseconds.
 * Input is a certificate node:crypto has already parsed, so malformed DER is not expected; any
 * inconsistency still throws (RangeError), never reads out of bounds.
 */
export interface DerNode {
  tag: number;
  /** start of the contents */
  start: number;
  /** end of the contents (exclusive) */
  end: number;
  /** start of the header (for re-emitting the whole TLV) */
  headerStart: number;
}

export function readNode(buf: Uint8Array, offset: number, limit = buf.length): DerNode {
  if (offset + 2 > limit) throw new RangeError('DER: truncated');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new RangeError('DER: multi-byte tags are not used in certificates');
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || pos + n > limit) throw new RangeError('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > limit) throw new RangeError('DER: length past the end');
  return { tag, start: pos, end: pos + len, headerStart: offset };
}

export function children(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let pos = node.start; pos < node.end;) {
    const child = readNode(buf, pos, node.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function oidString(buf: Uint8Array, node: DerNode): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = node.start; i < node.end; i++) {
    const b = buf[i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The text of a directory string (UTF8, Printable, IA5, Teletex, Numeric, Visible, BMP, Universal). */
export function stringValue(buf: Uint8Array, node: DerNode): string | undefined {
  const bytes = buf.subarray(node.start, node.end);
  switch (node.tag) {
    case 0x0c:
      return decoder.decode(bytes);
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x16:
    case 0x1a:
      return Buffer.from(bytes).toString('latin1');
    case 0x1e: {
      let s = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
      return s;
    }
    case 0x1c: {
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4)
        s += String.fromCodePoint(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
      return s;
    }
    default:
      return undefined;
  }
}
