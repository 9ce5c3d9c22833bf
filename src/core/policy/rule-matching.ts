/**
 * Which rule of the policy applies to an image: the most specific of those whose patterns
 * match its name (see `image-pattern.ts` for the order), or none (default deny).
 */
import { compareSpecificity, matchesPattern, specificityOf, type Specificity } from './image-pattern.js';
import type { PolicyRule, TrustPolicy } from './trust-policy.js';

export interface RuleMatch {
  rule: PolicyRule;
  /** the rule's pattern that matched (its most specific one) */
  pattern: string;
  specificity: Specificity;
}

/** Every rule that matches `name`, most specific first (the first is the one that applies). */
export function matchingRules(policy: TrustPolicy, name: string): RuleMatch[] {
  const found: RuleMatch[] = [];
  for (const rule of policy.rules) {
    let best: RuleMatch | undefined;
    for (const pattern of rule.match) {
      if (!matchesPattern(pattern, name)) continue;
      const specificity = specificityOf(pattern);
      if (!best || compareSpecificity(specificity, best.specificity) < 0) best = { rule, pattern, specificity };
    }
    if (best) found.push(best);
  }
  return found.sort((a, b) => compareSpecificity(a.specificity, b.specificity) || a.rule.index - b.rule.index);
}

export function matchRule(policy: TrustPolicy, name: string): RuleMatch | undefined {
  return matchingRules(policy, name)[0];
}

/**
 * The rules in the order they are tried (`dct policy check`): each rule by its most specific
 * pattern, most specific first, file order on ties.
 */
export function rulesInOrder(policy: TrustPolicy): PolicyRule[] {
  const best = (r: PolicyRule): Specificity =>
    r.match.map(specificityOf).sort(compareSpecificity)[0] ?? { exact: false, prefix: 0, wildcards: Number.MAX_SAFE_INTEGER };
  return [...policy.rules].sort((a, b) => compareSpecificity(best(a), best(b)) || a.index - b.index);
}
