/** Strict base64 / hex decoding and PEM blocks with Go-style headers. */
import { CoreError } from './errors.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Standard, padded base64 as Go's encoding/base64.StdEncoding accepts it. */
export function decodeBase64(s: string, what = 'value'): Buffer {
  if (!BASE64.test(s)) throw new CoreError('MALFORMED_ENCODING', `${what} is not valid base64`);
  return Buffer.from(s, 'base64');
}

export function decodeHex(s: string, what = 'value'): Buffer {
  if (!HEX.test(s)) throw new CoreError('MALFORMED_ENCODING', `${what} is not valid hex`);
  return Buffer.from(s, 'hex');
}

export interface PemBlock {
  type: string;
  /** header lines (`Name: value`) in file order */
  headers: Record<string, string>;
  bytes: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in `text`, headers included (OpenSSL refuses notary's `role:` headers; we do not). */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  PEM_BLOCK.lastIndex = 0;
  for (let m = PEM_BLOCK.exec(text); m; m = PEM_BLOCK.exec(text)) {
    const type = m[1] as string;
    const lines = (m[2] as string).split(/\r?\n/);
    const headers: Record<string, string> = {};
    let i = 0;
    if (lines.some((l) => l.includes(':'))) {
      for (; i < lines.length; i++) {
        const line = lines[i] as string;
        if (line.trim() === '') {
          i++;
          break;
        }
        const colon = line.indexOf(':');
        if (colon < 0) {
          // no header section after all
          i = 0;
          for (const k of Object.keys(headers)) delete headers[k];
          break;
        }
        headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
    }
    const body = lines.slice(i).join('').replace(/\s+/g, '');
    blocks.push({ type, headers, bytes: decodeBase64(body, `PEM block ${type}`) });
  }
  return blocks;
}

export function decodePem(text: string, what = 'PEM data'): PemBlock {
  const [first] = decodePemBlocks(text);
  if (!first) throw new CoreError('MALFORMED_PEM', `${what} contains no PEM block`);
  return first;
}

/** Go's pem.Encode: headers sorted by name (Proc-Type first), blank line, 64-column base64. */
export function encodePem(block: PemBlock): string {
  let out = `-----BEGIN ${block.type}-----\n`;
  const names = Object.keys(block.headers).sort();
  const proc = names.indexOf('Proc-Type');
  if (proc > 0) names.unshift(...names.splice(proc, 1));
  for (const name of names) out += `${name}: ${block.headers[name]}\n`;
  if (names.length > 0) out += '\n';
  const b64 = block.bytes.toString('base64');
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${block.type}-----\n`;
}
