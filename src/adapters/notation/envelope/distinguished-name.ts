/**
 * Distinguished names as notation compares them: a certificate's subject written the way Go's
 * `pkix.Name.String()` writes it (RFC 2253 order, `CN=…,O=…,L=…,ST=…,C=…`), an RFC 4514 parser
 * giving one value per attribute type, and the "subset" match of a trusted identity
 * (`x509.subject:<DN>`) against the signing certificate's subject.
 */
import type { X509Certificate } from 'node:crypto';
import { certificateFacts, type NameAttribute } from './certificate-facts.js';

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
/** Go's named fields, in the order `ToRDNSequence` writes them. */
const FIELD_ORDER = ['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.9', '2.5.4.17', '2.5.4.10', '2.5.4.11', '2.5.4.3', '2.5.4.5'];
/** Attributes Go parses into fields and does not repeat among the "extra" names. */
const PARSED = new Set(['2.5.4.3', '2.5.4.6', '2.5.4.7', '2.5.4.8', '2.5.4.9', '2.5.4.10', '2.5.4.11', '2.5.4.17']);

function escapeValue(value: string): string {
  const chars = [...value];
  return chars
    .map((c, k) => {
      const escape = ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || k === chars.length - 1)) || (c === '#' && k === 0);
      return escape ? `\\${c}` : c;
    })
    .join('');
}

function writeAttribute(a: NameAttribute): string {
  const name = TYPE_NAMES[a.type];
  if (name === undefined || a.value === undefined) return `${a.type}=#${Buffer.from(a.der).toString('hex')}`;
  return `${name}=${escapeValue(a.value)}`;
}

/** A certificate's subject as Go prints it (and as notation's messages quote it). */
const subjects = new WeakMap<X509Certificate, string>();

export function goSubjectString(cert: X509Certificate): string {
  let subject = subjects.get(cert);
  if (subject === undefined) subjects.set(cert, (subject = goNameString(certificateFacts(cert).subject)));
  return subject;
}

export function goIssuerString(cert: X509Certificate): string {
  return goNameString(certificateFacts(cert).issuer);
}

function goNameString(name: NameAttribute[][]): string {
  const attrs = name.flat();
  const rdns: NameAttribute[][] = attrs.filter((a) => !PARSED.has(a.type)).map((a) => [a]);
  for (const type of FIELD_ORDER) {
    const values = attrs.filter((a) => a.type === type && a.value !== undefined);
    if (values.length === 0) continue;
    // Go keeps only the last common name and serial number
    rdns.push(type === '2.5.4.3' || type === '2.5.4.5' ? [values[values.length - 1]!] : values);
  }
  return rdns
    .reverse()
    .map((rdn) => rdn.map(writeAttribute).join('+'))
    .join(',');
}

export class DistinguishedNameError extends Error {}

/** Parses an RFC 4514 DN into attribute type → value; a repeated type or a stray `=` is an error. */
export function parseDistinguishedName(dn: string): Map<string, string> {
  const out = new Map<string, string>();
  const bad = (why: string) => new DistinguishedNameError(`distinguished name (DN) ${JSON.stringify(dn)} is not valid: ${why}`);
  let i = 0;
  const n = dn.length;
  if (dn.trim() === '') throw bad('it is empty');
  while (i < n) {
    // attribute type
    let type = '';
    while (i < n && dn[i] !== '=') {
      if (dn[i] === ',' || dn[i] === '+') throw bad(`attribute ${JSON.stringify(type.trim())} has no value`);
      type += dn[i++];
    }
    if (i >= n) throw bad(`attribute ${JSON.stringify(type.trim())} has no "="`);
    i++; // '='
    type = type.trim();
    if (!/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/.test(type)) throw bad(`${JSON.stringify(type)} is not an attribute type`);
    let value = '';
    let trailingEscaped = 0;
    while (i < n && dn[i] !== ',' && dn[i] !== '+') {
      const c = dn[i]!;
      if (c === '\\') {
        const next = dn[i + 1];
        if (next === undefined) throw bad('it ends with "\\"');
        if (/^[0-9A-Fa-f]{2}$/.test(dn.slice(i + 1, i + 3))) {
          value += String.fromCharCode(parseInt(dn.slice(i + 1, i + 3), 16));
          i += 3;
        } else {
          value += next;
          i += 2;
        }
        trailingEscaped = value.length;
        continue;
      }
      if (c === '=') throw bad(`the value of ${type} contains an unescaped "="`);
      if (c === '"' || c === ';' || c === '<' || c === '>') throw bad(`the value of ${type} contains an unescaped ${JSON.stringify(c)}`);
      value += c;
      i++;
    }
    const start = value.length - value.trimStart().length;
    const kept = value.slice(start, Math.max(trailingEscaped, value.trimEnd().length));
    if (out.has(type)) throw bad(`it has duplicate RDN attribute for ${JSON.stringify(type)}, DN can only have unique RDN attributes`);
    out.set(type, kept);
    if (i < n) {
      i++; // ',' or '+'
      if (i >= n) throw bad('it ends with a separator');
    }
  }
  return out;
}

/** True when every attribute of `subset` is in `dn` with the same value. */
export function isSubsetDN(subset: ReadonlyMap<string, string>, dn: ReadonlyMap<string, string>): boolean {
  for (const [k, v] of subset) if (dn.get(k) !== v) return false;
  return true;
}
