/**
 * Strict base64 decoding as Go's `encoding/base64` does it: unpadded base64url for JWS parts,
 * padded standard base64 for certificates and the timestamp token. A bad input names the byte
 * Go names (`illegal base64 data at input byte N`); non-canonical trailing bits are refused.
 */
const URL_ALPHABET = /[^A-Za-z0-9_-]/;
const STD_ALPHABET = /[^A-Za-z0-9+/=]/;
const VALUES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class Base64Error extends Error {}

/** The value of a base64 digit (`-`/`+` 62, `_`/`/` 63). */
function digit(c: string): number {
  const v = VALUES.indexOf(c);
  return v !== -1 ? v : c === '-' || c === '+' ? 62 : 63;
}

/** The last digit of a group of 2 or 3 must leave its unused low bits zero. */
function checkTrailingBits(text: string, dataLength: number): void {
  const rest = dataLength % 4;
  if (rest === 0) return;
  const last = digit(text[dataLength - 1]!);
  if ((rest === 2 && (last & 0x0f) !== 0) || (rest === 3 && (last & 0x03) !== 0))
    throw new Base64Error(`illegal base64 data at input byte ${dataLength - 1}`);
}

export function decodeBase64Url(text: string): Buffer {
  const bad = URL_ALPHABET.exec(text);
  if (bad !== null) throw new Base64Error(`illegal base64 data at input byte ${bad.index}`);
  if (text.length % 4 === 1) throw new Base64Error(`illegal base64 data at input byte ${text.length - 1}`);
  checkTrailingBits(text, text.length);
  return Buffer.from(text, 'base64url');
}

export function decodeBase64Std(text: string): Buffer {
  const bad = STD_ALPHABET.exec(text);
  if (bad !== null) throw new Base64Error(`illegal base64 data at input byte ${bad.index}`);
  const pad = text.indexOf('=');
  const dataLength = pad === -1 ? text.length : pad;
  if (text.length % 4 !== 0 || (pad !== -1 && (pad < text.length - 2 || text.slice(pad) !== '='.repeat(text.length - pad))))
    throw new Base64Error(`illegal base64 data at input byte ${pad === -1 ? text.length : pad}`);
  if (dataLength % 4 === 1) throw new Base64Error(`illegal base64 data at input byte ${dataLength}`);
  checkTrailingBits(text, dataLength);
  return Buffer.from(text, 'base64');
}
