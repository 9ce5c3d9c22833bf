/** The multipart body of notary's atomic publish (`POST /v2/<gun>/_trust/tuf/`). */
import { randomBytes } from 'node:crypto';
import { NotaryHttpError } from './notary-errors.js';

export interface MultipartPart {
  field: string;
  filename: string;
  bytes: Uint8Array;
  contentType?: string;
}

/** multipart/form-data exactly as Go's mime/multipart writes it (CRLF, random 60-hex boundary). */
export function encodeMultipart(
  parts: readonly MultipartPart[],
  boundary = randomBytes(30).toString('hex'),
): { contentType: string; body: Buffer } {
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    if (/[\r\n]/.test(p.filename) || /[\r\n]/.test(p.field)) {
      throw new NotaryHttpError('INVALID_REQUEST', 'multipart names must not contain line breaks');
    }
    const head =
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Disposition: form-data; name="${quote(p.field)}"; filename="${quote(p.filename)}"\r\n` +
      `Content-Type: ${p.contentType ?? 'application/octet-stream'}\r\n\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength));
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
