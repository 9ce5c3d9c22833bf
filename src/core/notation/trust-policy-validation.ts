/**
 * The rules an OCI trust policy document must follow (notation's `OCIDocument.Validate`), each
 * failing with notation's own message (NOTATION_POLICY_INVALID): version 1.0, at least one
 * statement, unique names, a known verification level with legal overrides, trust stores as
 * `<type>:<name>`, trusted identities (`*` alone, or `x509.subject:` DNs that parse and do not
 * overlap), and registry scopes (`*` alone, or `host/repository`, each in one statement only).
 */
import { DctError } from '../errors.js';
import { isSubsetDN, parseDistinguishedName, type ParsedDN } from './distinguished-name.js';
import type { SignatureVerification, TrustPolicyDocument, TrustPolicyStatement } from './trust-policy-document.js';
import { NOTATION_CHECKS, type CheckAction, type NotationCheck, type VerificationLevelName } from './verification-types.js';

export const TRUST_STORE_TYPES = ['ca', 'signingAuthority', 'tsa'] as const;
export type TrustStoreType = (typeof TRUST_STORE_TYPES)[number];

const SUPPORTED_VERSIONS = ['1.0'];
const LEVELS: readonly VerificationLevelName[] = ['strict', 'permissive', 'audit', 'skip'];
const ACTIONS: readonly CheckAction[] = ['enforce', 'log', 'skip'];

/** notation's file and store names: `[a-zA-Z0-9_.-]+` */
export function isValidFileName(name: string): boolean {
  return /^[a-zA-Z0-9_.-]+$/.test(name);
}

export function isTrustStoreType(type: string): type is TrustStoreType {
  return (TRUST_STORE_TYPES as readonly string[]).includes(type);
}

function invalid(message: string): never {
  throw new DctError('NOTATION_POLICY_INVALID', message);
}

/** Throws NOTATION_POLICY_INVALID, with notation's message, for the first rule the document breaks. */
export function validateTrustPolicy(doc: TrustPolicyDocument): void {
  if (doc.version === '') invalid('oci trust policy document has empty version, version must be specified');
  if (!SUPPORTED_VERSIONS.includes(doc.version)) invalid(`oci trust policy document uses unsupported version ${q(doc.version)}`);
  if (doc.trustPolicies.length === 0) invalid('oci trust policy document can not have zero trust policy statements');
  const names = new Set<string>();
  for (const statement of doc.trustPolicies) {
    if (names.has(statement.name)) {
      invalid(`multiple oci trust policy statements use the same name ${q(statement.name)}, statement names must be unique`);
    }
    const problem = policyCoreProblem(statement);
    if (problem) invalid(`oci trust policy: ${problem}`);
    names.add(statement.name);
  }
  validateRegistryScopes(doc.trustPolicies);
}

/** The level a statement's `signatureVerification` names and its overrides (notation's GetVerificationLevel). */
export function levelOf(sv: SignatureVerification): {
  base: VerificationLevelName;
  overrides: Partial<Record<NotationCheck, CheckAction>>;
} {
  const problem = levelProblem(sv);
  if (typeof problem === 'string') invalid(problem);
  return problem;
}

function levelProblem(
  sv: SignatureVerification,
): string | { base: VerificationLevelName; overrides: Partial<Record<NotationCheck, CheckAction>> } {
  if (sv.level === '') return 'signature verification level is empty or missing in the trust policy statement';
  const base = LEVELS.find((l) => l === sv.level);
  if (!base) return `invalid signature verification level ${q(sv.level)}`;
  const entries = Object.entries(sv.override ?? {});
  if (entries.length === 0) return { base, overrides: {} };
  if (base === 'skip') return `signature verification level ${q(base)} can't be used to customize signature verification`;
  const overrides: Partial<Record<NotationCheck, CheckAction>> = {};
  for (const [key, value] of entries) {
    const check = NOTATION_CHECKS.find((c) => c === key);
    if (!check)
      return `verification type ${q(key)} in custom signature verification is not supported, supported values are ${goList(NOTATION_CHECKS)}`;
    const action = ACTIONS.find((a) => a === value);
    if (!action)
      return `verification action ${q(value)} in custom signature verification is not supported, supported values are ${goList(ACTIONS)}`;
    if (check === 'integrity') return `${q(key)} verification can not be overridden in custom signature verification`;
    if (check !== 'revocation' && action === 'skip') return `${q(key)} verification can not be skipped in custom signature verification`;
    overrides[check] = action;
  }
  return { base, overrides };
}

