/**
 * What every enforcement point asks of the trust policy (issue 13): may this image be pulled
 * or run? One decision per image reference, made by the policy use case over the signatures
 * every format reports, and recorded in the audit feed. The pull gate, `dct verify|pull|pin|
 * docker` and the admission webhook all call an `ImageDecider`.
 */
import type { SignatureReport } from '../signatures/signature-report.js';
import type { PullCredentials } from './pull-credentials.js';

/** `enforce`: a deny refuses; `warn`: a deny is allowed with a warning; `audit`: allowed, only recorded. */
export type PolicyMode = 'enforce' | 'warn' | 'audit';

/** How a rule's requirement came out: which signatures satisfied it. */
export interface RequirementOutcome {
  /** the requirement as the policy writes it, for people (`dct: releases`, `cosign: key release.pub`, `2 of 3`) */
  requirement: string;
  satisfied: boolean;
  /** indexes into `ImageDecision.reports` of the signatures that satisfied it */
  satisfiedBy: number[];
  /** sub-requirements (anyOf / allOf / m-of-n) */
  children?: RequirementOutcome[];
}

export interface ImageDecision {
  /** the reference as given */
  image: string;
  /** the digest the decision is about (the verified one, a tag resolved), when known */
  digest?: string;
  /** `allow` when the rule's requirements hold (or the mode lets a deny through); `deny` otherwise */
  verdict: 'allow' | 'deny';
  /** the matching rule's mode (`enforce` for the default deny) */
  mode: PolicyMode;
  /** the rule that matched (its name or pattern), absent when none did (default deny) */
  rule?: string;
  /** why, in words: the first unmet requirement, a failed signature, an unknown repository */
  reasons: string[];
  /** `warn` mode: what the caller shows (admission warnings, stderr) */
  warnings: string[];
  /** every signature found, in every format */
  reports: SignatureReport[];
  /** the rule's requirements and how each came out */
  requirements?: RequirementOutcome;
  /** typosquatting: trusted names near an unknown one ("did you mean docker.io/library/alpine?") */
  suggestions?: string[];
  /** ISO time of the decision */
  decidedAt: string;
}

/** How one decision is made: its deadline, and the caller's registry credentials (tried before the process's own). */
export interface DecideOptions {
  signal?: AbortSignal;
  /** per-request credentials (an admitted Pod's image pull secrets) */
  credentials?: PullCredentials;
}

/** The policy use case as enforcement points call it. Never throws for a refused image: a deny is a decision. */
export interface ImageDecider {
  decide(image: string, opts?: DecideOptions): Promise<ImageDecision>;
}
