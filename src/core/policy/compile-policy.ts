/**
 * The policy document (parsed YAML/JSON, already checked against `schema/policy.schema.json`
 * by the loader) compiled into a `TrustPolicy`, with the checks a schema cannot make: patterns
 * that name a registry, rule names and patterns written once, `atLeast` counts within their
 * list, regular expressions that compile, distinguished names notation accepts, cosign keys
 * that are public keys. Every problem is an issue with the path of its field; the loader turns
 * paths into line numbers.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { parseDistinguishedName } from '../notation/distinguished-name.js';
import type { StringMatcher } from '../signatures/sigstore-verification.js';
import type { PolicyMode } from './decision.js';
import type { CosignRequirement, PolicyPath, PolicyRule, Publisher, Requirement, TrustPolicy } from './trust-policy.js';

export interface PolicyIssue {
  path: PolicyPath;
  message: string;
}

export interface CompileOptions {
  /** a cosign `key:` that is not PEM text: the file it names (relative to the policy file), read */
  readKeyFile?: (written: string) => string;
}

/** Thrown by `compilePolicy` with every issue found. */
export class PolicyIssues extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(issues.map((i) => i.message).join('; '));
  }
}

type Obj = Record<string, unknown>;
/** A string field (the schema has checked types; anything else reads as the fallback). */
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MODES: readonly PolicyMode[] = ['enforce', 'warn', 'audit'];
const STORE_TYPES = ['ca', 'signingAuthority', 'tsa'];
const LEAF_KEYS = ['dct', 'cosign', 'notation', 'anyOf', 'allOf', 'atLeast'];

