/**
 * Notation's OCI trust policy document (`trustpolicy.oci.json`, and the older `trustpolicy.json`
 * notation still reads; version 1.0): decoded as Go's encoding/json decodes it into notation's
 * structs (field names matched case-insensitively, unknown fields ignored, `null` = empty), checked
 * with notation's rules (`trust-policy-validation.ts`), and asked which statement applies to an
 * artifact and what each validation must do.
 */
import { DctError } from '../errors.js';
import { VERIFICATION_LEVELS, type CheckAction, type NotationCheck, type VerificationLevelName } from './verification-types.js';
import type { TrustPolicyDocument, TrustPolicyStatement } from './trust-policy-document.js';
import { levelOf, validateRegistryScopeFormat, validateTrustPolicy } from './trust-policy-validation.js';

export const TRUST_POLICY_LINK = 'https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';

/** The largest trust policy or configuration file dct reads (notation has no limit; 4 MiB is far above any real one). */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Decodes and validates a trust policy document. A document that is not JSON (or has a field of
 * the wrong type) gets notation's `malformed trust policy` (NOTATION_POLICY_MALFORMED, the
 * decoder's reason as `cause`); a document that breaks a rule gets notation's message for that
 * rule (NOTATION_POLICY_INVALID).
 */
export function parseTrustPolicy(bytes: Uint8Array): TrustPolicyDocument {
  let doc: TrustPolicyDocument;
  try {
    doc = decodeTrustPolicy(bytes);
  } catch (err) {
    throw new DctError('NOTATION_POLICY_MALFORMED', `malformed trust policy. To create a trust policy, see: ${TRUST_POLICY_LINK}`, {
      cause: err,
    });
  }
  validateTrustPolicy(doc);
  return doc;
}

