/**
 * What the verifier needs to know of a certificate beyond what node:crypto tells: the key
 * usage bits, the basic constraints, the extended key usages and the subject's attributes in
 * order (read with pkijs). Cached per certificate.
 */
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

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

function nameOf(rdns: pkijs.RelativeDistinguishedNames): NameAttribute[][] {
  // pkijs flattens multi-valued RDNs; read the SEQUENCE OF SET ourselves to keep them
  const seq = rdns.valueBeforeDecode.byteLength > 0 ? asn1js.fromBER(rdns.valueBeforeDecode).result : rdns.toSchema();
  const out: NameAttribute[][] = [];
  for (const set of (seq as asn1js.Sequence).valueBlock.value) {
    const rdn: NameAttribute[] = [];
    for (const atv of (set as asn1js.Set).valueBlock.value) {
      const [typeNode, valueNode] = (atv as asn1js.Sequence).valueBlock.value;
      const type = (typeNode as asn1js.ObjectIdentifier).valueBlock.toString();
      const der = new Uint8Array(valueNode!.toBER());
      const block = (valueNode as unknown as { valueBlock: { value?: unknown } }).valueBlock;
      rdn.push({ type, der, ...(typeof block.value === 'string' ? { value: block.value } : {}) });
    }
    out.push(rdn);
  }
  return out;
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const known = cache.get(cert);
  if (known !== undefined) return known;
  const parsed = pkijs.Certificate.fromBER(cert.raw);
  const facts: CertificateFacts = {
    subject: nameOf(parsed.subject),
    issuer: nameOf(parsed.issuer),
    criticalExtensions: [],
    crlDistributionPoints: false,
  };
  for (const ext of parsed.extensions ?? []) {
    if (ext.critical) facts.criticalExtensions.push(ext.extnID);
    if (ext.extnID === '2.5.29.31') facts.crlDistributionPoints = true;
    const value: unknown = ext.parsedValue;
    if (ext.extnID === '2.5.29.15' && value instanceof asn1js.BitString) {
      const bytes = new Uint8Array(value.valueBlock.valueHexView);
      const first = bytes[0] ?? 0;
      facts.keyUsage = { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0, cRLSign: (first & 0x02) !== 0 };
    } else if (ext.extnID === '2.5.29.19' && value instanceof pkijs.BasicConstraints) {
      const ca = value.cA;
      const path = value.pathLenConstraint;
      facts.basicConstraints = {
        ca,
        ...(path !== undefined ? { pathLength: typeof path === 'number' ? path : path.valueBlock.valueDec } : {}),
      };
    } else if (ext.extnID === '2.5.29.37' && value instanceof pkijs.ExtKeyUsage) {
      facts.extKeyUsage = [...value.keyPurposes];
    }
  }
  cache.set(cert, facts);
  return facts;
}
