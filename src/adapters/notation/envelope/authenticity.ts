/**
 * The authenticity check (trust policy specification, "Signature verification details"): the
 * envelope's chain contains a certificate of the trust stores for its signing scheme (`ca` for
 * `notary.x509`, `signingAuthority` for `notary.x509.signingAuthority`), and the signing
 * certificate's subject matches one of the policy's trusted identities (`*` or
 * `x509.subject:<DN>`, a subset match).
 */
import type { X509Certificate } from 'node:crypto';
import type { TrustAnchors } from '../../../core/notation/verification-types.js';
import { trustedIdentityMismatch } from '../../../core/notation/trusted-identity.js';
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

export function checkTrustedIdentity(leaf: X509Certificate, trustedIdentities: readonly string[]): void {
  const why = trustedIdentityMismatch(undefined, trustedIdentities, leaf);
  if (why !== undefined) throw envelopeError('NOTATION_IDENTITY_MISMATCH', why);
}