/** Go's json.Unmarshal into notation's OCIDocument: NOTATION_POLICY_MALFORMED with the decoder's reason. */
export function decodeTrustPolicy(bytes: Uint8Array): TrustPolicyDocument {
  if (bytes.length > MAX_CONFIG_FILE_BYTES) {
    throw new DctError(
      'NOTATION_CONFIG_TOO_LARGE',
      `the trust policy is ${bytes.length} bytes, more than the ${MAX_CONFIG_FILE_BYTES} dct reads`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new DctError('NOTATION_POLICY_MALFORMED', `invalid JSON: ${(err as Error).message}`);
  }
  const top = obj(raw, 'OCIDocument', '');
  const version = str(field(top, 'version'), 'OCIDocument', 'version');
  const policies = arr(field(top, 'trustPolicies'), 'OCIDocument', 'trustPolicies').map((p) => {
    const s = obj(p, 'OCIDocument', 'trustPolicies');
    const sv = obj(field(s, 'signatureVerification'), 'OCIDocument', 'trustPolicies.signatureVerification');
    const statement: TrustPolicyStatement = {
      name: str(field(s, 'name'), 'OCIDocument', 'trustPolicies.name'),
      registryScopes: strings(field(s, 'registryScopes'), 'trustPolicies.registryScopes'),
      signatureVerification: { level: str(field(sv, 'level'), 'OCIDocument', 'trustPolicies.signatureVerification.level') },
      trustStores: strings(field(s, 'trustStores'), 'trustPolicies.trustStores'),
      trustedIdentities: strings(field(s, 'trustedIdentities'), 'trustPolicies.trustedIdentities'),
    };
    const override = field(sv, 'override');
    if (override !== undefined && override !== null) {
      const o = obj(override, 'OCIDocument', 'trustPolicies.signatureVerification.override');
      const map: Record<string, string> = {};
      for (const [k, v] of Object.entries(o)) map[k] = str(v, 'OCIDocument', 'trustPolicies.signatureVerification.override');
      if (Object.keys(map).length > 0) statement.signatureVerification.override = map;
    }
    const verifyTimestamp = str(field(sv, 'verifyTimestamp'), 'OCIDocument', 'trustPolicies.signatureVerification.verifyTimestamp');
    if (verifyTimestamp !== '') statement.signatureVerification.verifyTimestamp = verifyTimestamp;
    return statement;
  });
  return { version, trustPolicies: policies };
}

/**
 * The statement that applies to `artifactReference` (`host[:port]/repo@sha256:…`): the one whose
 * registry scopes name the repository, else the `*` one (notation's GetApplicableTrustPolicy).
 */
export function selectStatement(doc: TrustPolicyDocument, artifactReference: string): TrustPolicyStatement {
  const at = artifactReference.lastIndexOf('@');
  if (at < 0) {
    throw new DctError(
      'NOTATION_ARTIFACT_REFERENCE_INVALID',
      `artifact URI ${JSON.stringify(artifactReference)} could not be parsed, make sure it is the fully qualified oci artifact URI without the scheme/protocol. e.g domain.com:80/my/repository@sha256:digest`,
    );
  }
  const path = artifactReference.slice(0, at);
  const problem = validateRegistryScopeFormat(path);
  if (problem) throw new DctError('NOTATION_ARTIFACT_REFERENCE_INVALID', problem);
  let wildcard: TrustPolicyStatement | undefined;
  let exact: TrustPolicyStatement | undefined;
  for (const statement of doc.trustPolicies) {
    if (statement.registryScopes.includes('*')) wildcard = statement;
    else if (statement.registryScopes.includes(path)) exact = statement;
  }
  const chosen = exact ?? wildcard;
  if (!chosen) {
    throw new DctError(
      'NOTATION_POLICY_NOT_APPLICABLE',
      `artifact ${JSON.stringify(artifactReference)} has no applicable oci trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: ${TRUST_POLICY_LINK}`,
    );
  }
  return structuredClone(chosen);
}

/** What each validation must do under the statement: its level's actions with the overrides applied. */
export function statementActions(statement: TrustPolicyStatement): Record<NotationCheck, CheckAction> {
  const { base, overrides } = levelOf(statement.signatureVerification);
  return { ...VERIFICATION_LEVELS[base], ...overrides };
}

/** The statement's level name (`strict`, `permissive`, `audit`, `skip`). */
export function statementLevel(statement: TrustPolicyStatement): VerificationLevelName {
  return levelOf(statement.signatureVerification).base;
}

/** `always` unless the statement says `afterCertExpiry`. */
export function statementVerifyTimestamp(statement: TrustPolicyStatement): 'always' | 'afterCertExpiry' {
  return statement.signatureVerification.verifyTimestamp === 'afterCertExpiry' ? 'afterCertExpiry' : 'always';
}

/** The statement's trust stores as `{ type, name }`. */
export function statementTrustStores(statement: TrustPolicyStatement): Array<{ type: string; name: string }> {
  return statement.trustStores.map((s) => {
    const i = s.indexOf(':');
    return { type: s.slice(0, i), name: s.slice(i + 1) };
  });
}

// ---- Go encoding/json, as far as notation's structs need it ----------------------------------

function field(o: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function mismatch(v: unknown, struct: string, path: string, want: string): never {
  const where = path ? ` Go struct field ${struct}.${path}` : ` Go value`;
  throw new DctError('NOTATION_POLICY_MALFORMED', `json: cannot unmarshal ${goType(v)} into${where} of type ${want}`);
}

function obj(v: unknown, struct: string, path: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return mismatch(v, struct, path, path ? 'object' : `trustpolicy.${struct}`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, struct: string, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return mismatch(v, struct, path, '[]');
  return v;
}

function str(v: unknown, struct: string, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return mismatch(v, struct, path, 'string');
  return v;
}

function strings(v: unknown, path: string): string[] {
  return arr(v, 'OCIDocument', path).map((x) => str(x, 'OCIDocument', path));
}
