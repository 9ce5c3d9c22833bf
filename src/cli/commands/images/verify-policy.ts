/**
 * `dct verify IMAGE… --policy FILE` (or `DCT_POLICY`): every image decided by the trust policy
 * instead of "any verified signature". The output is `dct policy explain`'s, per image:
 * - `text`: each decision in words (image, digest, rule, mode, verdict, why, every signature,
 *   the requirement tree), a blank line between images;
 * - `table`: one row per image: IMAGE, DIGEST, RULE, MODE, VERDICT, SIGNATURES (format:verdict);
 * - `json`: the `ImageDecision`s, in argument order.
 * A denied image is said on stderr (`… denied by the trust policy (rule …): why [POLICY_DENIED]`);
 * a deny let through by a `warn` rule is a warning on stderr. Exit 0 only when every image is
 * allowed. Every decision goes to the audit feed (`--audit`).
 */
import type { ImageDecision } from '../../../core/policy/decision.js';
import type { TrustIo } from '../../docker-trust/io.js';
import { decisionLine, POLICY_DENIED, PolicyEnforcement, withEnforcement, type EnforcementFlags } from '../../policy-enforcement.js';
import { tabwrite } from '../../table.js';
import { decisionText } from '../../decision-text.js';
import type { VerifyFormat } from './verify-format.js';

function signatureSummary(d: ImageDecision): string {
  if (d.reports.length === 0) return '-';
  return d.reports.map((r) => `${r.format}:${r.verdict}`).join(' ');
}

export async function runVerifyPolicy(
  images: readonly string[],
  format: VerifyFormat,
  enforcement: PolicyEnforcement,
  io: TrustIo,
): Promise<number> {
  const decided = await Promise.all(images.map((image) => enforcement.decide(image)));
  const decisions = decided.map((e) => e.decision);
  if (format === 'json') io.out(JSON.stringify(decisions, null, 2) + '\n');
  else if (format === 'table') {
    const rows = [['IMAGE', 'DIGEST', 'RULE', 'MODE', 'VERDICT', 'SIGNATURES']];
    for (const d of decisions) rows.push([d.image, d.digest ?? '-', d.rule ?? '(default deny)', d.mode, d.verdict, signatureSummary(d)]);
    io.out(tabwrite(rows, { padding: 3 }));
  } else io.out(decisions.map(decisionText).join('\n'));
  if (format !== 'json') {
    for (const d of decisions) {
      if (d.verdict !== 'deny') continue;
      io.err(`${decisionLine(d)} [${POLICY_DENIED}]\n`);
      if (io.hints) io.err(`hint: \`dct policy explain ${d.image} --policy ${enforcement.policyFile}\` shows the whole decision\n`);
    }
  }
  return decided.every((e) => e.admitted) ? 0 : 1;
}

/** `dct verify` under the policy (flag or DCT_POLICY): the exit code, or undefined when no policy is given. */
export async function verifyByPolicy(
  images: readonly string[],
  format: VerifyFormat,
  flags: EnforcementFlags,
  io: TrustIo,
): Promise<number | undefined> {
  const enforcement = await PolicyEnforcement.open(io, 'verify', flags, { command: 'dct verify' });
  if (!enforcement) return undefined;
  return withEnforcement(enforcement, () => runVerifyPolicy(images, format, enforcement, io));
}
