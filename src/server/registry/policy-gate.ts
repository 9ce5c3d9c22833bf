/**
 * The pull gate over the trust policy (`dct server --policy FILE`): the same policy use case
 * (`ImageDecider`) as `dct policy explain`, the CLI and the admission webhook.
 *
 * - By tag: the policy decides `<gun>:<tag>`, and the manifest served must be the digest decided
 *   about (a tag the registry moved after signing is refused).
 * - By digest: the policy decides `<gun>@<digest>`; a refused platform manifest is still served
 *   when an index listing it (index → manifest edges only, up to four levels) is allowed.
 * - HEAD is judged as GET. Signature artifacts (cosign and Notation signatures, referrers, the
 *   referrers tag index) pass on their content: verifiers must read them.
 * - Modes: a deny in `enforce` mode is the registry's DENIED error naming the rule and the
 *   reasons; `warn` serves with `Warning` headers and a log line; `audit` serves and records.
 * - Every judged request is recorded in the audit sink (point `registry`).
 * - Decisions are kept per (GUN, tag, digest) for `cacheMs` and forgotten when the repository's
 *   trust data or signatures change, or the policy does (`changed`, `policyChanged`).
 */
import type { Logger } from 'pino';
import type { ImageDecider, ImageDecision } from '../../core/policy/decision.js';
import { auditRecordOf, type AuditSink } from '../../core/policy/audit-record.js';
import { gateContext, NO_WARNINGS, requestedImage, type GateCall, type GateOutcome, type ManifestGate } from './manifest-gate.js';
import type { GateRequest } from './pull-gate-decision.js';
import { RegistryApiError } from './registry-api-error.js';
import { signatureArtifactKind } from './signature-artifact.js';

export interface PolicyGateOptions {
  decider: ImageDecider;
  /** the indexes of a repository listing a manifest (RegistryStore.indexesListing) */
  indexesListing(repository: string, digest: string): Promise<Array<{ digest: string; size: number }>>;
  audit: AuditSink;
  log: Logger;
  /** how long a decision is reused (default 10 s; 0: never) */
  cacheMs?: number;
  now?: () => number;
}

const MAX_PARENT_DEPTH = 4;
const MAX_CACHED = 10_000;

/** `decision` turned into a deny for `reason` (under its mode: `warn` and `audit` still let it through). */
export function deniedFor(decision: ImageDecision, reason: string): ImageDecision {
  const enforce = decision.mode === 'enforce';
  return {
    ...decision,
    verdict: enforce ? 'deny' : 'allow',
    reasons: [reason, ...decision.reasons],
    warnings: decision.mode === 'warn' ? [`${decision.image}: ${reason}`, ...decision.warnings] : decision.warnings,
  };
}

export class PolicyGate implements ManifestGate {
  private readonly cache = new Map<string, { decision: ImageDecision; until: number }>();
  private generation = 0;
  private readonly now: () => number;
  private readonly cacheMs: number;

  constructor(private readonly opts: PolicyGateOptions) {
    this.now = opts.now ?? Date.now;
    this.cacheMs = opts.cacheMs ?? 10_000;
  }

  changed(gun: string): void {
    this.generation++;
    const prefix = `${gun}\n`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  policyChanged(): void {
    this.generation++;
    this.cache.clear();
  }

  async check(req: GateRequest, manifest: { mediaType: string; data: Buffer }, call: GateCall): Promise<GateOutcome> {
    if (signatureArtifactKind(manifest, req.tag) !== undefined) return NO_WARNINGS;
    const decision = await this.decide(req);
    const admitted = decision.verdict === 'allow';
    this.opts.audit.record(auditRecordOf(decision, 'registry', call.actor, gateContext(req, call), admitted));
    const fields = { image: decision.image, digest: req.digest, rule: decision.rule, mode: decision.mode, ...call.actor };
    if (!admitted) {
      const rule =
        decision.rule !== undefined ? `trust policy rule ${JSON.stringify(decision.rule)}` : 'trust policy (no rule matches: default deny)';
      throw new RegistryApiError('DENIED', `${rule} refuses ${decision.image}: ${decision.reasons.join('; ')}`, {
        image: decision.image,
        ...(decision.digest !== undefined ? { digest: decision.digest } : {}),
        ...(decision.rule !== undefined ? { rule: decision.rule } : {}),
        mode: decision.mode,
        reasons: decision.reasons,
        ...(decision.suggestions ? { suggestions: decision.suggestions } : {}),
      });
    }
    if (decision.warnings.length > 0)
      this.opts.log.warn({ ...fields, warnings: decision.warnings }, 'pull gate: served with warnings (warn mode)');
    else if (decision.mode === 'audit' && decision.reasons.length > 0)
      this.opts.log.info({ ...fields, reasons: decision.reasons }, 'pull gate: served in audit mode');
    return { warnings: decision.warnings };
  }

  /** The decision for a request, from the cache when fresh. */
  private async decide(req: GateRequest): Promise<ImageDecision> {
    const key = `${req.gun}\n${req.tag ?? ''}\n${req.digest}`;
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && now < hit.until) return hit.decision;
    const generation = this.generation;
    const decision = await this.judge(req);
    if (this.cacheMs > 0 && generation === this.generation) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { decision, until: now + this.cacheMs });
    }
    return decision;
  }

  private async judge(req: GateRequest): Promise<ImageDecision> {
    const image = requestedImage(req);
    const decision = await this.opts.decider.decide(image);
    if (req.tag !== undefined) {
      if (decision.digest !== undefined && decision.digest !== req.digest)
        return deniedFor(decision, `the policy judged ${decision.digest}, but the registry serves ${req.digest} for tag ${req.tag}`);
      return decision;
    }
    if (decision.verdict === 'allow') return decision;
    // a platform manifest: served when an index listing it is allowed
    const seen = new Set<string>([req.digest]);
    let frontier = [req.digest];
    for (let depth = 0; depth < MAX_PARENT_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const child of frontier) {
        for (const index of await this.opts.indexesListing(req.repository, child)) {
          if (seen.has(index.digest)) continue;
          seen.add(index.digest);
          const parent = await this.opts.decider.decide(`${req.gun}@${index.digest}`);
          // (the same repository, so the same rule and mode: an allowed parent met its requirements)
          if (parent.verdict === 'allow') {
            const why = `a platform manifest of ${req.gun}@${index.digest}, which the policy allows`;
            return { ...parent, image, digest: req.digest, reasons: [why, ...parent.reasons] };
          }
          next.push(index.digest);
        }
      }
      frontier = next;
    }
    return decision;
  }
}
