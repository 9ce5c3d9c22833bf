/**
 * The revocation check, offline: dct does not fetch CRLs or OCSP answers. A chain whose
 * certificates name no CRL distribution point or OCSP responder cannot be revoked (notation's
 * "non-revokable", which passes, with a note saying nothing was checked); any other chain's
 * status is unknown, which fails the check — it is never reported as checked.
 */
import { certificateFacts } from './certificate-facts.js';
import { certificateSubjectString } from '../../../core/notation/distinguished-name.js';
import { envelopeError, type EnvelopeContent } from './signer-info.js';

/** Returns the note of a pass (nothing could be checked); throws when the status is unknown. */
export function checkRevocation(content: EnvelopeContent): string {
  const revocable = content.chain.slice(0, -1).find((cert) => {
    const facts = certificateFacts(cert);
    return facts.crlDistributionPoints || /OCSP - URI:/.test(cert.infoAccess ?? '');
  });
  if (revocable !== undefined)
    throw envelopeError(
      'NOTATION_REVOCATION_NOT_CHECKED',
      `signing certificate with subject ${JSON.stringify(certificateSubjectString(revocable))} revocation status is unknown: dct does not check revocation online (CRL/OCSP); set revocation to "log" or "skip" in the trust policy to accept it`,
    );
  return 'revocation was not checked: no certificate of the chain names a CRL distribution point or OCSP responder, so none can be revoked';
}
