/**
 * A requirement judged over signature reports: which reports satisfy each leaf, and whether
 * the combinators hold.
 *
 * A report satisfies a leaf only when its verdict is `verified`, its format is the leaf's and
 * its signer is the one the leaf names:
 * - `dct`: every field given must match (fields AND, values within a field OR): `signers`
 *   (`releases`: a released role, `targets/releases` or `targets`; another name `x`: the role
 *   `targets/x`), `roles` (the role's name), `keys` (a key ID that signed the role's file);
 *   `fresh`: the reference's tag is among the tags the role signs for the digest;
 * - `cosign`: `key`: the report's key ID is the key's (`sha256:` of its SPKI DER); `identity`
 *   and `issuer`: the Fulcio certificate's SAN and OIDC issuer (exact, or a regular expression
 *   as cosign's `--certificate-identity-regexp`, unanchored); the signature is in a
 *   transparency log unless the leaf says `tlog: false`;
 * - `notation`: `trustStore`: the report was verified against that trust store;
 *   `identity`: the signing certificate's subject holds every attribute of the DN.
 */
import { isSubsetDN, parseDistinguishedName } from '../notation/distinguished-name.js';
import type { StringMatcher } from '../signatures/sigstore-verification.js';
import type { SignatureReport } from '../signatures/signature-report.js';
import type { RequirementOutcome } from './decision.js';
import { requirementTitle } from './describe-requirement.js';
import type { CosignRequirement, DctRequirement, LeafRequirement, NotationRequirement, Requirement } from './trust-policy.js';

/** `details.trustStore` of a Notation report: the store it was verified against (set by the policy's collector). */
export const NOTATION_TRUST_STORE_DETAIL = 'trustStore';

export interface EvaluationContext {
  /** every report, indexes are into this list */
  reports: readonly SignatureReport[];
  /** the indexes of the reports about the digest being judged */
  candidates: readonly number[];
  /** the reference's tag, when it has one (DCT freshness) */
  tag?: string;
}

export interface Evaluated {
  outcome: RequirementOutcome;
  /** why the requirement is not met, in words (empty when it is) */
  unmet: string[];
}

function matches(m: StringMatcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  if ('exact' in m) return m.exact === value;
  try {
    return new RegExp(m.regexp).test(value);
  } catch {
    return false;
  }
}

/** A report's detail that is a list (empty when absent). */
function listDetail(r: SignatureReport, key: string): unknown[] {
  const v = r.details?.[key];
  return Array.isArray(v) ? (v as unknown[]) : [];
}

function dctSatisfies(leaf: DctRequirement, r: SignatureReport, tag: string | undefined): boolean {
  const role = r.signer?.role;
  if (leaf.signers?.length) {
    const released = r.details?.['released'] === true || role === 'targets' || role === 'targets/releases';
    const ok = leaf.signers.some((s) => (s === 'releases' ? released : role === `targets/${s}` || r.signer?.name === s));
    if (!ok) return false;
  }
  if (leaf.roles?.length && !leaf.roles.includes(role ?? '')) return false;
  if (leaf.keys?.length) {
    const ids = listDetail(r, 'keyIds');
    if (!leaf.keys.some((k) => k === r.signer?.keyId || ids.includes(k))) return false;
  }
  if (leaf.fresh && tag !== undefined) {
    const tags = listDetail(r, 'tags');
    if (!tags.includes(tag)) return false;
  }
  return true;
}

function cosignSatisfies(leaf: CosignRequirement, r: SignatureReport): boolean {
  if (leaf.key && r.signer?.keyId !== leaf.key.keyId) return false;
  if (leaf.identity && !matches(leaf.identity, r.signer?.san)) return false;
  if (leaf.issuer && !matches(leaf.issuer, r.signer?.issuer)) return false;
  if (leaf.tlog && r.details?.['tlog'] !== true) return false;
  return true;
}

