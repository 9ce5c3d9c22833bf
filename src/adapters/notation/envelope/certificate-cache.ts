/**
 * Parsed certificates, kept by their encoding: a verifier sees the same signing chains again
 * and again (a thousand signatures of one publisher), and parsing a certificate or checking its
 * issuer's signature costs more than the envelope's own signature check. Bounded; the objects
 * are immutable, so sharing them is safe.
 */
import { X509Certificate } from 'node:crypto';

const MAX_ENTRIES = 1024;
const parsed = new Map<string, X509Certificate>();
const issuance = new WeakMap<X509Certificate, Map<X509Certificate, boolean>>();

/** The certificate of `der`; `key` is any string that identifies the bytes (their base64). */
export function cachedCertificate(der: Uint8Array, key: string): X509Certificate {
  const known = parsed.get(key);
  if (known !== undefined) return known;
  const cert = new X509Certificate(der);
  if (parsed.size >= MAX_ENTRIES) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, cert);
  return cert;
}

/** A certificate already parsed from the bytes `key` identifies. */
export function cachedCertificateOf(key: string): X509Certificate | undefined {
  return parsed.get(key);
}

/** `cert` names `issuer` as its issuer and its signature verifies with `issuer`'s key (remembered). */
export function cachedIssuedBy(cert: X509Certificate, issuer: X509Certificate, check: () => boolean): boolean {
  let byIssuer = issuance.get(cert);
  if (byIssuer === undefined) issuance.set(cert, (byIssuer = new Map<X509Certificate, boolean>()));
  const known = byIssuer.get(issuer);
  if (known !== undefined) return known;
  const result = check();
  byIssuer.set(issuer, result);
  return result;
}
