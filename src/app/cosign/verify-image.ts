/**
 * `cosign verify`: the signatures of an image, found as cosign 3 finds them (Sigstore bundle
 * referrers first; when there is none, the legacy `sha256-<hex>.sig` manifest), each checked
 * (`check-signature.ts`). Succeeds when at least one verifies; otherwise fails with cosign's
 * error (`no signatures found`, `no matching signatures: …`, `no matching attestations: …`).
 * Every signature looked at also gets a SignatureReport.
 */
import type { RekorBundle } from '../../core/cosign/legacy-bundle.js';
import { DctError, isDctError } from '../../core/errors.js';
import type { SignatureLocation, SignatureReport, SignerIdentity } from '../../core/signatures/signature-report.js';
import { checkBundle, checkLegacySignature, type SignatureFacts } from './check-signature.js';
import { resolveImage, type CosignImage } from './cosign-image.js';
import type { CosignVerifyOptions } from './cosign-policy.js';
import { readBundleLayout, readLegacyLayout, type LoadedBundles, type ReadLegacy } from './find-signatures.js';

export interface VerifyImageInput extends CosignVerifyOptions {
  image: CosignImage;
  /** the image as cosign names it in its output (`host/repo:tag`) */
  displayName: string;
  /** `--new-bundle-format` (default true): look for bundles first */
  newBundleFormat: boolean;
}

/** One verified signature, with what cosign prints of it. */
export interface VerifiedImageSignature {
  layout: 'bundle' | 'legacy';
  /** `critical.identity.docker-reference` */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest` */
  digest: string;
  /** `critical.type` (the predicate type for bundles) */
  type: string;
  /** `optional` */
  optional: Record<string, unknown> | null;
  signer: SignerIdentity;
  rekorBundle?: RekorBundle;
}

export interface ImageVerification {
  digest: string;
  layout: 'bundle' | 'legacy';
  verified: VerifiedImageSignature[];
  /** whether a transparency log entry was verified for at least one (cosign's `bundleVerified`) */
  tlogVerified: boolean;
  reports: SignatureReport[];
}

export async function verifyImage(input: VerifyImageInput): Promise<ImageVerification> {
  const { digest } = await resolveImage(input.image);
  const bundles = await readBundleLayout(input.image, digest, input.newBundleFormat);
  // as cosign: referrers that are no bundle are ignored; with no bundle, the legacy layout is read
  // (then, and only then: cosign asks for the `.sig` tag only when it found no bundle)
  if (bundles && bundles.loaded.length > 0) return verifyBundles(input, digest, bundles);
  return verifyLegacy(input, digest, await readLegacyLayout(input.image, digest, 'sig'));
}

async function verifyBundles(input: VerifyImageInput, digest: string, bundles: LoadedBundles): Promise<ImageVerification> {
  const verified: VerifiedImageSignature[] = [];
  const reports: SignatureReport[] = bundles.broken.map((b) => failed(digest, b.foundAt, b.error));
  const errors: Error[] = [];
  let tlogVerified = false;
  for (const loaded of bundles.loaded) {
    try {
      const checked = await checkBundle(loaded.bundle, digest, input);
      // cosign counts every verified bundle as "verified offline" against the log
      tlogVerified = true;
      verified.push({
        layout: 'bundle',
        dockerReference: input.displayName,
        digest,
        type: checked.statement.predicateType,
        optional: checked.annotations,
        signer: checked.signer,
      });
      reports.push(report(digest, loaded.foundAt, checked, { predicateType: checked.statement.predicateType, layout: 'bundle' }));
    } catch (err) {
      if (!isDctError(err)) throw err;
      errors.push(err);
      reports.push(failed(digest, loaded.foundAt, err));
    }
  }
  if (verified.length === 0)
    throw new DctError('COSIGN_NO_MATCHING_ATTESTATIONS', `no matching attestations: ${errors.map((e) => e.message).join('\n')}`, {
      cause: errors[0],
    });
  return { digest, layout: 'bundle', verified, tlogVerified, reports };
}

async function verifyLegacy(input: VerifyImageInput, digest: string, legacy: ReadLegacy): Promise<ImageVerification> {
  const found = legacy.found;
  if (found === undefined || found.signatures.length === 0) throw new DctError('COSIGN_NO_SIGNATURES', 'no signatures found');
  const verified: VerifiedImageSignature[] = [];
  const reports: SignatureReport[] = [];
  const errors: Error[] = [];
  let tlogVerified = false;
  for (const { signature: sig, payload } of legacy.payloads) {
    try {
      if (payload.status === 'rejected') throw payload.reason;
      const checked = await checkLegacySignature(sig, payload.value, digest, input);
      tlogVerified ||= checked.tlogVerified;
      verified.push({
        layout: 'legacy',
        dockerReference: checked.claims.dockerReference,
        digest: checked.claims.digest,
        type: checked.claims.type,
        optional: checked.claims.optional,
        signer: checked.signer,
        ...(checked.rekorBundle ? { rekorBundle: checked.rekorBundle } : {}),
      });
      reports.push(report(digest, found.foundAt, checked, { layer: sig.layer.digest, layout: 'legacy' }));
    } catch (err) {
      if (!isDctError(err)) throw err;
      errors.push(err);
      reports.push(failed(digest, found.foundAt, err));
    }
  }
  if (verified.length === 0)
    throw new DctError('COSIGN_NO_MATCHING_SIGNATURES', `no matching signatures: ${errors.map((e) => e.message).join('\n ')}`, {
      cause: errors[0],
    });
  return { digest, layout: 'legacy', verified, tlogVerified, reports };
}

/** The report of a verified signature. */
export function report(subject: string, foundAt: SignatureLocation, f: SignatureFacts, details: Record<string, unknown>): SignatureReport {
  return {
    format: 'cosign',
    subject,
    verdict: 'verified',
    signer: f.signer,
    ...(f.signedAt !== undefined ? { signedAt: f.signedAt } : {}),
    ...(f.timeSource !== undefined ? { timeSource: f.timeSource } : {}),
    foundAt,
    details: { ...details, tlog: f.tlogVerified },
  };
}

/** The report of a signature that failed a check. */
export function failed(subject: string, foundAt: SignatureLocation, err: DctError): SignatureReport {
  const cause = err.cause;
  const code = err.code === 'COSIGN_NO_MATCHING_SIGNATURES' && isDctError(cause) ? cause.code : err.code;
  return { format: 'cosign', subject, verdict: 'failed', code, reason: err.message, foundAt };
}
