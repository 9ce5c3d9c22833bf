/**
 * X.509 distinguished names as notation reads them: an RFC 4514 string (a trusted identity's
 * `x509.subject:` value, or a certificate subject printed as Go prints `pkix.Name`) parsed into
 * one value per attribute type, with notation's rules (no `=#` values, no multi-valued RDNs, no
 * repeated types, `C`, `ST` (or `S`) and `O` required); and the subset test that matches a trusted
 * identity against a signing certificate.
 */
import type { X509Certificate } from 'node:crypto';
import { derChildren, decodeOid, readDerExact, TAG, type DerNode } from '../der.js';
import { DctError } from '../errors.js';

/** attribute type → value (`S` is folded into `ST`) */
export type ParsedDN = Record<string, string>;

const MANDATORY = ['C', 'ST', 'O'] as const;

/** notation's `ParseDistinguishedName`: throws NOTATION_DN_INVALID with notation's message. */
export function parseDistinguishedName(name: string): ParsedDN {
  const fail = (message: string): never => {
    throw new DctError('NOTATION_DN_INVALID', message);
  };
  if (name.includes('=#'))
    fail(`unsupported distinguished name (DN) ${q(name)}: notation does not support x509.subject identities containing "=#"`);
  let rdns: Array<Array<[string, string]>>;
  try {
    rdns = parseRfc4514(name);
  } catch (err) {
    return fail(
      `parsing distinguished name (DN) ${q(name)} failed with err: ${(err as Error).message}. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard`,
    );
  }
  const out: ParsedDN = Object.create(null) as ParsedDN;
  for (const rdn of rdns) {
    if (rdn.length > 1)
      fail(
        `distinguished name (DN) ${q(name)} has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported`,
      );
    for (const [rawType, value] of rdn) {
      const type = rawType === 'S' ? 'ST' : rawType;
      if (out[type])
        fail(`distinguished name (DN) ${q(name)} has duplicate RDN attribute for ${q(type)}, DN can only have unique RDN attributes`);
      out[type] = value;
    }
  }
  for (const field of MANDATORY) {
    if (!out[field])
      fail(
        `distinguished name (DN) ${q(name)} has no mandatory RDN attribute for ${q(field)}, it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`,
      );
  }
  return out;
}

/** Whether every attribute of `dn1` has the same value in `dn2`. */
export function isSubsetDN(dn1: ParsedDN, dn2: ParsedDN): boolean {
  return Object.keys(dn1).every((k) => dn1[k] === dn2[k]);
}

/** Go's `%q` of a parsed DN map (keys sorted): `map["C":"US" "O":"Notary"]`. */
export function formatParsedDN(dn: ParsedDN): string {
  return `map[${Object.keys(dn)
    .sort()
    .map((k) => `${q(k)}:${q(dn[k] as string)}`)
    .join(' ')}]`;
}

function q(s: string): string {
  return JSON.stringify(s);
}

/**
 * An RFC 4514 string as LDAP's DN parser reads it: RDNs separated by `,` or `;`, multi-valued
 * RDNs joined by `+`, `\` escapes (a special character or two hex digits), quoted values, and
 * surrounding spaces trimmed from types and values.
 */
function parseRfc4514(text: string): Array<Array<[string, string]>> {
  const rdns: Array<Array<[string, string]>> = [];
  let current: Array<[string, string]> = [];
  let type: string | undefined;
  let buf: number[] = [];
  let escapedTail = 0;
  let quoted = false;
  const bytes = Buffer.from(text, 'utf8');
  const flushValue = () => {
    if (type === undefined) throw new Error('incomplete type, value pair');
    // trailing spaces go, except those up to the last escaped character (`a\ ` keeps its space)
    let end = buf.length;
    while (end > escapedTail && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
    const value = Buffer.from(buf.slice(0, end)).toString('utf8').replace(/^\s+/, '');
    current.push([type, value]);
    type = undefined;
    buf = [];
    escapedTail = 0;
  };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    const ch = String.fromCharCode(c);
    if (quoted) {
      if (ch === '"') quoted = false;
      else if (ch === '\\' && i + 1 < bytes.length) buf.push(bytes[++i] as number);
      else buf.push(c);
      continue;
    }
    if (ch === '\\') {
      const h = text.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(h)) {
        buf.push(parseInt(h, 16));
        i += 2;
      } else if (i + 1 < bytes.length) {
        buf.push(bytes[++i] as number);
      } else {
        throw new Error('got corrupted escaped character');
      }
      escapedTail = buf.length;
      continue;
    }
    if (ch === '"' && type !== undefined && Buffer.from(buf).toString().trim() === '') {
      quoted = true;
      buf = [];
      continue;
    }
    if (ch === '=' && type === undefined) {
      type = Buffer.from(buf).toString('utf8').trim();
      if (type === '' || !/^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*)$/.test(type))
        throw new Error(`invalid attribute type ${q(type)}`);
      buf = [];
      continue;
    }
    if (ch === ',' || ch === ';' || ch === '+') {
      flushValue();
      if (ch !== '+') {
        rdns.push(current);
        current = [];
      }
      continue;
    }
    buf.push(c);
  }
  if (quoted) throw new Error('unterminated quoted value');
  if (type === undefined) {
    if (text.trim() !== '') throw new Error('DN ended with incomplete type, value pair');
  } else {
    flushValue();
  }
  if (current.length > 0) rdns.push(current);
  return rdns;
}

