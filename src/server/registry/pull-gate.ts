/**
 * The pull gate: per repository pattern (matched against the GUN,
 * `<registry name>/<repository>`), manifests are served only when signed.
 *
 *   "pullGate": [{ "repositories": "registry.example.com/prod/*", "signers": ["alice"], "allowDigests": false }]
 *
 * The first rule whose pattern matches the GUN applies (none: no gate); the
 * decision itself (pull-gate-decision.ts):
 * - By tag: the tag must be released as docker resolves it (`targets/releases`,
 *   else `targets`; a tag only another delegation holds is not released), for
 *   exactly the digest and size the registry holds; with `signers`, one of the
 *   signers' roles (`targets/<name>`; `targets` names the repository owner's
 *   own role) must also hold that tag for the same digest and size.
 * - By digest: only when `allowDigests` is set, or a released tag (as above,
 *   with a required signer when `signers` are named) points at it with its
 *   size, or at an index that lists it (index → manifest edges only).
 *
 * - Signature artifacts (signature-artifact.ts: cosign and Notation signatures,
 *   referrers, the tag schema's referrers index) pass without a signature of their
 *   own: they carry no filesystem, and verifiers must read them. Decided on the
 *   manifest's content, so an image that merely has a `subject` is still gated.
 *
 * Trust data is verified through the trusted set (ServerTrust), never just
 * looked up. A refusal is a registry DENIED error whose message and detail
 * name the rule. Every judged request is recorded in the audit sink as the
 * policy gate records its own (rule `pullGate[N]`, N from 0, mode `enforce`).
 */
import { DctError } from '../../core/errors.js';
import { NO_AUDIT, type AuditSink } from '../../core/policy/audit-record.js';
import type { RegistryStore } from '../../core/ports.js';
import { globMatch } from '../auth/access-rules.js';
import { gateContext, NO_WARNINGS, requestedImage, type GateCall, type GateOutcome, type ManifestGate } from './manifest-gate.js';
import { RegistryApiError } from './registry-api-error.js';
import { signatureArtifactKind } from './signature-artifact.js';
import { PullGateDecision, type GateRequest, type GateRule } from './pull-gate-decision.js';
import type { ServerTrust } from './server-trust.js';

export interface PullGateRule extends GateRule {
  /** a GUN glob (`*` matches any characters, `/` included) */
  repositories: string;
}

/** Validates the `pullGate` setting (JSON already parsed); throws INVALID_CONFIG. */
export function parsePullGate(value: unknown, source = 'pullGate'): PullGateRule[] {
  if (!Array.isArray(value))
    throw new DctError('INVALID_CONFIG', `${source} must be a list of {"repositories","signers","allowDigests"} rules`);
  return value.map((raw: unknown, i) => {
    const where = `${source}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DctError('INVALID_CONFIG', `${where} must be an object`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['repositories', 'signers', 'allowDigests'].includes(k))
        throw new DctError('INVALID_CONFIG', `${where}: unknown field ${JSON.stringify(k)}`);
    }
    if (typeof r['repositories'] !== 'string' || r['repositories'] === '') {
      throw new DctError('INVALID_CONFIG', `${where}.repositories must be a GUN pattern such as "registry.example.com/prod/*"`);
    }
    const signers = r['signers'] ?? [];
    if (
      !Array.isArray(signers) ||
      !signers.every((s) => typeof s === 'string' && /^[A-Za-z0-9_.\-/]+$/.test(s) && !s.startsWith('/') && !s.endsWith('/'))
    ) {
      throw new DctError('INVALID_CONFIG', `${where}.signers must be a list of signer names (as in docker trust signer add) or role names`);
    }
    const allowDigests = r['allowDigests'] ?? false;
    if (typeof allowDigests !== 'boolean') throw new DctError('INVALID_CONFIG', `${where}.allowDigests must be true or false`);
    return { repositories: r['repositories'], signers: [...new Set(signers as string[])], allowDigests };
  });
}

export class PullGate implements ManifestGate {
  private readonly decision: PullGateDecision;

  constructor(
    readonly rules: readonly PullGateRule[],
    trust: ServerTrust,
    store: RegistryStore,
    private readonly audit: AuditSink = NO_AUDIT,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.decision = new PullGateDecision({
      trust: (gun) => trust.lookup(gun),
      indexesListing: (repository, digest) => store.indexesListing(repository, digest),
    });
  }

  /** The rule that applies to a GUN (first match), with its position. */
  ruleFor(gun: string): { index: number; rule: PullGateRule } | undefined {
    const index = this.rules.findIndex((r) => globMatch(r.repositories, gun));
    return index < 0 ? undefined : { index, rule: this.rules[index] as PullGateRule };
  }

  /** ServerTrust is told of trust data changes directly (embedded-registry.ts); the rules read nothing else. */
  changed(): void {}

  /**
   * Resolves when the manifest may be served; throws DENIED naming the rule otherwise.
   * `manifest`: the stored manifest, so that signature artifacts pass (see above).
   */
  async check(req: GateRequest, manifest: { mediaType: string; data: Buffer }, call?: GateCall): Promise<GateOutcome> {
    const applies = this.ruleFor(req.gun);
    if (!applies) return NO_WARNINGS;
    if (signatureArtifactKind(manifest, req.tag) !== undefined) return NO_WARNINGS;
    const { index, rule } = applies;
    const verdict = await this.decision.decide(rule, req);
    const subject = requestedImage(req);
    if (call)
      this.audit.record({
        at: this.now().toISOString(),
        point: 'registry',
        actor: call.actor,
        image: subject,
        digest: req.digest,
        rule: `pullGate[${index}]`,
        verdict: verdict.allowed ? 'allow' : 'deny',
        mode: 'enforce',
        admitted: verdict.allowed,
        reasons: verdict.allowed ? [] : [verdict.reason],
        signatures: [],
        context: gateContext(req, call),
      });
    if (verdict.allowed) return NO_WARNINGS;
    throw new RegistryApiError(
      'DENIED',
      `pull gate rule ${index + 1} (repositories ${JSON.stringify(rule.repositories)}) refuses ${subject}: ${verdict.reason}`,
      {
        rule: index + 1,
        repositories: rule.repositories,
        signers: rule.signers,
        allowDigests: rule.allowDigests,
        reason: verdict.reason,
      },
    );
  }
}