function notationSatisfies(leaf: NotationRequirement, r: SignatureReport): boolean {
  if (leaf.trustStore && r.details?.[NOTATION_TRUST_STORE_DETAIL] !== leaf.trustStore) return false;
  if (leaf.identity) {
    const subject = r.signer?.subject;
    if (subject === undefined) return false;
    try {
      const want = parseDistinguishedName(leaf.identity.slice(leaf.identity.indexOf(':') + 1));
      if (!isSubsetDN(want, parseDistinguishedName(subject))) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export function leafSatisfiedBy(leaf: LeafRequirement, r: SignatureReport, tag?: string): boolean {
  if (r.format !== leaf.kind || r.verdict !== 'verified') return false;
  if (leaf.kind === 'dct') return dctSatisfies(leaf, r, tag);
  if (leaf.kind === 'cosign') return cosignSatisfies(leaf, r);
  return notationSatisfies(leaf, r);
}

/** Why no report satisfies the leaf: what was found in its format instead. */
function leafUnmet(leaf: LeafRequirement, ctx: EvaluationContext): string {
  const same = ctx.candidates.map((i) => ctx.reports[i] as SignatureReport).filter((r) => r.format === leaf.kind);
  const want = requirementTitle(leaf);
  if (same.length === 0) return `${want}: no ${leaf.kind} signature found`;
  const seen = same.map((r) => {
    if (r.verdict !== 'verified') return `${r.verdict}${r.code ? ` [${r.code}]` : ''}${r.reason ? `: ${r.reason}` : ''}`;
    return `verified, signed by ${signerWords(r)}${leaf.kind === 'cosign' && leaf.tlog && r.details?.['tlog'] !== true ? ' without a transparency log entry' : ''}${leaf.kind === 'dct' && leaf.fresh && ctx.tag !== undefined ? ` for tags ${JSON.stringify(r.details?.['tags'] ?? [])}` : ''}`;
  });
  return `${want}: not satisfied by the ${same.length} ${leaf.kind} signature${same.length === 1 ? '' : 's'} found (${seen.join('; ')})`;
}

/** A signer in words, for reasons and `dct policy explain`. */
export function signerWords(r: SignatureReport): string {
  const s = r.signer;
  if (!s) return 'an unknown signer';
  if (s.kind === 'role') return `${s.role ?? '?'}${s.keyId ? ` (key ${s.keyId})` : ''}`;
  if (s.san !== undefined) return `${s.san}${s.issuer ? ` (issuer ${s.issuer})` : ''}`;
  if (s.subject !== undefined) return `${s.subject}${s.keyId ? ` (key ${s.keyId})` : ''}`;
  return s.keyId !== undefined ? `key ${s.keyId}` : (s.name ?? 'a key');
}

export function evaluateRequirement(req: Requirement, ctx: EvaluationContext): Evaluated {
  if (req.kind === 'dct' || req.kind === 'cosign' || req.kind === 'notation') {
    const by = ctx.candidates.filter((i) => leafSatisfiedBy(req, ctx.reports[i] as SignatureReport, ctx.tag));
    const outcome: RequirementOutcome = { requirement: requirementTitle(req), satisfied: by.length > 0, satisfiedBy: by };
    return { outcome, unmet: by.length > 0 ? [] : [leafUnmet(req, ctx)] };
  }
  const parts = req.of.map((c) => evaluateRequirement(c, ctx));
  const held = parts.filter((p) => p.outcome.satisfied).length;
  const need = req.kind === 'anyOf' ? 1 : req.kind === 'allOf' ? req.of.length : req.count;
  const satisfied = held >= need;
  const by = [...new Set(parts.filter((p) => p.outcome.satisfied).flatMap((p) => p.outcome.satisfiedBy))].sort((a, b) => a - b);
  const outcome: RequirementOutcome = {
    requirement: requirementTitle(req),
    satisfied,
    satisfiedBy: satisfied ? by : [],
    children: parts.map((p) => p.outcome),
  };
  if (satisfied) return { outcome, unmet: [] };
  const missing = parts.filter((p) => !p.outcome.satisfied).flatMap((p) => p.unmet);
  const head = `${requirementTitle(req)} required, ${held} met`;
  return { outcome, unmet: [head, ...missing] };
}
