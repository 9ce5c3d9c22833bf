/**
 * A trust policy decision in words, as `dct policy explain` prints it and the enforcement
 * points (`dct verify --policy`) print it: the image and digest, the rule and its mode, the
 * verdict and why, every signature found, the requirement tree with the signatures that met
 * each part, the warnings.
 */
import type { ImageDecision, RequirementOutcome } from '../core/policy/decision.js';
import { signerWords } from '../core/policy/requirement-evaluation.js';

function outcomeLines(o: RequirementOutcome, indent: string): string[] {
  const by = o.satisfiedBy.length > 0 ? ` — satisfied by signature ${o.satisfiedBy.map((i) => `#${i + 1}`).join(', ')}` : '';
  return [
    `${indent}${o.satisfied ? '[met]    ' : '[not met]'} ${o.requirement}${by}`,
    ...(o.children ?? []).flatMap((c) => outcomeLines(c, `${indent}  `)),
  ];
}

/** The decision in words. */
export function decisionText(d: ImageDecision): string {
  const lines = [`image:    ${d.image}`];
  if (d.digest) lines.push(`digest:   ${d.digest}`);
  lines.push(`rule:     ${d.rule ?? '(none: default deny)'}`, `mode:     ${d.mode}`, `verdict:  ${d.verdict}`);
  lines.push('', 'why:', ...d.reasons.map((r) => `  ${r}`));
  if (d.suggestions?.length) lines.push('', 'did you mean:', ...d.suggestions.map((s) => `  ${s}`));
  lines.push('', `signatures found: ${d.reports.length}`);
  d.reports.forEach((r, i) => {
    const verdict = r.verdict === 'failed' && r.code ? `failed [${r.code}]` : r.verdict;
    const trustStore = r.details?.['trustStore'];
    const store = typeof trustStore === 'string' ? ` via trust store ${trustStore}` : '';
    lines.push(`  #${i + 1} ${r.format} ${verdict}: ${r.subject}, signed by ${signerWords(r)}${store}`);
    lines.push(`     found at ${r.foundAt.via} ${r.foundAt.reference}`);
    if (r.verdict !== 'verified' && r.reason) lines.push(`     ${r.reason}`);
  });
  if (d.requirements) lines.push('', 'requirements:', ...outcomeLines(d.requirements, '  '));
  if (d.warnings.length > 0) lines.push('', 'warnings:', ...d.warnings.map((w) => `  ${w}`));
  return lines.join('\n') + '\n';
}
