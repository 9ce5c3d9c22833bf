/**
 * A requirement in words, as `dct policy check` and `dct policy explain` print it and as
 * `RequirementOutcome.requirement` carries it: `dct: signer releases (tag fresh through TUF)`,
 * `cosign: key release.pub (sha256:…)`, `2 of 3`.
 */
import type { StringMatcher } from '../signatures/sigstore-verification.js';
import type { Requirement } from './trust-policy.js';

function matcherText(m: StringMatcher): string {
  return 'exact' in m ? m.exact : `/${m.regexp}/`;
}

/** One line for the requirement itself (a combinator: its count only). */
export function requirementTitle(r: Requirement): string {
  switch (r.kind) {
    case 'dct': {
      const parts: string[] = [];
      if (r.signers?.length) parts.push(`signer ${r.signers.join(' or ')}`);
      if (r.roles?.length) parts.push(`role ${r.roles.join(' or ')}`);
      if (r.keys?.length) parts.push(`key ${r.keys.join(' or ')}`);
      if (parts.length === 0) parts.push('any signer');
      return `dct: ${parts.join(', ')}${r.fresh ? ' (tag fresh through TUF)' : ''}`;
    }
    case 'cosign': {
      const parts: string[] = [];
      if (r.key) parts.push(`key ${r.key.source === 'inline' ? r.key.keyId : `${r.key.source} (${r.key.keyId})`}`);
      if (r.identity) parts.push(`identity ${matcherText(r.identity)}`);
      if (r.issuer) parts.push(`issuer ${matcherText(r.issuer)}`);
      return `cosign: ${parts.join(', ')}${r.tlog ? '' : ' (no transparency log needed)'}`;
    }
    case 'notation': {
      const parts: string[] = [];
      if (r.trustStore) parts.push(`trust store ${r.trustStore}`);
      if (r.identity) parts.push(`identity ${r.identity}`);
      if (parts.length === 0) parts.push("notation's trust policy");
      return `notation: ${parts.join(', ')}`;
    }
    case 'anyOf':
      return `any of ${r.of.length}`;
    case 'allOf':
      return `all of ${r.of.length}`;
    case 'atLeast':
      return `${r.count} of ${r.of.length}`;
  }
}

/** The requirement as indented lines (combinators with their parts below). */
export function describeRequirement(r: Requirement, indent = ''): string[] {
  const head = `${indent}${requirementTitle(r)}`;
  if (r.kind === 'dct' || r.kind === 'cosign' || r.kind === 'notation') return [head];
  return [`${head}:`, ...r.of.flatMap((c) => describeRequirement(c, `${indent}  `))];
}
