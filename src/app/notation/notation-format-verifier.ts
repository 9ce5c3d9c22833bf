/**
 * Notation as one of `dct verify`'s formats: every Notation signature of the image (at most
 * `maxSignatures`), each judged against the trust policy statement for the image, each with
 * its report (signer's subject DN and key, signing time and whose word it is, where it was found).
 * Aborted (`signal`): the registry request in flight is aborted, no read or check starts after,
 * and verify rejects with ABORTED.
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import type { TrustAnchors } from '../../core/notation/verification-types.js';
import type { FormatVerifier, ImageSubject, SignatureReport } from '../../core/signatures/signature-report.js';
import { abortable, abortableRegistry, checkAborted } from '../signatures/abortable-registry.js';
import type { SignatureRegistry } from '../signatures/signature-registry.js';
import { NotationRepository } from './notation-repository.js';
import type { AppliedTrustPolicy, EnvelopeVerifier, TrustPolicySource } from './ports.js';
import { evaluateSignature, type SignatureEvaluation } from './signature-evaluation.js';
import { DEFAULT_MAX_SIGNATURES } from './verify-artifact.js';

export interface NotationFormatVerifierOptions {
  /** the registry of an image (credentials, TLS, as other dct commands) */
  openRegistry: (subject: ImageSubject) => Promise<SignatureRegistry>;
  policy: TrustPolicySource;
  verifier: EnvelopeVerifier;
  now?: () => Date;
  maxSignatures?: number;
}

/** A certificate subject as Go's pkix.Name prints it: RDNs in reverse order, comma-separated (`CN=e2e,O=Notary,…,C=US`). */
export function subjectDn(cert: X509Certificate): string {
  return cert.subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .join(',');
}

/** `sha256:<hex>` of the certificate's SubjectPublicKeyInfo DER */
export function publicKeyId(cert: X509Certificate): string {
  return `sha256:${createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

export class NotationFormatVerifier implements FormatVerifier {
  readonly format = 'notation' as const;

  constructor(private readonly opts: NotationFormatVerifierOptions) {}

  async verify(subject: ImageSubject, opts: { signal?: AbortSignal } = {}): Promise<SignatureReport[]> {
    return abortable(opts.signal, () => this.verifyUntil(subject, opts.signal));
  }

  private async verifyUntil(subject: ImageSubject, signal: AbortSignal | undefined): Promise<SignatureReport[]> {
    const registry = abortableRegistry(await this.opts.openRegistry(subject), signal);
    const name = `${subject.registry}/${subject.repository}`;
    const repository = new NotationRepository(registry, subject.repository, name);
    const artifact = await repository.resolve({ digest: subject.digest });
    const list = await repository.signatures(artifact, this.opts.maxSignatures ?? DEFAULT_MAX_SIGNATURES);
    if (list.manifests.length === 0) return [];
    const via = list.via === 'api' ? 'referrers-api' : 'referrers-tag';
    // no trust policy (or a broken one, or trust stores that do not load): each signature fails with that code
    let policy: AppliedTrustPolicy;
    let anchors: TrustAnchors;
    try {
      policy = await this.opts.policy.statementFor(`${name}@${subject.digest}`);
      anchors = policy.level === 'skip' ? { ca: [], signingAuthority: [], tsa: [] } : await policy.anchors();
    } catch (err) {
      if (!(err instanceof DctError)) throw err;
      return list.manifests.map((m) => ({
        format: 'notation',
        subject: subject.digest,
        verdict: 'failed',
        code: err.code,
        reason: err.message,
        foundAt: { via, reference: `${name}@${m.digest}` },
      }));
    }
    if (policy.level === 'skip')
      return list.manifests.map((m) => ({
        format: 'notation',
        subject: subject.digest,
        verdict: 'skipped',
        reason: 'Trust policy is configured to skip signature verification',
        foundAt: { via, reference: `${name}@${m.digest}` },
      }));
    const now = (this.opts.now ?? (() => new Date()))();
    const ctx = { repository, artifact, policy, anchors, verifier: this.opts.verifier, now };
    const reports: SignatureReport[] = [];
    for (const manifest of list.manifests) {
      checkAborted(signal);
      reports.push(report(await evaluateSignature(ctx, manifest), subject.digest, { via, reference: `${name}@${manifest.digest}` }));
    }
    // a read aborted under the last evaluation is no failed signature: the verification was aborted
    checkAborted(signal);
    return reports;
  }
}

function report(e: SignatureEvaluation, digest: string, foundAt: SignatureReport['foundAt']): SignatureReport {
  const outcome = e.outcome;
  const leaf = outcome?.chain[0];
  const out: SignatureReport = { format: 'notation', subject: outcome?.targetArtifact?.digest ?? digest, verdict: e.verdict, foundAt };
  if (e.code !== undefined) out.code = e.code;
  const warnings = e.warnings.map((w) => `${w.check} was set to "${w.action}" and failed with error: ${w.error ?? ''}`);
  if (e.reason !== undefined) out.reason = e.reason;
  else if (warnings.length > 0) out.reason = warnings.join('; ');
  if (leaf) out.signer = { kind: 'certificate', subject: subjectDn(leaf), keyId: publicKeyId(leaf) };
  if (outcome?.timestamp) {
    out.signedAt = outcome.timestamp;
    out.timeSource = 'tsa';
  } else if (outcome?.signingTime) {
    out.signedAt = outcome.signingTime;
    out.timeSource = 'claimed';
  }
  out.details = {
    ...(e.envelopeMediaType ? { signatureMediaType: e.envelopeMediaType } : {}),
    ...(outcome?.signingScheme ? { signingScheme: outcome.signingScheme } : {}),
    ...(outcome?.expiry ? { expiry: outcome.expiry } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  return out;
}
