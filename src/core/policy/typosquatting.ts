/**
 * Typosquatting: the names a policy trusts (rules' exact patterns, publishers' repositories)
 * and the trusted names near an unknown one (`docker.io/library/alpnie` → `docker.io/library/alpine`).
 *
 * Near: at most 2 edits (insertions, deletions, substitutions, transpositions of two adjacent
 * characters) over the whole `registry/repository` name, or the same repository under a
 * namespace at most 2 edits away.
 */
import { describeRequirement } from './describe-requirement.js';
import { isExactPattern } from './image-pattern.js';
import type { Publisher, TrustPolicy } from './trust-policy.js';

export const MAX_EDITS = 2;

export interface TrustedName {
  name: string;
  /** who signs it, in words */
  signedBy: string;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a substring). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** Every name the policy trusts by name, with who signs it. */
export function trustedNames(policy: TrustPolicy): TrustedName[] {
  const out = new Map<string, string>();
  for (const p of policy.publishers) for (const repo of p.repositories) out.set(`${p.namespace}/${repo}`, p.signedBy);
  for (const rule of policy.rules) {
    for (const pattern of rule.match) {
      if (!isExactPattern(pattern) || out.has(pattern)) continue;
      out.set(pattern, `${describeRequirement(rule.require).join(' ').replace(/\s+/g, ' ')} (rule ${rule.name})`);
    }
  }
  return [...out].map(([name, signedBy]) => ({ name, signedBy }));
}

function splitName(name: string): [string, string] {
  const i = name.lastIndexOf('/');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

/** Trusted names near `name` (not `name` itself), nearest first. */
export function nearTrustedNames(policy: TrustPolicy, name: string): TrustedName[] {
  const [ns, repo] = splitName(name);
  const scored: Array<{ t: TrustedName; d: number }> = [];
  for (const t of trustedNames(policy)) {
    if (t.name === name) continue;
    let d = editDistance(name, t.name);
    const [tns, trepo] = splitName(t.name);
    if (d > MAX_EDITS && trepo === repo) d = editDistance(ns, tns);
    if (d <= MAX_EDITS) scored.push({ t, d });
  }
  return scored.sort((a, b) => a.d - b.d || a.t.name.localeCompare(b.t.name)).map((s) => s.t);
}

/** The publisher whose namespace holds `name` (the longest namespace), when one does. */
export function publisherOf(policy: TrustPolicy, name: string): Publisher | undefined {
  let best: Publisher | undefined;
  for (const p of policy.publishers) {
    if (name.startsWith(`${p.namespace}/`) && (!best || p.namespace.length > best.namespace.length)) best = p;
  }
  return best;
}

/** The publisher whose namespace holds `name` when `name` is none of its repositories (refused as unknown). */
export function unknownToPublisher(policy: TrustPolicy, name: string): Publisher | undefined {
  const p = publisherOf(policy, name);
  if (!p || p.repositories.length === 0) return undefined;
  return p.repositories.includes(name.slice(p.namespace.length + 1)) ? undefined : p;
}

/** `docker.io/library/alpine, signed by Docker Official Images` */
export function suggestionText(t: TrustedName): string {
  return `${t.name}, signed by ${t.signedBy}`;
}
