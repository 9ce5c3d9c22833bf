/**
 * The authentic-timestamp check (trust policy specification): under `notary.x509` the signing
 * chain must be valid now — or, when the policy names a `tsa` trust store (and, with
 * `verifyTimestamp: afterCertExpiry`, only once a certificate has expired), at the time of a
 * valid RFC 3161 countersignature over the envelope's signature; under
 * `notary.x509.signingAuthority` the chain must be valid at the authentic signing time.
 */
import type { X509Certificate } from 'node:crypto';
import type { EnvelopeVerificationInput } from '../../../core/notation/verification-types.js';
import { certificateSubjectString } from '../../../core/notation/distinguished-name.js';
import { formatRfc1123z } from './go-time.js';
import { envelopeError, type EnvelopeContent } from './signer-info.js';
import { TimestampError, parseTimestampToken, verifyTimestampToken } from './timestamp-token.js';

const q = (s: string) => JSON.stringify(s);

function checkValidAt(chain: readonly X509Certificate[], now: Date): void {
  for (const cert of chain) {
    if (now.getTime() < new Date(cert.validFrom).getTime())
      throw envelopeError(
        'NOTATION_CERTIFICATE_NOT_VALID_NOW',
        `verification time is before certificate ${q(certificateSubjectString(cert))} validity period, it will be valid from ${q(formatRfc1123z(new Date(cert.validFrom)))}`,
      );
    if (now.getTime() > new Date(cert.validTo).getTime())
      throw envelopeError(
        'NOTATION_CERTIFICATE_NOT_VALID_NOW',
        `verification time is after certificate ${q(certificateSubjectString(cert))} validity period, it was expired at ${q(formatRfc1123z(new Date(cert.validTo)))}`,
      );
  }
}

/** Returns the verified countersignature time, when one was used. */
export function checkAuthenticTimestamp(content: EnvelopeContent, input: EnvelopeVerificationInput): Date | undefined {
  const { chain } = content;
  if (content.signingScheme === 'notary.x509.signingAuthority') {
    const t = content.signingTime;
    for (const cert of chain)
      if (t.getTime() < new Date(cert.validFrom).getTime() || t.getTime() > new Date(cert.validTo).getTime())
        throw envelopeError(
          'NOTATION_CERTIFICATE_NOT_VALID_NOW',
          `certificate ${q(certificateSubjectString(cert))} was not valid when the digital signature was produced at ${q(formatRfc1123z(t))}`,
        );
    return undefined;
  }
  let useTimestamp = input.anchors.tsa.length > 0;
  if (useTimestamp && input.verifyTimestamp === 'afterCertExpiry')
    useTimestamp = chain.some((cert) => input.now.getTime() > new Date(cert.validTo).getTime());
  if (!useTimestamp) {
    checkValidAt(chain, input.now);
    return undefined;
  }
  const fail = (message: string, cause?: unknown) => envelopeError('NOTATION_TIMESTAMP_INVALID', message, cause);
  if (content.timestampSignature === undefined || content.timestampSignature.length === 0)
    throw fail('no timestamp countersignature was found in the signature envelope');
  let token;
  try {
    token = parseTimestampToken(content.timestampSignature);
  } catch (err) {
    if (err instanceof TimestampError) throw fail(`failed to parse timestamp countersignature with error: ${err.message}`, err);
    throw err;
  }
  if (token.tstInfoError !== undefined) throw fail(`failed to get the timestamp TSTInfo with error: ${token.tstInfoError}`);
  const range = token.validate(content.signature);
  if (typeof range === 'string') throw fail(`failed to get timestamp from timestamp countersignature with error: ${range}`);
  try {
    verifyTimestampToken(token, input.anchors.tsa, range.value);
  } catch (err) {
    if (err instanceof TimestampError) throw fail(`failed to verify the timestamp countersignature with error: ${err.message}`, err);
    throw err;
  }
  for (const cert of chain) {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (range.earliest.getTime() < from.getTime())
      throw fail(
        `timestamp can be before certificate ${q(certificateSubjectString(cert))} validity period, it will be valid from ${q(formatRfc1123z(from))}`,
      );
    if (range.latest.getTime() > to.getTime())
      throw fail(
        `timestamp can be after certificate ${q(certificateSubjectString(cert))} validity period, it was expired at ${q(formatRfc1123z(to))}`,
      );
  }
  return range.value;
}
