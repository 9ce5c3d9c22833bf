/**
 * `dct policy check FILE [--format text|json]`: validates a trust policy file and explains it
 * (the rules in the order they are tried, what each requires, in words). Exit 0 valid, 1 not:
 * every problem named by line and field (`policy.yaml:12: rules[1].require.cosign.key: …`).
 *
 * `dct policy explain IMAGE --policy FILE [--format text|json]`: the decision about one image:
 * the rule that matched, every signature found (format, verdict, signer, where), the
 * requirements and which signature satisfied each, the verdict and why. Exit 0 allow, 1 deny.
 *
 * `dct policy generate GUN|IMAGE… [--bundle FILE] [--cosign-key …] [--notation-trust-store …]
 * [--notation-identity …] [--keep-dct] [--output FILE] [--notation-trust-policy FILE]`: the
 * policy (and notation trust policy) that carries a repository's DCT signers over to the new
 * formats (src/app/policy/generate-policy.ts; the command in src/cli/policy-generate.ts).
 */
import type { Command } from 'commander';
import { loadPolicyFile } from '../../adapters/policy/policy-file.js';
import { DctError, isDctError } from '../../core/errors.js';
import { describeRequirement } from '../../core/policy/describe-requirement.js';
import { rulesInOrder } from '../../core/policy/rule-matching.js';
import type { TrustPolicy } from '../../core/policy/trust-policy.js';
import { CliFailure } from '../cli-failure.js';
import { decisionText } from '../decision-text.js';
import { processIo, type TrustIo } from '../docker-trust/io.js';
import { TRUST_BUNDLE_ENV, withTrustBundle } from '../docker-trust/trust-data.js';
import { policyDecider, type PolicyWiringOptions } from '../policy-decider.js';
import type { PolicySource } from '../../core/policy/policy-source.js';
import { registerPolicyGenerate } from '../policy-generate.js';

export type PolicyOutputFormat = 'text' | 'json';

export function parsePolicyFormat(v: string): PolicyOutputFormat {
  if (v === 'text' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text" or "json", not ${JSON.stringify(v)}`);
}

/** The policy in words: default, publishers, rules in the order they are tried. */
export function explainPolicy(policy: TrustPolicy, file: string): string {
  const lines = [`${file}: valid trust policy (version ${policy.version})`, ''];
  lines.push(`An image no rule matches is denied (default deny, mode ${policy.defaultMode}).`);
  if (policy.publishers.length > 0) {
    lines.push('', 'Publishers (an image of these namespaces that is not one of their repositories is refused):');
    for (const p of policy.publishers) lines.push(`  ${p.namespace}: ${p.repositories.join(', ') || '(any)'} — ${p.signedBy}`);
  }
  lines.push('', 'Rules, in the order they are tried (the first whose pattern matches the image applies):');
  rulesInOrder(policy).forEach((r, i) => {
    lines.push(`  ${i + 1}. ${r.name} (mode ${r.mode}): ${r.match.join(', ')}`);
    const [head, ...rest] = describeRequirement(r.require);
    lines.push(`       requires ${head ?? ''}`, ...rest.map((l) => `       ${l}`));
  });
  return lines.join('\n') + '\n';
}

function policyJson(policy: TrustPolicy, file: string): unknown {
  return {
    file,
    valid: true,
    defaultMode: policy.defaultMode,
    publishers: policy.publishers,
    rules: rulesInOrder(policy).map((r) => ({
      name: r.name,
      match: r.match,
      mode: r.mode,
      requires: describeRequirement(r.require),
    })),
  };
}

export async function runPolicyCheck(file: string, format: PolicyOutputFormat, io: TrustIo): Promise<number> {
  try {
    const { policy } = await loadPolicyFile(file);
    io.out(format === 'json' ? JSON.stringify(policyJson(policy, file), null, 2) + '\n' : explainPolicy(policy, file));
    return 0;
  } catch (err) {
    if (!isDctError(err)) throw err;
    if (format === 'json') io.out(JSON.stringify({ file, valid: false, code: err.code, errors: err.message.split('\n') }, null, 2) + '\n');
    else io.err(`${err.message.split('\n').join(` [${err.code}]\n`)} [${err.code}]\n`);
    return 1;
  }
}

export { decisionText } from '../decision-text.js';

export interface ExplainOptions extends PolicyWiringOptions {
  /** the policy file, or a source (tests) */
  policy: string | PolicySource;
  format: PolicyOutputFormat;
}

export async function runPolicyExplain(image: string, opts: ExplainOptions, io: TrustIo): Promise<number> {
  // a policy file that does not load is the user's error to fix first, named by line and field
  if (typeof opts.policy === 'string') {
    try {
      await loadPolicyFile(opts.policy);
    } catch (err) {
      if (!isDctError(err)) throw err;
      io.err(`${err.message} [${err.code}]\n`);
      return 1;
    }
  }
  const decider = policyDecider(io, opts.policy, opts.trustedRoot !== undefined ? { trustedRoot: opts.trustedRoot } : {});
  const decision = await decider.decide(image);
  io.out(opts.format === 'json' ? JSON.stringify(decision, null, 2) + '\n' : decisionText(decision));
  if (opts.format === 'text') for (const w of decision.warnings) io.err(`warning: ${w}\n`);
  return decision.verdict === 'allow' ? 0 : 1;
}

export function registerPolicyCommand(program: Command): void {
  const policy = program.command('policy').description('the trust policy: one policy for every signature format (DCT, cosign, Notation)');
  policy
    .command('check')
    .description('validate a policy file and explain it: the rules in the order they are tried, what each requires (exit 1 when invalid)')
    .argument('<file>', 'the policy file (YAML or JSON)')
    .option('--format <format>', 'text or json', 'text')
    .action(async (file: string, opts: { format: string }) => {
      const code = await runPolicyCheck(file, parsePolicyFormat(opts.format), processIo());
      if (code !== 0) throw CliFailure.reported(code);
    });
  policy
    .command('explain')
    .description(
      'decide about one image: the rule that matched, every signature found, which requirement each met, the verdict and why (exit 1 on deny)',
    )
    .argument('<image>', 'IMAGE[:TAG] or IMAGE@sha256:…')
    .requiredOption('--policy <file>', 'the policy file')
    .option('--format <format>', 'text or json', 'text')
    .option('--trusted-root <file>', 'cosign: Sigstore trusted_root.json (default: the production root dct ships)')
    .option(
      '--trust-bundle <file>',
      `DCT: read trust data from this trust bundle (dct trust export), not a trust server (default: $${TRUST_BUNDLE_ENV})`,
    )
    .action(async (image: string, opts: { policy: string; format: string; trustedRoot?: string; trustBundle?: string }) => {
      const code = await runPolicyExplain(
        image,
        {
          policy: opts.policy,
          format: parsePolicyFormat(opts.format),
          ...(opts.trustedRoot !== undefined ? { trustedRoot: opts.trustedRoot } : {}),
        },
        withTrustBundle(processIo(), opts.trustBundle),
      );
      if (code !== 0) throw CliFailure.reported(code);
    });
  registerPolicyGenerate(policy);
}
