/**
 * A minimal DER reader and writer: enough ASN.1 for PKCS#8, PBES2, SPKI and
 * the self-signed root certificates notary makes. Definite lengths only.
 */
import { CoreError } from './errors.js';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// ---- writer -------------------------------------------------------------

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const der = {
  sequence: (...parts: Uint8Array[]) => tlv(TAG.SEQUENCE, Buffer.concat(parts)),
  set: (...parts: Uint8Array[]) => tlv(TAG.SET, Buffer.concat(parts)),
  octetString: (b: Uint8Array) => tlv(TAG.OCTET_STRING, b),
  bitString: (b: Uint8Array) => tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), b])),
  null: () => Buffer.from([TAG.NULL, 0]),
  boolean: (v: boolean) => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0])),
  utf8String: (s: string) => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8')),
  printableString: (s: string) => tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1')),
  /** explicit context tag [n] */
  explicit: (n: number, content: Uint8Array) => tlv(0xa0 | n, content),
  integer(value: number | bigint | Uint8Array): Buffer {
    let bytes: Buffer;
    if (value instanceof Uint8Array) {
      bytes = Buffer.from(value);
      let i = 0;
      while (i < bytes.length - 1 && bytes[i] === 0 && ((bytes[i + 1] as number) & 0x80) === 0) i++;
      bytes = bytes.subarray(i);
      if (bytes.length === 0) bytes = Buffer.from([0]);
    } else {
      const v = BigInt(value);
      if (v < 0n) throw new CoreError('MALFORMED_DER', 'negative integers are not supported');
      const hex = v.toString(16);
      bytes = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
    }
    if (((bytes[0] as number) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(TAG.INTEGER, bytes);
  },
  oid(dotted: string): Buffer {
    const arcs = dotted.split('.').map((a) => BigInt(a));
    const out: number[] = [Number((arcs[0] as bigint) * 40n + (arcs[1] as bigint))];
    for (const arc of arcs.slice(2)) {
      const chunk: number[] = [];
      let v = arc;
      do {
        chunk.unshift(Number(v & 0x7fn));
        v >>= 7n;
      } while (v > 0n);
      for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] as number) | 0x80;
      out.push(...chunk);
    }
    return tlv(TAG.OID, Buffer.from(out));
  },
  /** UTCTime for years 1950-2049, GeneralizedTime otherwise (RFC 5280). */
  time(date: Date): Buffer {
    const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
    const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
    const year = date.getUTCFullYear();
    if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(digits.slice(2) + 'Z', 'latin1'));
    return tlv(TAG.GENERALIZED_TIME, Buffer.from(digits + 'Z', 'latin1'));
  },
};

// ---- reader -------------------------------------------------------------

export interface DerNode {
  tag: number;
  /** the content octets */
  content: Buffer;
  /** the whole TLV */
  raw: Buffer;
}

export function readDer(buf: Buffer, offset = 0): DerNode {
  const fail = (why: string): never => {
    throw new CoreError('MALFORMED_DER', `malformed DER: ${why}`);
  };
  if (offset + 2 > buf.length) fail('truncated header');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not supported');
  let len = buf[offset + 1] as number;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) fail('unsupported length encoding');
    if (pos + n > buf.length) fail('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[pos + i] as number);
    pos += n;
  }
  if (pos + len > buf.length) fail('content runs past the end of the data');
  return { tag, content: buf.subarray(pos, pos + len), raw: buf.subarray(offset, pos + len) };
}

/** The single top-level value of `buf`, which must span it exactly. */
export function readDerExact(buf: Buffer): DerNode {
  const node = readDer(buf);
  if (node.raw.length !== buf.length) throw new CoreError('MALFORMED_DER', 'malformed DER: trailing data');
  return node;
}

export function derChildren(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let pos = 0; pos < node.content.length;) {
    const child = readDer(node.content, pos);
    out.push(child);
    pos += child.raw.length;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) {
    throw new CoreError('MALFORMED_DER', `malformed DER: expected ${what}`);
  }
  return node;
}

export function decodeOid(node: DerNode): string {
  expectTag(node, TAG.OID, 'an object identifier');
  const bytes = node.content;
  if (bytes.length === 0) throw new CoreError('MALFORMED_DER', 'malformed DER: empty OID');
  const first = bytes[0] as number;
  const arcs: bigint[] = [BigInt(Math.min(2, Math.floor(first / 40))), 0n];
  arcs[1] = BigInt(first) - (arcs[0] as bigint) * 40n;
  let v = 0n;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  return arcs.join('.');
}

export function decodeInteger(node: DerNode): bigint {
  expectTag(node, TAG.INTEGER, 'an integer');
  if (node.content.length === 0) throw new CoreError('MALFORMED_DER', 'malformed DER: empty integer');
  let v = 0n;
  for (const b of node.content) v = (v << 8n) | BigInt(b);
  if (((node.content[0] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * node.content.length);
  return v;
}
