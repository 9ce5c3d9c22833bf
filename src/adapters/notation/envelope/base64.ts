/**
 * Strict base64 decoding as Go's `encoding/base64` does it: unpadded base64url for JWS parts,
 * padded standard base64 for certificates and the timestamp token. A bad input names the byte
 * Go names (`illegal base64 data at input byte N`).
 */
const URL_ALPHABET = /[^A-Za-z0-9_-]/;
const STD_ALPHABET = /[^A-Za-z0-9+/=]/;

export class Base64Error extends Error {}

export function decodeBase64Url(text: string): Buffer {
  const bad = URL_ALPHABET.exec(text);
  if (bad !== null) throw new Base64Error(`illegal base64 data at input byte ${bad.index}`);
  if (text.length % 4 === 1) throw new Base64Error(`illegal base64 data at input byte ${text.length - 1}`);
  const out = Buffer.from(text, 'base64url');
  if (out.toString('base64url') !== text) throw new Base64Error(`illegal base64 data at input byte ${text.length - 1}`);
  return out;
}

export function decodeBase64Std(text: string): Buffer {
  const bad = STD_ALPHABET.exec(text);
  if (bad !== null) throw new Base64Error(`illegal base64 data at input byte ${bad.index}`);
  const pad = text.indexOf('=');
  if (text.length % 4 !== 0 || (pad !== -1 && pad < text.length - 2) || (pad === text.length - 2 && text[text.length - 1] !== '='))
    throw new Base64Error(`illegal base64 data at input byte ${pad === -1 ? text.length : pad}`);
  const out = Buffer.from(text, 'base64');
  if (out.toString('base64') !== text) throw new Base64Error(`illegal base64 data at input byte ${text.length - 1}`);
  return out;
}
