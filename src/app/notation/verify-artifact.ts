/**
 * `notation verify`: the artifact resolved to its digest, the trust policy statement that
 * applies, then its signatures one by one (at most `maxSignatures`) until one passes — the
 * artifact is verified as soon as one signature is. When none passes, a DctError whose code is
 * the failures' common code (else NOTATION_VERIFICATION_FAILED), with every failure attached.
 */
import { DctError, isDctError, type DctErrorCode } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { digestReference } from './artifact-reference.js';
import type { NotationRepository } from './notation-repository.js';
import type { EnvelopeVerifier, TrustPolicySource } from './ports.js';
import { evaluateSignature, type SignatureEvaluation } from './signature-evaluation.js';

export const DEFAULT_MAX_SIGNATURES = 100;

export interface VerifyArtifactRequest {
  repository: NotationRepository;
  reference: ImageReference;
  policy: TrustPolicySource;
  verifier: EnvelopeVerifier;
  now: Date;
  maxSignatures?: number;
  userMetadata?: Readonly<Record<string, string>>;
  /** `--scope`: the policy scope to use instead of the artifact's repository */
  scope?: string;
}

export interface VerifyArtifactResult {
  /** `host/repo@sha256:…` */
  reference: string;
  artifact: Descriptor;
  /** resolved from a tag (notation warns) */
  fromTag: boolean;
  /** `skip`: the policy says not to verify */
  skipped: boolean;
  /** the signature that passed (absent when skipped) */
  verified?: SignatureEvaluation;
  /** the signatures that failed before it */
  failures: SignatureEvaluation[];
}

/** Thrown when no signature passes: every failure judged, in order. */
export class NotationVerificationError extends DctError {
  constructor(
    code: DctErrorCode,
    message: string,
    readonly failures: readonly SignatureEvaluation[],
  ) {
    super(code, message);
  }
}

export function checkMaxSignatures(max: number): void {
  if (!Number.isSafeInteger(max) || max <= 0)
    throw new DctError('NOTATION_INVALID_OPTION', `max-signatures value ${max} must be a positive number`);
}

export async function verifyArtifact(req: VerifyArtifactRequest): Promise<VerifyArtifactResult> {
  const max = req.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  checkMaxSignatures(max);
  const artifact = await req.repository.resolve(req.reference);
  const reference = digestReference(req.reference, artifact.digest);
  const fromTag = req.reference.digest === undefined;
  let policy;
  try {
    policy = await req.policy.statementFor(req.scope !== undefined ? `${req.scope}@${artifact.digest}` : reference);
  } catch (err) {
    // notation reports a statement that does not apply as a failed verification
    if (isDctError(err, 'NOTATION_POLICY_NOT_APPLICABLE'))
      throw new DctError(err.code, `signature verification failed: ${err.message}`, { cause: err });
    throw err;
  }
  if (policy.level === 'skip') return { reference, artifact, fromTag, skipped: true, failures: [] };
  const anchors = await policy.anchors();
  const list = await req.repository.signatures(artifact, max);
  if (list.manifests.length === 0)
    throw new DctError(
      'NOTATION_NO_SIGNATURE',
      `signature verification failed: no signature is associated with ${JSON.stringify(reference)}, make sure the artifact was signed successfully`,
    );
  const ctx = {
    repository: req.repository,
    artifact,
    policy,
    anchors,
    verifier: req.verifier,
    now: req.now,
    ...(req.userMetadata ? { userMetadata: req.userMetadata } : {}),
  };
  const failures: SignatureEvaluation[] = [];
  for (const manifest of list.manifests) {
    const evaluation = await evaluateSignature(ctx, manifest);
    if (evaluation.verdict === 'verified') return { reference, artifact, fromTag, skipped: false, verified: evaluation, failures };
    failures.push(evaluation);
  }
  const codes = new Set(failures.map((f) => f.code ?? 'NOTATION_VERIFICATION_FAILED'));
  const code: DctErrorCode = list.exceeded
    ? 'NOTATION_TOO_MANY_SIGNATURES'
    : codes.size === 1
      ? ([...codes][0] as DctErrorCode)
      : 'NOTATION_VERIFICATION_FAILED';
  throw new NotationVerificationError(code, `signature verification failed for all the signatures associated with ${reference}`, failures);
}
