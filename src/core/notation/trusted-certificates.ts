/**
 * Certificate files of notation's trust store: read as notation reads them (a run of PEM
 * `CERTIFICATE` blocks, else concatenated DER), and the checks a trusted certificate must pass
 * (a CA, or a self-signed signing certificate; in a `tsa` store, a self-issued root CA), with
 * notation's messages.
 */
import { X509Certificate } from 'node:crypto';
import { derChildren, decodeOid, readDer, readDerExact, TAG, type DerNode } from '../der.js';
import { DctError } from '../errors.js';
import { PemEndLines } from '../pem-end-lines.js';
import { certificateIssuerString, certificateSubjectString, isSelfIssued } from './distinguished-name.js';

/**
 * The certificates in a certificate file (notation-core-go's ReadCertificateFile): PEM blocks
 * when the data has one, else DER certificates back to back. Empty data holds none. Throws
 * NOTATION_CERTIFICATE_FILE_INVALID when a certificate does not parse.
 */
export function parseCertificateFile(bytes: Uint8Array): X509Certificate[] {
  const data = Buffer.from(bytes);
  const blocks = pemBlocks(data.toString('latin1'));
  if (blocks.length > 0) return blocks.map(parseOne);
  const certs: X509Certificate[] = [];
  for (let pos = 0; pos < data.length;) {
    if (certs.length >= MAX_CERTIFICATES_PER_FILE) throw tooMany();
    let node: DerNode;
    try {
      node = readDer(data, pos);
    } catch {
      throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', 'x509: malformed certificate');
    }
    certs.push(parseOne(node.raw));
    pos += node.raw.length;
  }
  return certs;
}

/** The most certificates (or PEM blocks tried) dct reads from one file. */
export const MAX_CERTIFICATES_PER_FILE = 1000;

function tooMany(): DctError {
  return new DctError('NOTATION_CERTIFICATE_FILE_INVALID', `the file holds more than ${MAX_CERTIFICATES_PER_FILE} certificates`);
}

/** The bodies of the PEM blocks, found as Go's pem.Decode finds them (a block without its END line is skipped). */
function pemBlocks(text: string): Buffer[] {
  const out: Buffer[] = [];
  // (searched once for the whole text: from each BEGIN line, a search for its END or its line's end
  // would read the rest of the text again, which a file of BEGIN lines without ENDs makes quadratic)
  const ends = new PemEndLines(text);
  // the first line end at or after pos (none anywhere: -1 for good)
  let newline = text.indexOf('\n');
  let attempts = 0;
  for (let pos = text.indexOf('-----BEGIN '); pos >= 0; pos = text.indexOf('-----BEGIN ', pos)) {
    if (++attempts > MAX_CERTIFICATES_PER_FILE) throw tooMany();
    const typeEnd = text.indexOf('-----', pos + 11);
    if (newline >= 0 && newline < pos) newline = text.indexOf('\n', pos);
    const lineEnd = newline;
    if (typeEnd < 0 || lineEnd < 0 || typeEnd > lineEnd) {
      pos += 11;
      continue;
    }
    const type = text.slice(pos + 11, typeEnd);
    const end = ends.find(type, lineEnd);
    if (end < 0) {
      pos += 11;
      continue;
    }
    const body = text
      .slice(lineEnd + 1, end)
      .split(/\r?\n/)
      .filter((l) => !l.includes(':'));
    out.push(Buffer.from(body.join(''), 'base64'));
    pos = end + type.length + 14;
  }
  return out;
}

function parseOne(der: Buffer): X509Certificate {
  try {
    readDerExact(der);
    return new X509Certificate(der);
  } catch {
    throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', 'x509: malformed certificate');
  }
}

/** notation's ValidateCertificates: why the certificates cannot be trusted, or undefined. */
export function trustedCertificatesProblem(certs: readonly X509Certificate[]): string | undefined {
  if (certs.length < 1) return 'input certs cannot be empty';
  for (const cert of certs) {
    if (!cert.ca && !selfSignatureVerifies(cert)) {
      return `certificate with subject ${JSON.stringify(certificateSubjectString(cert))} is not a CA certificate or self-signed signing certificate`;
    }
  }
  return undefined;
}

/** notation's check of a `tsa` store certificate: a root CA (signs itself, may sign certificates, self-issued). */
export function rootCertificateProblem(cert: X509Certificate): string | undefined {
  const subject = certificateSubjectString(cert);
  const prefix = `certificate with subject ${JSON.stringify(subject)} is not a root CA certificate`;
  if (certificateVersion(cert) >= 3) {
    const usage = keyUsageBits(cert);
    if (!cert.ca || (usage !== undefined && (usage & KEY_CERT_SIGN) === 0)) {
      return `${prefix}: x509: invalid signature: parent certificate cannot sign this kind of certificate`;
    }
  }
  if (!selfSignatureVerifies(cert)) return `${prefix}: x509: invalid signature`;
  if (!isSelfIssued(cert)) {
    return `${prefix}: issuer (${certificateIssuerString(cert)}) and subject (${subject}) are not the same`;
  }
  return undefined;
}

function selfSignatureVerifies(cert: X509Certificate): boolean {
  try {
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** keyCertSign (bit 5 of KeyUsage, counting from the most significant bit of the first byte as bit 0) */
const KEY_CERT_SIGN = 1 << 5;

function tbsParts(cert: X509Certificate): DerNode[] {
  const top = derChildren(readDerExact(cert.raw));
  return derChildren(top[0] as DerNode);
}

/** The certificate's X.509 version (1, 2 or 3). */
export function certificateVersion(cert: X509Certificate): number {
  const first = tbsParts(cert)[0];
  if (!first || first.tag !== 0xa0) return 1;
  const inner = derChildren(first)[0];
  return inner && inner.tag === TAG.INTEGER ? (inner.content[inner.content.length - 1] ?? 0) + 1 : 1;
}

/** The extension with this OID: its value's octets. */
export function certificateExtension(cert: X509Certificate, oid: string): Buffer | undefined {
  const container = tbsParts(cert).find((n) => n.tag === 0xa3);
  if (!container) return undefined;
  const list = derChildren(container)[0];
  if (!list) return undefined;
  for (const ext of derChildren(list)) {
    const parts = derChildren(ext);
    if (parts[0] && decodeOid(parts[0]) === oid) return parts[parts.length - 1]?.content;
  }
  return undefined;
}

/** The KeyUsage bits as the first byte of the BIT STRING (digitalSignature = 0x80, keyCertSign = 0x04), or undefined. */
function keyUsageBits(cert: X509Certificate): number | undefined {
  const value = certificateExtension(cert, '2.5.29.15');
  if (!value) return undefined;
  const bits = readDer(value);
  // Go reverses the bits: its KeyUsageCertSign (1 << 5) is the sixth bit from the top of byte 0, i.e. 0x04.
  const first = bits.content[1] ?? 0;
  let reversed = 0;
  for (let i = 0; i < 8; i++) if (first & (0x80 >> i)) reversed |= 1 << i;
  return reversed;
}
