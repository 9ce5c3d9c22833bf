/**
 * The first PEM block of a text, found as Go's `encoding/pem` Decode finds it (text before
 * the block is skipped, `Key: value` headers are allowed, the body must be clean base64), and
 * PEM encoding with 64-character lines as Go writes it.
 */
import { splitPemBody } from '../../core/pem-body.js';
import { PemEndLines } from '../../core/pem-end-lines.js';
import { PemBodyLines } from './pem-body-lines.js';

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

const BEGIN = /-----BEGIN ([^\r\n-]*)-----\r?\n/g;

/**
 * The first well-formed PEM block, or undefined when there is none (Go: `p == nil`): the first
 * BEGIN line whose body is a block; a BEGIN line without the END of its type ends the search.
 * Linear in the text's length: END markers from PemEndLines, bodies judged by PemBodyLines.
 */
export function decodePem(input: string | Buffer): PemBlock | undefined {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  let ends: PemEndLines | undefined;
  let bodies: PemBodyLines | undefined;
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m; m = BEGIN.exec(text)) {
    const type = m[1] as string;
    const bodyStart = m.index + m[0].length;
    const end = (ends ??= new PemEndLines(text)).find(type, bodyStart);
    if (end < 0) return undefined;
    const block = (bodies ??= new PemBodyLines(text)).isBlock(bodyStart, end) ? parseBody(type, text.slice(bodyStart, end)) : undefined;
    if (block) return block;
  }
  return undefined;
}

function parseBody(type: string, body: string): PemBlock | undefined {
  const parts = splitPemBody(body, 'not-a-block');
  if (!parts) return undefined;
  const b64 = parts.dataLines.map((l) => l.trim()).join('');
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  return { type, headers: parts.headers, bytes: Buffer.from(b64, 'base64') };
}

/** A PEM block as Go's `pem.EncodeToMemory` writes it. */
export function encodePem(type: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.map((l) => `${l}\n`).join('')}-----END ${type}-----\n`;
}