function policyCoreProblem(statement: TrustPolicyStatement): string | undefined {
  const { name, signatureVerification: sv, trustStores, trustedIdentities } = statement;
  if (name === '') return 'a trust policy statement is missing a name, every statement requires a name';
  const level = levelProblem(sv);
  if (typeof level === 'string') return `trust policy statement ${q(name)} has invalid signatureVerification: ${level}`;
  if (sv.verifyTimestamp !== undefined && sv.verifyTimestamp !== 'always' && sv.verifyTimestamp !== 'afterCertExpiry') {
    return `trust policy statement ${q(name)} has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got ${q(sv.verifyTimestamp)}`;
  }
  if (level.base === 'skip') {
    if (trustStores.length > 0 || trustedIdentities.length > 0) {
      return `trust policy statement ${q(name)} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`;
    }
    return undefined;
  }
  if (trustStores.length === 0 || trustedIdentities.length === 0) {
    return `trust policy statement ${q(name)} is either missing trust stores or trusted identities, both must be specified`;
  }
  for (const store of trustStores) {
    const i = store.indexOf(':');
    if (i < 0)
      return `trust policy statement ${q(name)} has malformed trust store value ${q(store)}. The required format is <TrustStoreType>:<TrustStoreName>`;
    const type = store.slice(0, i);
    const storeName = store.slice(i + 1);
    if (!isTrustStoreType(type))
      return `trust policy statement ${q(name)} uses an unsupported trust store type ${q(type)} in trust store value ${q(store)}`;
    if (!isValidFileName(storeName)) {
      return `trust policy statement ${q(name)} uses an unsupported trust store name ${q(storeName)} in trust store value ${q(store)}. Named store name needs to follow [a-zA-Z0-9_.-]+ format`;
    }
  }
  return trustedIdentitiesProblem(name, trustedIdentities);
}

function trustedIdentitiesProblem(name: string, identities: readonly string[]): string | undefined {
  if (identities.length > 1 && identities.includes('*')) {
    return `trust policy statement ${q(name)} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`;
  }
  const parsed: Array<{ raw: string; dn: ParsedDN }> = [];
  for (const identity of identities) {
    if (identity === '') return `trust policy statement ${q(name)} has an empty trusted identity`;
    if (identity === '*') continue;
    const i = identity.indexOf(':');
    if (i < 0) return `trust policy statement ${q(name)} has trusted identity ${q(identity)} missing separator`;
    if (identity.slice(0, i) !== 'x509.subject') continue;
    const value = identity.slice(i + 1);
    if (value === '') return `trust policy statement ${q(name)} has trusted identity ${q(identity)} without an identity value`;
    try {
      parsed.push({ raw: identity, dn: parseDistinguishedName(value) });
    } catch (err) {
      return `trust policy statement ${q(name)} has trusted identity ${q(identity)} with invalid identity value: ${(err as Error).message}`;
    }
  }
  for (let i = 0; i < parsed.length; i++) {
    for (let j = 0; j < parsed.length; j++) {
      const a = parsed[i] as { raw: string; dn: ParsedDN };
      const b = parsed[j] as { raw: string; dn: ParsedDN };
      if (i !== j && isSubsetDN(a.dn, b.dn)) {
        return `trust policy statement ${q(name)} has overlapping x509 trustedIdentities, ${q(a.raw)} overlaps with ${q(b.raw)}`;
      }
    }
  }
  return undefined;
}

function validateRegistryScopes(statements: readonly TrustPolicyStatement[]): void {
  const counts = new Map<string, number>();
  for (const statement of statements) {
    const scopes = statement.registryScopes;
    if (scopes.length === 0) {
      invalid(
        `oci trust policy statement ${q(statement.name)} has zero registry scopes, it must specify registry scopes with at least one value`,
      );
    }
    if (scopes.length > 1 && scopes.includes('*')) {
      invalid(
        `oci trust policy statement ${q(statement.name)} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`,
      );
    }
    for (const scope of scopes) {
      if (scope !== '*') {
        const problem = validateRegistryScopeFormat(scope);
        if (problem) invalid(problem);
      }
      counts.set(scope, (counts.get(scope) ?? 0) + 1);
    }
  }
  for (const [scope, n] of counts) {
    if (n > 1) {
      invalid(
        `registry scope ${q(scope)} is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement`,
      );
    }
  }
}

const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$/;
const ENSURE =
  'make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout';

/** Why `scope` is not a registry scope (`host[:port]/repository`), in notation's words; undefined when it is one. */
export function validateRegistryScopeFormat(scope: string): string | undefined {
  if (scope.length > 1 && scope.includes('*')) return `registry scope ${q(scope)} with wild card(s) is not valid, ${ENSURE}`;
  const slash = scope.indexOf('/');
  if (slash < 0) return `registry scope ${q(scope)} is not valid, ${ENSURE}`;
  const domain = scope.slice(0, slash);
  const repository = scope.slice(slash + 1);
  if (domain === '' || repository === '' || !DOMAIN.test(domain) || !REPOSITORY.test(repository)) {
    return `registry scope ${q(scope)} is not valid, ${ENSURE}`;
  }
  return undefined;
}

/** Go's `%q` of a string slice: `["a" "b"]`. */
function goList(values: readonly string[]): string {
  return `[${values.map((v) => q(v)).join(' ')}]`;
}

function q(s: string): string {
  return JSON.stringify(s);
}
