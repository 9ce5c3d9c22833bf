/**
 * The authenticity check (trust policy specification, "Signature verification details"): the
 * envelope's chain contains a certificate of the trust stores for its signing scheme (`ca` for
 * `notary.x509`, `signingAuthority` for `notary.x509.signingAuthority`), and the signing
 * certificate's subject matches one of the policy's trusted identities (`*` or
 * `x509.subject:<DN>`, a subset match).
 */
import type { X509Certificate } from 'node:crypto';
import type { TrustAnchors } from '../../../core/notation/verification-types.js';
import { DistinguishedNameError, goSubjectString, isSubsetDN, parseDistinguishedName } from './distinguished-name.js';
import { envelopeError, type SigningScheme } from './signer-info.js';

export function checkTrustedChain(chain: readonly X509Certificate[], scheme: SigningScheme, anchors: TrustAnchors): void {
  const trusted = scheme === 'notary.x509' ? anchors.ca : anchors.signingAuthority;
  if (trusted.length === 0)
    throw envelopeError(
      'NOTATION_UNTRUSTED_SIGNER',
      `no trusted certificates are found to verify authenticity: the policy names no trust store of type "${scheme === 'notary.x509' ? 'ca' : 'signingAuthority'}"`,
    );
  const found = chain.some((cert) => trusted.some((anchor) => anchor.raw.equals(cert.raw)));
  if (!found)
    throw envelopeError('NOTATION_UNTRUSTED_SIGNER', "the signature's certificate chain does not contain any trusted certificate");
}

function goMapList(dns: ReadonlyMap<string, string>[]): string {
  const one = (dn: ReadonlyMap<string, string>) =>
    `map[${[...dn.keys()]
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(dn.get(k))}`)
      .join(' ')}]`;
  return `[${dns.map(one).join(' ')}]`;
}

export function checkTrustedIdentity(leaf: X509Certificate, trustedIdentities: readonly string[]): void {
  if (trustedIdentities.includes('*')) return;
  const identities: Map<string, string>[] = [];
  for (const identity of trustedIdentities) {
    const sep = identity.indexOf(':');
    if (sep === -1)
      throw envelopeError('NOTATION_IDENTITY_MISMATCH', `trusted identity ${JSON.stringify(identity)} is missing the ":" separator`);
    if (identity.slice(0, sep) !== 'x509.subject') continue;
    const value = identity.slice(sep + 1);
    if (value.trim() === '')
      throw envelopeError('NOTATION_IDENTITY_MISMATCH', `trusted identity ${JSON.stringify(identity)} has no identity value`);
    try {
      identities.push(parseDistinguishedName(value));
    } catch (err) {
      throw envelopeError('NOTATION_IDENTITY_MISMATCH', (err as Error).message, err);
    }
  }
  if (identities.length === 0)
    throw envelopeError('NOTATION_IDENTITY_MISMATCH', 'no x509 trusted identities are configured in the trust policy');
  let subject: Map<string, string>;
  try {
    subject = parseDistinguishedName(goSubjectString(leaf));
  } catch (err) {
    if (!(err instanceof DistinguishedNameError)) throw err;
    throw envelopeError(
      'NOTATION_IDENTITY_MISMATCH',
      `error while parsing the certificate subject from the digital signature. error : ${JSON.stringify(err.message)}`,
      err,
    );
  }
  if (identities.some((id) => isSubsetDN(id, subject))) return;
  throw envelopeError(
    'NOTATION_IDENTITY_MISMATCH',
    `signing certificate from the digital signature does not match the X.509 trusted identities ${goMapList(identities)} defined in the trust policy`,
  );
}