// ---- a certificate's subject as Go's pkix.Name.String() prints it ----------------------------

const TYPE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};

/** the order Go's `ToRDNSequence` writes the parsed fields in */
const FIELD_ORDER = ['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.9', '2.5.4.17', '2.5.4.10', '2.5.4.11', '2.5.4.3', '2.5.4.5'];

interface Atv {
  oid: string;
  /** the decoded string, or undefined for a non-string value */
  value: string | undefined;
  raw: Buffer;
}

/** The certificate's subject as Go's `cert.Subject.String()`: `CN=…,O=…,L=…,ST=…,C=…`. */
export function certificateSubjectString(cert: X509Certificate): string {
  return goNameString(certificateNameNode(cert, 'subject'));
}

/** The certificate's issuer as Go's `cert.Issuer.String()`. */
export function certificateIssuerString(cert: X509Certificate): string {
  return goNameString(certificateNameNode(cert, 'issuer'));
}

/** The raw DER of the subject or issuer Name. */
export function certificateNameNode(cert: X509Certificate, which: 'subject' | 'issuer'): DerNode {
  const top = derChildren(readDerExact(cert.raw));
  const tbs = derChildren(top[0] as DerNode);
  const offset = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const node = tbs[offset + (which === 'issuer' ? 2 : 4)];
  if (!node || node.tag !== TAG.SEQUENCE) throw new DctError('NOTATION_DN_INVALID', `the certificate's ${which} does not parse`);
  return node;
}

function goNameString(name: DerNode): string {
  const atvs: Atv[] = [];
  for (const rdn of derChildren(name)) {
    for (const atvNode of derChildren(rdn)) {
      const [oidNode, valueNode] = derChildren(atvNode);
      if (!oidNode || !valueNode) continue;
      atvs.push({ oid: decodeOid(oidNode), value: decodeDirectoryString(valueNode), raw: valueNode.raw });
    }
  }
  const rdns: Atv[][] = [];
  // attributes Go has no field for come first (so last in the string)
  for (const atv of atvs) if (!isParsedField(atv.oid)) rdns.push([atv]);
  for (const oid of FIELD_ORDER) {
    const values = atvs.filter((a) => a.oid === oid && a.value !== undefined);
    const chosen = oid === '2.5.4.3' || oid === '2.5.4.5' ? values.slice(-1) : values;
    if (chosen.length > 0) rdns.push(chosen);
  }
  return rdns
    .reverse()
    .map((rdn) =>
      rdn
        .map((atv) => {
          const typeName = TYPE_NAMES[atv.oid];
          if (!typeName) return `${atv.oid}=#${atv.raw.toString('hex')}`;
          return `${typeName}=${escapeValue(atv.value ?? '')}`;
        })
        .join('+'),
    )
    .join(',');
}

function isParsedField(oid: string): boolean {
  return ['2.5.4.3', '2.5.4.5', '2.5.4.6', '2.5.4.7', '2.5.4.8', '2.5.4.9', '2.5.4.10', '2.5.4.11', '2.5.4.17'].includes(oid);
}

function escapeValue(value: string): string {
  const chars = [...value];
  return chars
    .map((c, k) => {
      const escape = ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || k === chars.length - 1)) || (c === '#' && k === 0);
      return escape ? `\\${c}` : c;
    })
    .join('');
}

function decodeDirectoryString(node: DerNode): string | undefined {
  switch (node.tag) {
    case TAG.UTF8_STRING:
    case TAG.PRINTABLE_STRING:
    case 0x12: // NumericString
    case 0x16: // IA5String
      return node.content.toString('utf8');
    case 0x14: // T61String
      return node.content.toString('latin1');
    case 0x1e: {
      // BMPString: UTF-16BE
      if (node.content.length % 2 !== 0) return undefined;
      const le = Buffer.from(node.content);
      le.swap16();
      return le.toString('utf16le');
    }
    default:
      return undefined;
  }
}

/** The raw bytes of the subject and issuer names are equal (self-issued). */
export function isSelfIssued(cert: X509Certificate): boolean {
  return certificateNameNode(cert, 'subject').raw.equals(certificateNameNode(cert, 'issuer').raw);
}
