/**
 * The trust policy's decision about one image (pure): the rule that applies, its requirement
 * judged over the signatures every format reported, and the verdict under the rule's mode.
 *
 * - No rule matches: default deny (the policy's default mode, `enforce` unless it says
 *   otherwise), with the trusted names near the image's (typosquatting).
 * - The image is in a publisher's namespace but is none of its repositories: refused as an
 *   unknown repository (under the rule's mode), with the near trusted names.
 * - Otherwise the rule's requirement over the reports of the image's digest; when that digest
 *   is an index and its own signatures do not meet the requirement, it holds when every
 *   platform manifest the index lists meets it.
 * - Modes: `enforce` refuses a deny; `warn` lets it through with the reasons as warnings;
 *   `audit` lets it through silently (the reasons are recorded in the decision).
 */
import type { SignatureReport } from '../signatures/signature-report.js';
import type { ImageDecision, PolicyMode, RequirementOutcome } from './decision.js';
import { evaluateRequirement, type Evaluated } from './requirement-evaluation.js';
import { matchRule } from './rule-matching.js';
import type { TrustPolicy } from './trust-policy.js';
import { nearTrustedNames, suggestionText, unknownToPublisher } from './typosquatting.js';

/** The signatures of one digest, as `verifyImageSignatures` groups them. */
export interface DigestReports {
  digest: string;
  kind: 'image' | 'index' | 'platform';
  platform?: string;
  reports: SignatureReport[];
}

export interface PolicyInput {
  /** the reference as given */
  image: string;
  /** `registry/repository`, normalized (`docker.io/library/alpine`) */
  name: string;
  tag?: string;
  /** the digest judged (absent: it could not be resolved; the reasons say why) */
  digest?: string;
  /** the image's digest first, then an index's platform manifests */
  digests: DigestReports[];
  /** why signatures could not be collected (registry unreachable, tag unknown, a format that could not look) */
  problems?: string[];
  now: Date;
}

function finish(
  input: PolicyInput,
  mode: PolicyMode,
  deny: string[] | undefined,
  extra: Partial<ImageDecision> & { reports: SignatureReport[] },
): ImageDecision {
  const verdict = deny === undefined || mode !== 'enforce' ? 'allow' : 'deny';
  const reasons = deny ?? [];
  const warnings = deny !== undefined && mode === 'warn' ? reasons.map((r) => `${input.image}: ${r}`) : [];
  if (deny !== undefined && mode === 'audit') reasons.push(`audit mode: allowed, recorded only`);
  if (deny !== undefined && mode === 'warn') reasons.push(`warn mode: allowed with a warning`);
  return {
    image: input.image,
    ...(input.digest !== undefined ? { digest: input.digest } : {}),
    verdict,
    mode,
    reasons,
    warnings,
    decidedAt: input.now.toISOString(),
    ...extra,
  };
}

/** Decides for an image whose rule is not yet known: matches it, then judges (see the module comment). */
export function evaluatePolicy(policy: TrustPolicy, input: PolicyInput): ImageDecision {
  const reports = input.digests.flatMap((d) => d.reports);
  const matched = matchRule(policy, input.name);
  if (!matched) {
    const near = nearTrustedNames(policy, input.name);
    const reason =
      near.length > 0
        ? `no rule of the policy names ${input.name} (default deny): did you mean ${near.map((n) => n.name).join(' or ')}?`
        : `no rule of the policy matches ${input.name} (default deny)`;
    return finish(input, policy.defaultMode, [reason], { reports, ...(near.length > 0 ? { suggestions: near.map(suggestionText) } : {}) });
  }
  const rule = matched.rule;
  const publisher = unknownToPublisher(policy, input.name);
  if (publisher) {
    const near = nearTrustedNames(policy, input.name);
    const hint = near.length > 0 ? `: did you mean ${near.map(suggestionText).join(' or ')}?` : '';
    const reason = `${input.name} is not a repository ${publisher.namespace} publishes (${publisher.signedBy})${hint}`;
    return finish(input, rule.mode, [reason], {
      rule: rule.name,
      reports,
      ...(near.length > 0 ? { suggestions: near.map(suggestionText) } : {}),
    });
  }
  if (input.digest === undefined) {
    const reasons = input.problems?.length ? [...input.problems] : [`the digest of ${input.image} could not be resolved`];
    return finish(input, rule.mode, reasons, { rule: rule.name, reports });
  }
  const indexed = (d: DigestReports): number[] => {
    const start = input.digests.slice(0, input.digests.indexOf(d)).reduce((n, x) => n + x.reports.length, 0);
    return d.reports.map((_, i) => start + i);
  };
  const top = input.digests[0];
  const own: Evaluated = evaluateRequirement(rule.require, {
    reports,
    candidates: top ? indexed(top) : [],
    ...(input.tag !== undefined ? { tag: input.tag } : {}),
  });
  let requirements: RequirementOutcome = own.outcome;
  let unmet = own.unmet;
  const platforms = input.digests.filter((d) => d.kind === 'platform');
  if (!own.outcome.satisfied && top?.kind === 'index' && platforms.length > 0) {
    const each = platforms.map((d) => ({ d, e: evaluateRequirement(rule.require, { reports, candidates: indexed(d) }) }));
    if (each.every((x) => x.e.outcome.satisfied)) {
      requirements = {
        requirement: `every platform manifest of the index: ${own.outcome.requirement}`,
        satisfied: true,
        satisfiedBy: [...new Set(each.flatMap((x) => x.e.outcome.satisfiedBy))].sort((a, b) => a - b),
        children: each.map((x) => ({ ...x.e.outcome, requirement: `${x.d.platform ?? x.d.digest}: ${x.e.outcome.requirement}` })),
      };
      unmet = [];
    }
  }
  const deny = requirements.satisfied
    ? undefined
    : [`rule ${rule.name}: ${unmet[0] ?? 'requirement not met'}`, ...unmet.slice(1), ...(input.problems ?? [])];
  const decision = finish(input, rule.mode, deny, { rule: rule.name, reports, requirements });
  // what could not be looked at is said even when the rest is enough
  if (!deny)
    decision.reasons.push(
      `rule ${rule.name}: ${requirements.requirement} met by ${describeSatisfied(requirements, reports)}`,
      ...(input.problems ?? []),
    );
  return decision;
}

function describeSatisfied(o: RequirementOutcome, reports: readonly SignatureReport[]): string {
  const formats = o.satisfiedBy.map((i) => reports[i]?.format ?? '?');
  return [...new Set(formats)].map((f) => `${formats.filter((x) => x === f).length} ${f} signature(s)`).join(', ');
}
