/**
 * One signature judged as notation judges it: its envelope fetched, verified against the policy
 * statement, checked to be for the artifact, and for the required user metadata. The verdict
 * carries the stable code of what failed (the first enforced check, in the trust policy's order).
 */
import { DctError, type DctErrorCode } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import {
  NOTATION_CHECKS,
  type CheckOutcome,
  type EnvelopeVerificationOutcome,
  type NotationCheck,
  type TrustAnchors,
} from '../../core/notation/verification-types.js';
import type { NotationErrorCode } from './errors.js';
import type { NotationRepository } from './notation-repository.js';
import type { AppliedTrustPolicy, EnvelopeVerifier } from './ports.js';

export interface SignatureEvaluation {
  /** the signature manifest */
  signatureManifest: Descriptor;
  verdict: 'verified' | 'failed';
  code?: DctErrorCode;
  /** why it failed, in notation's words */
  reason?: string;
  envelopeMediaType?: string;
  outcome?: EnvelopeVerificationOutcome;
  /** failed checks whose action is `log`: notation's warnings */
  warnings: CheckOutcome[];
}

export const CHECK_FAILURE_CODES: Readonly<Record<NotationCheck, NotationErrorCode>> = {
  integrity: 'NOTATION_CHECK_INTEGRITY_FAILED',
  authenticity: 'NOTATION_CHECK_AUTHENTICITY_FAILED',
  authenticTimestamp: 'NOTATION_CHECK_TIMESTAMP_FAILED',
  expiry: 'NOTATION_CHECK_EXPIRY_FAILED',
  revocation: 'NOTATION_CHECK_REVOCATION_FAILED',
};

export interface EvaluationContext {
  repository: NotationRepository;
  /** the artifact whose signatures are judged */
  artifact: Descriptor;
  policy: AppliedTrustPolicy;
  anchors: TrustAnchors;
  verifier: EnvelopeVerifier;
  now: Date;
  /** `--user-metadata`: pairs that must be in the signed payload */
  userMetadata?: Readonly<Record<string, string>>;
}

/** Judges one signature; a registry that cannot be reached throws, a bad signature gives a `failed` verdict. */
export async function evaluateSignature(ctx: EvaluationContext, signatureManifest: Descriptor): Promise<SignatureEvaluation> {
  const failed = (code: DctErrorCode, reason: string, extra: Partial<SignatureEvaluation> = {}): SignatureEvaluation => ({
    signatureManifest,
    verdict: 'failed',
    code,
    reason,
    warnings: [],
    ...extra,
  });
  let envelope;
  try {
    envelope = await ctx.repository.envelope(signatureManifest);
  } catch (err) {
    if (err instanceof DctError) return failed(err.code, err.message);
    throw err;
  }
  let outcome: EnvelopeVerificationOutcome;
  try {
    outcome = await ctx.verifier.verify({
      envelope: envelope.bytes,
      mediaType: envelope.mediaType,
      anchors: ctx.anchors,
      trustedIdentities: ctx.policy.trustedIdentities,
      actions: ctx.policy.actions,
      verifyTimestamp: ctx.policy.verifyTimestamp,
      now: ctx.now,
      expectedSubject: ctx.artifact,
    });
  } catch (err) {
    if (err instanceof DctError) return failed(err.code, err.message, { envelopeMediaType: envelope.mediaType });
    throw err;
  }
  const base = { envelopeMediaType: envelope.mediaType, outcome };
  const integrity = outcome.checks.find((c) => c.check === 'integrity');
  const target = outcome.targetArtifact;
  if (target && (integrity === undefined || integrity.ok) && (target.digest !== ctx.artifact.digest || target.size !== ctx.artifact.size))
    return failed(
      'NOTATION_SUBJECT_MISMATCH',
      `the signature is for ${target.digest} (${target.size} bytes), not for ${ctx.artifact.digest} (${ctx.artifact.size} bytes): content descriptor mismatch`,
      base,
    );
  const enforcedFailure = NOTATION_CHECKS.map((name) => outcome.checks.find((c) => c.check === name)).find(
    (c): c is CheckOutcome => c !== undefined && !c.ok && c.action === 'enforce',
  );
  if (enforcedFailure)
    return failed(
      // the envelope verifier's own code for what failed (untrusted signer, invalid signature, …), else the check's
      (enforcedFailure as { code?: DctErrorCode }).code ?? CHECK_FAILURE_CODES[enforcedFailure.check],
      `${enforcedFailure.check} validation failed${enforcedFailure.error ? `. Failure reason: ${enforcedFailure.error}` : ''}`,
      base,
    );
  if (outcome.verdict === 'failed') return failed('NOTATION_VERIFICATION_FAILED', 'signature verification failed', base);
  const required = Object.entries(ctx.userMetadata ?? {});
  const present = outcome.userMetadata ?? {};
  if (required.some(([k, v]) => !Object.prototype.hasOwnProperty.call(present, k) || present[k] !== v))
    return failed('NOTATION_USER_METADATA_MISMATCH', 'unable to find specified metadata in the signature', base);
  return { signatureManifest, verdict: 'verified', ...base, warnings: outcome.checks.filter((c) => !c.ok && c.action === 'log') };
}
