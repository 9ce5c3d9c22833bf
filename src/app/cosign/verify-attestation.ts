/**
 * `cosign verify-attestation`: the in-toto attestations of an image (Sigstore bundle
 * referrers first, else the legacy `sha256-<hex>.att` manifest), each checked, then those of
 * the wanted predicate type kept. Fails with cosign's errors (`no matching attestations: …`,
 * `none of the attestations matched the predicate type: …`).
 */
import { dsseEnvelopeJson } from '../../core/cosign/intoto-statement.js';
import { DctError, isDctError } from '../../core/errors.js';
import type { SignatureReport, SignerIdentity } from '../../core/signatures/signature-report.js';
import { checkBundle, checkLegacyAttestation } from './check-signature.js';
import { resolveImage, type CosignImage } from './cosign-image.js';
import type { CosignVerifyOptions } from './cosign-policy.js';
import { readBundleLayout, readLegacyLayout } from './find-signatures.js';
import { failed, report } from './verify-image.js';

export interface VerifyAttestationInput extends CosignVerifyOptions {
  image: CosignImage;
  /** the predicate type URI (`--type`, mapped) */
  predicateType: string;
  newBundleFormat: boolean;
}

export interface VerifiedAttestation {
  layout: 'bundle' | 'legacy';
  predicateType: string;
  /** what cosign prints for it: the DSSE envelope as JSON */
  envelopeJson: string;
  signer: SignerIdentity;
}

export interface AttestationVerification {
  digest: string;
  layout: 'bundle' | 'legacy';
  verified: VerifiedAttestation[];
  tlogVerified: boolean;
  reports: SignatureReport[];
}

export async function verifyAttestation(input: VerifyAttestationInput): Promise<AttestationVerification> {
  const { digest } = await resolveImage(input.image);
  const all: VerifiedAttestation[] = [];
  const reports: SignatureReport[] = [];
  const errors: Error[] = [];
  let layout: 'bundle' | 'legacy' = 'legacy';
  let tlogVerified = false;
  const bundles = await readBundleLayout(input.image, digest, input.newBundleFormat);
  if (bundles && bundles.loaded.length > 0) {
    layout = 'bundle';
    for (const b of bundles.broken) reports.push(failed(digest, b.foundAt, b.error));
    for (const loaded of bundles.loaded) {
      try {
        const checked = await checkBundle(loaded.bundle, digest, input);
        tlogVerified = true;
        all.push({
          layout,
          predicateType: checked.statement.predicateType,
          envelopeJson: dsseEnvelopeJson(checked.envelope),
          signer: checked.signer,
        });
        reports.push(report(digest, loaded.foundAt, checked, { predicateType: checked.statement.predicateType, layout }));
      } catch (err) {
        if (!isDctError(err)) throw err;
        errors.push(err);
        reports.push(failed(digest, loaded.foundAt, err));
      }
    }
  } else {
    const { found: legacy, payloads } = await readLegacyLayout(input.image, digest, 'att');
    if (legacy === undefined || legacy.signatures.length === 0) throw new DctError('COSIGN_NO_SIGNATURES', 'no signatures found');
    for (const { signature: sig, payload: read } of payloads) {
      try {
        if (read.status === 'rejected') throw read.reason;
        const payload = read.value;
        const checked = await checkLegacyAttestation(sig, payload, digest, input);
        tlogVerified ||= checked.tlogVerified;
        all.push({
          layout,
          predicateType: checked.statement.predicateType,
          envelopeJson: payload.toString('utf8'),
          signer: checked.signer,
        });
        reports.push(report(digest, legacy.foundAt, checked, { predicateType: checked.statement.predicateType, layout }));
      } catch (err) {
        if (!isDctError(err)) throw err;
        errors.push(err);
        reports.push(failed(digest, legacy.foundAt, err));
      }
    }
  }
  if (all.length === 0)
    throw new DctError('COSIGN_NO_MATCHING_ATTESTATIONS', `no matching attestations: ${errors.map((e) => e.message).join('\n')}`, {
      cause: errors[0],
    });
  const verified = all.filter((a) => a.predicateType === input.predicateType);
  if (verified.length === 0)
    throw new DctError(
      'COSIGN_PREDICATE_TYPE_MISMATCH',
      `none of the attestations matched the predicate type: ${input.predicateType}, found: ${all.map((a) => a.predicateType).join(',')}`,
    );
  return { digest, layout, verified, tlogVerified, reports };
}
