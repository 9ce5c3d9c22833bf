/**
 * The trust policy at the CLI's enforcement points (issue 13): `dct verify|pull|pin|docker`
 * given `--policy FILE` (else `DCT_POLICY`) decide every image with the policy use case
 * (`policyDecider`: the same decision as `dct policy explain`, the pull gate and the admission
 * webhook), and given `--audit FILE|URL` (else `DCT_AUDIT`) write every decision to the audit
 * feed (`auditRecordOf`, one record per image decided, flushed before the command exits).
 *
 * One place for what every point does with a decision: the words printed (`decisionLine`,
 * warnings on stderr), the refusal (`POLICY_DENIED`, with the reasons), the audit record.
 * A point only parses its arguments, asks `decide(image)`, and uses the decided digest.
 */
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { openAuditSink } from '../adapters/audit/open-audit-sink.js';
import { loadPolicyFile } from '../adapters/policy/policy-file.js';
import { isDctError } from '../core/errors.js';
import { auditRecordOf, NO_AUDIT, type AuditActor, type AuditSink, type EnforcementPoint } from '../core/policy/audit-record.js';
import type { ImageDecider, ImageDecision } from '../core/policy/decision.js';
import { CliFailure } from './cli-failure.js';
import type { CliErrorCode } from './errors.js';
import type { TrustIo } from './docker-trust/io.js';
import { policyDecider } from './policy-decider.js';

/** The environment variables a flag falls back to (as docker's DOCKER_CONTENT_TRUST). */
export const POLICY_ENV = 'DCT_POLICY';
export const AUDIT_ENV = 'DCT_AUDIT';

/** The stable code of an image the policy refused. */
export const POLICY_DENIED: CliErrorCode = 'POLICY_DENIED';

export interface EnforcementFlags {
  /** `--policy FILE` */
  policy?: string;
  /** `--audit FILE|URL` */
  audit?: string;
  /** cosign: Sigstore trusted_root.json */
  trustedRoot?: string;
}

/** The flag, else its environment variable; '' is none. */
function flagOrEnv(flag: string | undefined, env: TrustIo['env'], name: string): string | undefined {
  const v = flag ?? env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** An image decided at one enforcement point. */
export interface Enforced {
  decision: ImageDecision;
  /** let through: the policy allows it, or its rule's mode (warn, audit) lets a deny through */
  admitted: boolean;
  /** the digest to use for it (the one decided about), when the decision knows it */
  digest?: string;
}

/** A decision's words on one line: `IMAGE: allowed by rule release (enforce), sha256:…` / `IMAGE: denied (…): why`. */
export function decisionLine(d: ImageDecision): string {
  const rule = d.rule !== undefined ? `rule ${d.rule}` : 'no rule matched: default deny';
  if (d.verdict === 'deny') return `${d.image}: denied by the trust policy (${rule}): ${d.reasons.join('; ')}`;
  const warned = d.warnings.length > 0 ? ` with ${d.warnings.length} warning(s)` : '';
  return `${d.image}: allowed by the trust policy (${rule}, mode ${d.mode})${warned}${d.digest ? `: ${d.digest}` : ''}`;
}

/** The failure of a denied image: the reasons, POLICY_DENIED, and how to see the whole decision. */
export function deniedFailure(d: ImageDecision, exitCode = 1): CliFailure {
  return new CliFailure(decisionLine(d), {
    code: POLICY_DENIED,
    exitCode,
    hint: `\`dct policy explain ${d.image} --policy FILE\` shows every signature found and which requirement each met`,
  });
}

/** Who asks, as the CLI knows it: the OS user and this host. */
function localActor(env: TrustIo['env']): AuditActor {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = env['USER'] ?? env['LOGNAME'];
  }
  return { ...(user ? { user } : {}), host: hostname() };
}

export class PolicyEnforcement {
  private constructor(
    private readonly io: TrustIo,
    private readonly point: EnforcementPoint,
    private readonly decider: ImageDecider,
    private readonly sink: AuditSink,
    private readonly context: Record<string, string>,
    readonly policyFile: string,
  ) {}

  /**
   * The enforcement of `point` when a policy is given (flag or DCT_POLICY), else undefined
   * (the command enforces as it did). A policy file that does not load is refused here, named
   * by line and field, before any image is looked at.
   */
  static async open(
    io: TrustIo,
    point: EnforcementPoint,
    flags: EnforcementFlags,
    context: Record<string, string>,
  ): Promise<PolicyEnforcement | undefined> {
    const policy = flagOrEnv(flags.policy, io.env, POLICY_ENV);
    const audit = flagOrEnv(flags.audit, io.env, AUDIT_ENV);
    if (policy === undefined) {
      if (audit !== undefined)
        io.err(`warning: --audit/${AUDIT_ENV} records the trust policy's decisions: give --policy (or ${POLICY_ENV})\n`);
      return undefined;
    }
    const file = resolve(io.cwd, policy);
    try {
      await loadPolicyFile(file);
    } catch (err) {
      if (!isDctError(err)) throw err;
      throw new CliFailure(err.message, { code: err.code, cause: err });
    }
    const target = audit === undefined || /^https?:\/\//i.test(audit) ? audit : resolve(io.cwd, audit);
    let sink: AuditSink = NO_AUDIT;
    try {
      sink = openAuditSink(target, { env: io.env, onError: (m) => io.err(`warning: ${m}\n`) });
    } catch (err) {
      if (!isDctError(err)) throw err;
      throw new CliFailure(err.message, { code: err.code, cause: err });
    }
    const decider = policyDecider(io, file, flags.trustedRoot !== undefined ? { trustedRoot: flags.trustedRoot } : {});
    return new PolicyEnforcement(io, point, decider, sink, context, file);
  }

  /** Decides one image, records the decision, says the warnings of a let-through deny on stderr. */
  async decide(image: string, context: Record<string, string> = {}): Promise<Enforced> {
    const decision = await this.decider.decide(image);
    const admitted = decision.verdict === 'allow';
    this.sink.record(auditRecordOf(decision, this.point, localActor(this.io.env), { ...this.context, ...context }, admitted));
    for (const w of decision.warnings) this.io.err(`warning: ${w}\n`);
    return { decision, admitted, ...(decision.digest !== undefined ? { digest: decision.digest } : {}) };
  }

  /** Writes the audit records still queued (call before exiting). */
  close(): Promise<void> {
    return this.sink.flush();
  }
}

/** Runs `f`, then closes the enforcement (flushing the audit feed) whatever happened. */
export async function withEnforcement<T>(e: PolicyEnforcement | undefined, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } finally {
    await e?.close();
  }
}
