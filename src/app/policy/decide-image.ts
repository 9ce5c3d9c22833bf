/**
 * The policy use case every enforcement point calls (`ImageDecider`): the image's rule, its
 * signatures in every format checked as the rule needs (`signatureNeeds`), and the decision
 * (`evaluatePolicy`). It never throws for an image: an unparsable reference, a policy that
 * cannot be loaded, a registry that does not answer are all denials with their reason
 * (fail closed). An image no rule matches, or one its namespace's publisher does not publish,
 * is denied without looking at its signatures. When the policy in force changes (a reload), the
 * sources are told, so that nothing they kept for the old one outlives it.
 */
import { isDctError } from '../../core/errors.js';
import { parseImageReference, type ImageReference } from '../../core/image-reference.js';
import type { DecideOptions, ImageDecider, ImageDecision } from '../../core/policy/decision.js';
import { evaluatePolicy, type PolicyInput } from '../../core/policy/evaluate-policy.js';
import type { PolicySource } from '../../core/policy/policy-source.js';
import { matchRule } from '../../core/policy/rule-matching.js';
import type { TrustPolicy } from '../../core/policy/trust-policy.js';
import { unknownToPublisher } from '../../core/policy/typosquatting.js';
import { verifyImageSignatures } from '../signatures/verify-image-signatures.js';
import { signatureNeeds, type SignatureSources } from './signature-sources.js';

export interface PolicyDeciderOptions {
  policy: PolicySource;
  sources: SignatureSources;
  now?: () => Date;
}

function messageOf(err: unknown): string {
  if (isDctError(err)) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}

export class PolicyDecider implements ImageDecider {
  /** the policy the last decision was made under: another one tells the sources to drop what they kept */
  private policyInForce: TrustPolicy | undefined;

  constructor(private readonly opts: PolicyDeciderOptions) {}

  private now(): Date {
    return (this.opts.now ?? (() => new Date()))();
  }

  async decide(image: string, opts: DecideOptions = {}): Promise<ImageDecision> {
    const refused = (reason: string): ImageDecision => ({
      image,
      verdict: 'deny',
      mode: 'enforce',
      reasons: [reason],
      warnings: [],
      reports: [],
      decidedAt: this.now().toISOString(),
    });
    let ref: ImageReference;
    try {
      ref = parseImageReference(image);
    } catch (err) {
      return refused(`not an image reference: ${messageOf(err)}`);
    }
    let policy: TrustPolicy;
    try {
      policy = await this.opts.policy.current();
    } catch (err) {
      return refused(`the trust policy cannot be loaded: ${messageOf(err)}`);
    }
    if (policy !== this.policyInForce) {
      if (this.policyInForce !== undefined) this.opts.sources.policyChanged?.();
      this.policyInForce = policy;
    }
    const name = `${ref.domain}/${ref.path}`;
    const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
    const base = { image, name, ...(tag !== undefined ? { tag } : {}), ...(ref.digest !== undefined ? { digest: ref.digest } : {}) };
    const matched = matchRule(policy, name);
    if (!matched || unknownToPublisher(policy, name)) return evaluatePolicy(policy, { ...base, digests: [], now: this.now() });

    let input: PolicyInput;
    try {
      const sources = await this.opts.sources.open(ref, signatureNeeds(matched.rule.require), opts);
      try {
        const found = await verifyImageSignatures(
          {
            registry: ref.domain,
            repository: ref.path,
            digest: sources.digest,
            ...(sources.tag !== undefined ? { tag: sources.tag } : {}),
          },
          {
            verifiers: sources.verifiers,
            ...(sources.manifests ? { manifests: sources.manifests } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
          },
        );
        const problems = [
          ...sources.notes,
          ...(found.manifestFailure ? [`the platforms were not checked: ${found.manifestFailure.message}`] : []),
          ...found.digests.flatMap((d) =>
            d.failures.map((f) => `${f.format ?? 'registry'}: could not look for signatures of ${d.digest}: ${f.message}`),
          ),
        ];
        input = {
          ...base,
          ...(sources.tag !== undefined ? { tag: sources.tag } : {}),
          digest: sources.digest,
          digests: found.digests,
          ...(problems.length > 0 ? { problems } : {}),
          now: this.now(),
        };
      } finally {
        sources.close();
      }
    } catch (err) {
      input = { ...base, digests: [], problems: [`the signatures of ${image} could not be collected: ${messageOf(err)}`], now: this.now() };
      delete input.digest;
    }
    return evaluatePolicy(policy, input);
  }
}
