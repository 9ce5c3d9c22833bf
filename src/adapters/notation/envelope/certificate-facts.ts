/**
 * What the verifier needs to know of a certificate beyond what node:crypto tells: the key
 * usage bits, the basic constraints, the extended key usages, CRL distribution points and the
 * subject's and issuer's attributes in order (read from the DER). Cached per certificate.
 */
import type { X509Certificate } from 'node:crypto';
import { children, oidString, readNode, stringValue, type DerNode } from './der-reader.js';

export const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
export const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
export const EKU_ANY = '2.5.29.37.0';

export interface NameAttribute {
  type: string;
  /** the string value, or undefined when it is not a string type */
  value?: string;
  /** the DER of the value (for types printed as `#hex`) */
  der: Uint8Array;
}

export interface CertificateFacts {
  /** key usage bits when the extension is present */
  keyUsage?: { digitalSignature: boolean; keyCertSign: boolean; cRLSign: boolean };
  basicConstraints?: { ca: boolean; pathLength?: number };
  extKeyUsage?: string[];
  /** the subject's RDNs in certificate order, each a list of attributes */
  subject: NameAttribute[][];
  issuer: NameAttribute[][];
  /** OIDs of the extensions marked critical */
  criticalExtensions: string[];
  /** whether it names CRL distribution points */
  crlDistributionPoints: boolean;
}

const cache = new WeakMap<X509Certificate, CertificateFacts>();

function readName(buf: Uint8Array, name: DerNode): NameAttribute[][] {
  return children(buf, name).map((set) =>
    children(buf, set).map((atv) => {
      const [type, value] = children(buf, atv);
      if (type === undefined || value === undefined) throw new RangeError('DER: bad attribute');
      const text = stringValue(buf, value);
      return { type: oidString(buf, type), der: buf.slice(value.headerStart, value.end), ...(text !== undefined ? { value: text } : {}) };
    }),
  );
}

function readExtension(buf: Uint8Array, ext: DerNode, facts: CertificateFacts): void {
  const parts = children(buf, ext);
  const id = oidString(buf, parts[0]!);
  const critical = parts.length === 3 && parts[1]!.tag === 0x01 && buf[parts[1]!.start] !== 0;
  const octets = parts[parts.length - 1]!;
  if (critical) facts.criticalExtensions.push(id);
  const inner = () => readNode(buf, octets.start, octets.end);
  if (id === '2.5.29.15') {
    const bits = inner();
    const first = bits.end - bits.start >= 2 ? buf[bits.start + 1]! : 0;
    facts.keyUsage = { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0, cRLSign: (first & 0x02) !== 0 };
  } else if (id === '2.5.29.19') {
    let ca = false;
    let pathLength: number | undefined;
    for (const c of children(buf, inner())) {
      if (c.tag === 0x01) ca = buf[c.start] !== 0;
      else if (c.tag === 0x02) {
        pathLength = 0;
        for (let i = c.start; i < c.end; i++) pathLength = pathLength * 256 + buf[i]!;
      }
    }
    facts.basicConstraints = { ca, ...(pathLength !== undefined ? { pathLength } : {}) };
  } else if (id === '2.5.29.37') {
    facts.extKeyUsage = children(buf, inner()).map((o) => oidString(buf, o));
  } else if (id === '2.5.29.31') {
    facts.crlDistributionPoints = true;
  }
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const known = cache.get(cert);
  if (known !== undefined) return known;
  const buf = new Uint8Array(cert.raw);
  const tbs = children(buf, readNode(buf, 0))[0]!;
  const fields = children(buf, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  i += 2; // serialNumber, signature
  const issuer = fields[i++]!;
  i++; // validity
  const subject = fields[i++]!;
  const facts: CertificateFacts = {
    subject: readName(buf, subject),
    issuer: readName(buf, issuer),
    criticalExtensions: [],
    crlDistributionPoints: false,
  };
  const extensions = fields.slice(i + 1).find((f) => f.tag === 0xa3);
  if (extensions !== undefined)
    for (const ext of children(buf, readNode(buf, extensions.start, extensions.end))) readExtension(buf, ext, facts);
  cache.set(cert, facts);
  return facts;
}