/** `sha256:<hex>` of a public key's SubjectPublicKeyInfo DER, as cosign and Notation reports name keys. */
export function publicKeyIdOf(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export function compilePolicy(doc: unknown, opts: CompileOptions = {}): TrustPolicy {
  const issues: PolicyIssue[] = [];
  const issue = (path: PolicyPath, message: string): void => void issues.push({ path, message });
  if (!isObj(doc)) throw new PolicyIssues([{ path: [], message: 'the policy must be a mapping (version, defaults, publishers, rules)' }]);
  if (doc['version'] !== 1) issue(['version'], `must be 1, not ${JSON.stringify(doc['version'])}`);
  const defaults = isObj(doc['defaults']) ? doc['defaults'] : {};
  const defaultMode = (defaults['mode'] ?? 'enforce') as PolicyMode;
  if (!MODES.includes(defaultMode)) issue(['defaults', 'mode'], `must be enforce, warn or audit`);

  const publishers: Publisher[] = [];
  const rawPublishers = Array.isArray(doc['publishers']) ? doc['publishers'] : [];
  rawPublishers.forEach((p, i) => {
    if (!isObj(p)) return issue(['publishers', i], 'must be a mapping');
    const namespace = str(p['namespace'], '');
    if (!namespace.includes('/') && !namespace.includes('.'))
      issue(['publishers', i, 'namespace'], `must name a registry: docker.io/library, not ${JSON.stringify(namespace)}`);
    if (/[*?]/.test(namespace)) issue(['publishers', i, 'namespace'], 'is a namespace, not a pattern: no wildcards');
    const repositories = Array.isArray(p['repositories']) ? p['repositories'].map(String) : [];
    repositories.forEach((r, j) => {
      if (r.includes('/') || /[*?]/.test(r))
        issue(['publishers', i, 'repositories', j], `must be a repository name within ${namespace} (no "/" or wildcards)`);
    });
    publishers.push({ namespace: namespace.replace(/\/+$/, ''), signedBy: str(p['signedBy'], namespace), repositories });
  });

  const rules: PolicyRule[] = [];
  const names = new Map<string, number>();
  const patterns = new Map<string, number>();
  const rawRules = Array.isArray(doc['rules']) ? doc['rules'] : [];
  rawRules.forEach((r, i) => {
    if (!isObj(r)) return issue(['rules', i], 'must be a mapping (name, match, mode, require)');
    const name = str(r['name'], `rule ${i + 1}`);
    if (names.has(name)) issue(['rules', i, 'name'], `${JSON.stringify(name)} is already the name of rules[${names.get(name)}]`);
    names.set(name, i);
    const match = typeof r['match'] === 'string' ? [r['match']] : Array.isArray(r['match']) ? r['match'].map(String) : [];
    const matchPath = (j: number): PolicyPath => (typeof r['match'] === 'string' ? ['rules', i, 'match'] : ['rules', i, 'match', j]);
    if (match.length === 0) issue(['rules', i, 'match'], 'must name at least one registry/repository pattern');
    match.forEach((m, j) => {
      if (m !== '**' && !m.includes('/'))
        issue(
          matchPath(j),
          `must be registry/repository (docker.io/library/alpine, registry.example.com/team/*) or **, not ${JSON.stringify(m)}`,
        );
      if (/[A-Z]/.test(m)) issue(matchPath(j), 'image names are lowercase');
      const seen = patterns.get(m);
      if (seen !== undefined && seen !== i)
        issue(matchPath(j), `${JSON.stringify(m)} is already matched by rules[${seen}]: the later rule would never apply`);
      patterns.set(m, i);
    });
    const mode = (r['mode'] ?? 'enforce') as PolicyMode;
    if (!MODES.includes(mode)) issue(['rules', i, 'mode'], 'must be enforce, warn or audit');
    const require = compileRequirement(r['require'], ['rules', i, 'require'], issue, opts);
    rules.push({ name, match, mode, require, index: i });
  });
  if (issues.length > 0) throw new PolicyIssues(issues);
  return { version: 1, defaultMode, publishers, rules };
}

function matcherOf(o: Obj, exactKey: string, path: PolicyPath, issue: (p: PolicyPath, m: string) => void): StringMatcher | undefined {
  const exact = o[exactKey];
  const regexp = o[`${exactKey}Regexp`];
  if (exact !== undefined && regexp !== undefined) issue([...path, `${exactKey}Regexp`], `give ${exactKey} or ${exactKey}Regexp, not both`);
  if (typeof exact === 'string') return { exact };
  if (typeof regexp === 'string') {
    try {
      new RegExp(regexp);
    } catch (err) {
      issue([...path, `${exactKey}Regexp`], `not a regular expression: ${(err as Error).message}`);
    }
    return { regexp };
  }
  return undefined;
}

function compileRequirement(raw: unknown, path: PolicyPath, issue: (p: PolicyPath, m: string) => void, opts: CompileOptions): Requirement {
  const none: Requirement = { kind: 'allOf', count: 0, of: [], path };
  if (!isObj(raw)) {
    issue(path, `must be one of ${LEAF_KEYS.join(', ')}`);
    return none;
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1 || !LEAF_KEYS.includes(keys[0] as string)) {
    issue(path, `must have exactly one of ${LEAF_KEYS.join(', ')}${keys.length > 0 ? `, not ${keys.join(', ')}` : ''}`);
    return none;
  }
  const kind = keys[0] as string;
  const body = raw[kind];
  const at: PolicyPath = [...path, kind];
  if (kind === 'anyOf' || kind === 'allOf') {
    const list = Array.isArray(body) ? body : [];
    if (list.length === 0) issue(at, 'must list at least one requirement');
    const of = list.map((c, i) => compileRequirement(c, [...at, i], issue, opts));
    return { kind, count: kind === 'anyOf' ? 1 : of.length, of, path };
  }
  if (!isObj(body)) {
    issue(at, 'must be a mapping');
    return none;
  }
  if (kind === 'atLeast') {
    const list = Array.isArray(body['of']) ? body['of'] : [];
    const of = list.map((c, i) => compileRequirement(c, [...at, 'of', i], issue, opts));
    const count = body['count'];
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) issue([...at, 'count'], 'must be a whole number, at least 1');
    else if (count > of.length) issue([...at, 'count'], `is ${count}, but only ${of.length} requirement(s) are listed in of`);
    return { kind: 'atLeast', count: typeof count === 'number' ? count : 1, of, path };
  }
  if (kind === 'dct') {
    const list = (k: string): string[] | undefined => (Array.isArray(body[k]) ? (body[k] as unknown[]).map(String) : undefined);
    const signers = list('signers');
    const roles = list('roles');
    const keys = list('keys');
    roles?.forEach((r, i) => {
      if (r !== 'targets' && !r.startsWith('targets/'))
        issue([...at, 'roles', i], `must be targets or targets/<name>, not ${JSON.stringify(r)}`);
    });
    keys?.forEach((k, i) => {
      if (!/^[0-9a-f]{64}$/.test(k)) issue([...at, 'keys', i], `must be a TUF key ID (64 hex digits), not ${JSON.stringify(k)}`);
    });
    return {
      kind: 'dct',
      ...(signers ? { signers } : {}),
      ...(roles ? { roles } : {}),
      ...(keys ? { keys } : {}),
      fresh: body['fresh'] === true,
      path: at,
    };
  }
  if (kind === 'cosign') {
    const out: CosignRequirement = { kind: 'cosign', tlog: body['tlog'] !== false, path: at };
    const key = body['key'];
    if (typeof key === 'string') {
      const inline = key.includes('-----BEGIN');
      try {
        const pem = inline
          ? key
          : (
              opts.readKeyFile ??
              ((): never => {
                throw new Error('key files are not read here');
              })
            )(key);
        out.key = { pem, keyId: publicKeyIdOf(pem), source: inline ? 'inline' : key };
      } catch (err) {
        issue(
          [...at, 'key'],
          inline ? `not a PEM public key: ${(err as Error).message}` : `cannot use the key file ${key}: ${(err as Error).message}`,
        );
      }
    }
    const identity = matcherOf(body, 'identity', at, issue);
    const issuer = matcherOf(body, 'issuer', at, issue);
    if (identity) out.identity = identity;
    if (issuer) out.issuer = issuer;
    if (key === undefined && !identity) issue(at, 'must name a key, or a keyless identity (identity or identityRegexp) with its issuer');
    if (key !== undefined && (identity || issuer)) issue(at, 'a key or a keyless identity, not both: write two requirements under anyOf');
    if (identity && !issuer) issue(at, 'a keyless identity needs its OIDC issuer (issuer or issuerRegexp), as cosign does');
    return out;
  }
  // notation
  const trustStore = body['trustStore'];
  const identity = body['identity'];
  if (typeof trustStore === 'string') {
    const i = trustStore.indexOf(':');
    if (i < 1 || !STORE_TYPES.includes(trustStore.slice(0, i)) || i === trustStore.length - 1)
      issue(
        [...at, 'trustStore'],
        `must be <type>:<name> with type ca, signingAuthority or tsa (ca:release), not ${JSON.stringify(trustStore)}`,
      );
  }
  if (typeof identity === 'string') {
    if (!identity.startsWith('x509.subject:')) issue([...at, 'identity'], `must be x509.subject:<DN>, not ${JSON.stringify(identity)}`);
    else {
      try {
        parseDistinguishedName(identity.slice('x509.subject:'.length).trim());
      } catch (err) {
        issue([...at, 'identity'], (err as Error).message);
      }
    }
  }
  return {
    kind: 'notation',
    ...(typeof trustStore === 'string' ? { trustStore } : {}),
    ...(typeof identity === 'string' ? { identity: `x509.subject:${identity.slice('x509.subject:'.length).trim()}` } : {}),
    path: at,
  };
}
