/**
 * The trust policy document against notation's own policies: every file of the notation CLI's
 * e2e trust policies and notation-go's (transcribed) test policies gets the outcome listed in
 * the fixtures README (valid, or refused with notation's message), statement selection by
 * registry scope, and the level actions with overrides.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isDctError } from '../../../src/core/errors.js';
import {
  decodeTrustPolicy,
  parseTrustPolicy,
  selectStatement,
  statementActions,
  statementLevel,
  statementVerifyTimestamp,
} from '../../../src/core/notation/trust-policy.js';
import type { TrustPolicyDocument } from '../../../src/core/notation/trust-policy-document.js';
import { VERIFICATION_LEVELS } from '../../../src/core/notation/verification-types.js';
import { fixturePath, readFixture } from '../../support/fixtures.js';

const CLI = ['notation', 'notation-cli', 'trustpolicies'];
const GO = ['notation', 'notation-go', 'trustpolicies'];

/** README "Trust policies": valid (`ok`), or the code and a piece of notation's message. */
const EXPECTED: Record<string, 'ok' | [string, string]> = {
  'trustpolicy.json': 'ok',
  'any_registry_scope_trust_policy.json': 'ok',
  'valid_trusted_identity_trustpolicy.json': 'ok',
  'multiple_trust_store_trustpolicy.json': 'ok',
  'multiple_trusted_identity_trustpolicy.json': 'ok',
  'multi_statements_with_wildcard_registry_scope_trustpolicy.json': 'ok',
  'registry_scope_trustpolicy.json': 'ok',
  'multiple_registry_scope_trustpolicy.json': 'ok',
  'generate_test_trustpolicy.json': 'ok',
  'quickstart_trustpolicy.json': 'ok',
  // verify failures, not policy errors: the policy itself is valid
  'invalid_trusted_identity_trustpolicy.json': 'ok',
  'invalid_registry_scope_trustpolicy.json': 'ok',
  'invalid_trust_store_trustpolicy.json': 'ok',
  // upstream skips its test ("overlapped trust stores were not checked"): notation accepts it
  'overlapped_trust_store_trustpolicy.json': 'ok',
  'permissive_trustpolicy.json': 'ok',
  'audit_trustpolicy.json': 'ok',
  'skip_trustpolicy.json': 'ok',
  'override_strict_trustpolicy.json': 'ok',
  'override_permissive_trustpolicy.json': 'ok',
  'override_audit_trustpolicy.json': 'ok',
  'timestamp_trustpolicy.json': 'ok',
  'timestamp_after_cert_expiry_trustpolicy.json': 'ok',
  'empty_registry_scope_trustpolicy.json': ['NOTATION_POLICY_INVALID', 'trust policy statement "e2e" has zero registry scopes'],
  'malformed_registry_scope_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'registry scope "localhost:5000\\\\test-repo" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout',
  ],
  'overlapped_registry_scope_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'registry scope "localhost:5000/test-repo6" is present in multiple oci trust policy statements',
  ],
  'wildcard_plus_other_registry_scope_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    `trust policy statement "e2e" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`,
  ],
  'unset_trust_store_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'trust policy statement "e2e" is either missing trust stores or trusted identities, both must be specified',
  ],
  'unset_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'trust policy statement "e2e" is either missing trust stores or trusted identities, both must be specified',
  ],
  'malformed_trust_store_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'trust policy statement "e2e" uses an unsupported trust store name "" in trust store value "ca:". Named store name needs to follow [a-zA-Z0-9_.-]+ format',
  ],
  'wildcard_trust_store_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'trust policy statement "e2e" has malformed trust store value "*". The required format is <TrustStoreType>:<TrustStoreName>',
  ],
  'malformed_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'trust policy statement "e2e" has trusted identity "x509.subject CN=e2e,O=Notary,L=Seattle,ST=WA,C=US" missing separator',
  ],
  'empty_trusted_identity_trustpolicy.json': ['NOTATION_POLICY_INVALID', 'trust policy statement "e2e" has an empty trusted identity'],
  'overlapped_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'trust policy statement "e2e" has overlapping x509 trustedIdentities',
  ],
  'wildcard_plus_other_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    `trust policy statement "e2e" uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`,
  ],
  'missing_organization_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    `distinguished name (DN) " CN=e2e,L=Seattle,ST=WA,C=US" has no mandatory RDN attribute for "O", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`,
  ],
  'missing_state_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    `distinguished name (DN) " CN=e2e,O=Notary,L=Seattle,C=US" has no mandatory RDN attribute for "ST", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`,
  ],
  'missing_country_trusted_identity_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    `distinguished name (DN) " CN=e2e,O=Notary,L=Seattle,ST=WA" has no mandatory RDN attribute for "C", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`,
  ],
  'multi_statements_with_the_same_name_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'multiple oci trust policy statements use the same name "e2e", statement names must be unique',
  ],
  'multi_statements_with_the_same_registry_scope_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'registry scope "localhost:5000/test-repo8" is present in multiple oci trust policy statements',
  ],
  'multi_statements_with_multi_wildcard_registry_scope_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    'registry scope "*" is present in multiple oci trust policy statements',
  ],
  'override_integrity_for_permissive_trustpolicy.json': [
    'NOTATION_POLICY_INVALID',
    '"integrity" verification can not be overridden in custom signature verification',
  ],
  'invalid_format_trustpolicy.json': [
    'NOTATION_POLICY_MALFORMED',
    'malformed trust policy. To create a trust policy, see: https://notaryproject.dev',
  ],
  // a blob policy (no registry scopes) is not an OCI policy
  'blob_trust_policy.json': ['NOTATION_POLICY_INVALID', 'oci trust policy statement "wabbit-networks-policy" has zero registry scopes'],
};

const GO_EXPECTED: Record<string, 'ok' | [string, string]> = {
  'oci-verifier-tests.trustpolicy.json': 'ok',
  'plugin-version-tests.trustpolicy.json': 'ok',
  'timestamp-tests.trustpolicy.json': 'ok',
  'blob-verifier-tests.trustpolicy.json': ['NOTATION_POLICY_INVALID', 'has zero registry scopes'],
};

function outcome(bytes: Buffer): 'ok' | [string, string] {
  try {
    parseTrustPolicy(bytes);
    return 'ok';
  } catch (err) {
    assert.ok(isDctError(err), `not a DctError: ${String(err)}`);
    return [err.code, err.message];
  }
}

function check(dir: string[], expected: Record<string, 'ok' | [string, string]>): void {
  const files = readdirSync(fixturePath(...dir)).sort();
  assert.deepEqual(files, Object.keys(expected).sort(), 'every fixture policy has an expected outcome');
  for (const file of files) {
    const want = expected[file] as 'ok' | [string, string];
    const got = outcome(readFixture(...dir, file));
    if (want === 'ok') {
      assert.equal(got, 'ok', `${file}: ${String(got)}`);
    } else {
      assert.notEqual(got, 'ok', `${file} must be refused`);
      assert.equal(got[0], want[0], `${file}: ${got[1]}`);
      assert.ok(got[1].includes(want[1]), `${file}: ${got[1]}`);
    }
  }
}

function policy(doc: unknown): Buffer {
  return Buffer.from(JSON.stringify(doc));
}

const STATEMENT = {
  name: 's',
  registryScopes: ['*'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:s'],
  trustedIdentities: ['*'],
};

function refused(doc: unknown, code: string, message: string): void {
  const got = outcome(policy(doc));
  assert.notEqual(got, 'ok');
  assert.equal(got[0], code, got[1]);
  assert.equal(got[1], message);
}

describe('trust policy: fixtures', () => {
  it('every notation CLI e2e trust policy gets its expected outcome', () => check(CLI, EXPECTED));
  it('every notation-go test policy gets its expected outcome (blob policies are not OCI policies)', () => check(GO, GO_EXPECTED));
  it('the blob policy of the blob e2e tests is not an OCI policy either', () => {
    const got = outcome(readFixture('notation', 'notation-cli', 'trustpolicies-blob', 'trustpolicy.blob.json'));
    assert.equal(got[0], 'NOTATION_POLICY_INVALID');
  });
  it("the spec's OCI examples are valid once their // comments are removed", () => {
    for (const name of ['oci-1-single-audit.jsonc', 'oci-2-multi-statement.jsonc', 'oci-3-timestamp-afterCertExpiry.jsonc']) {
      const text = readFixture('notation', 'spec-examples', 'trust-policy', name)
        .toString('utf8')
        .replace(/\s*\/\/[^\n"]*$/gm, '');
      assert.equal(outcome(Buffer.from(text)), 'ok', name);
    }
  });
});

describe('trust policy: rules', () => {
  it('version, statements and names', () => {
    refused(
      { trustPolicies: [STATEMENT] },
      'NOTATION_POLICY_INVALID',
      'oci trust policy document has empty version, version must be specified',
    );
    refused(
      { version: '2.0', trustPolicies: [STATEMENT] },
      'NOTATION_POLICY_INVALID',
      'oci trust policy document uses unsupported version "2.0"',
    );
    refused(
      { version: '1.0', trustPolicies: [] },
      'NOTATION_POLICY_INVALID',
      'oci trust policy document can not have zero trust policy statements',
    );
    refused(
      { version: '1.0', trustPolicies: [{ ...STATEMENT, name: '' }] },
      'NOTATION_POLICY_INVALID',
      'oci trust policy: a trust policy statement is missing a name, every statement requires a name',
    );
  });
  it('verification levels and overrides', () => {
    const withSv = (sv: unknown) => ({ version: '1.0', trustPolicies: [{ ...STATEMENT, signatureVerification: sv }] });
    const prefix = 'oci trust policy: trust policy statement "s" has invalid signatureVerification: ';
    refused(
      withSv({}),
      'NOTATION_POLICY_INVALID',
      `${prefix}signature verification level is empty or missing in the trust policy statement`,
    );
    refused(withSv({ level: 'lenient' }), 'NOTATION_POLICY_INVALID', `${prefix}invalid signature verification level "lenient"`);
    refused(
      withSv({ level: 'strict', override: { speed: 'log' } }),
      'NOTATION_POLICY_INVALID',
      `${prefix}verification type "speed" in custom signature verification is not supported, supported values are ["integrity" "authenticity" "authenticTimestamp" "expiry" "revocation"]`,
    );
    refused(
      withSv({ level: 'strict', override: { expiry: 'ignore' } }),
      'NOTATION_POLICY_INVALID',
      `${prefix}verification action "ignore" in custom signature verification is not supported, supported values are ["enforce" "log" "skip"]`,
    );
    refused(
      withSv({ level: 'strict', override: { authenticity: 'skip' } }),
      'NOTATION_POLICY_INVALID',
      `${prefix}"authenticity" verification can not be skipped in custom signature verification`,
    );
    refused(
      {
        version: '1.0',
        trustPolicies: [{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'skip', override: { revocation: 'log' } } }],
      },
      'NOTATION_POLICY_INVALID',
      `${prefix}signature verification level "skip" can't be used to customize signature verification`,
    );
    refused(
      withSv({ level: 'strict', verifyTimestamp: 'never' }),
      'NOTATION_POLICY_INVALID',
      'oci trust policy: trust policy statement "s" has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got "never"',
    );
    refused(
      withSv({ level: 'skip' }),
      'NOTATION_POLICY_INVALID',
      'oci trust policy: trust policy statement "s" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped',
    );
  });
  it('trust stores and identities', () => {
    refused(
      { version: '1.0', trustPolicies: [{ ...STATEMENT, trustStores: ['root:s'] }] },
      'NOTATION_POLICY_INVALID',
      'oci trust policy: trust policy statement "s" uses an unsupported trust store type "root" in trust store value "root:s"',
    );
    refused(
      { version: '1.0', trustPolicies: [{ ...STATEMENT, trustedIdentities: ['x509.subject:'] }] },
      'NOTATION_POLICY_INVALID',
      'oci trust policy: trust policy statement "s" has trusted identity "x509.subject:" without an identity value',
    );
    const eq = outcome(
      policy({ version: '1.0', trustPolicies: [{ ...STATEMENT, trustedIdentities: ['x509.subject:C=bad=#identity,O=LOL,ST=LOL'] }] }),
    );
    assert.equal(eq[0], 'NOTATION_POLICY_INVALID');
    assert.match(eq[1], /notation does not support x509.subject identities containing "=#"/);
    // identities of other kinds are notation plugins' business: accepted as they are
    assert.equal(outcome(policy({ version: '1.0', trustPolicies: [{ ...STATEMENT, trustedIdentities: ['x509.other:abc'] }] })), 'ok');
  });
  it('registry scopes with wild cards inside are refused', () => {
    refused(
      { version: '1.0', trustPolicies: [{ ...STATEMENT, registryScopes: ['example.com/*'] }] },
      'NOTATION_POLICY_INVALID',
      'registry scope "example.com/*" with wild card(s) is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout',
    );
    assert.equal(
      outcome(policy({ version: '1.0', trustPolicies: [{ ...STATEMENT, registryScopes: ['Example.com:5000/a/b-c__d.e'] }] })),
      'ok',
    );
    assert.equal(
      outcome(policy({ version: '1.0', trustPolicies: [{ ...STATEMENT, registryScopes: ['example.com/Upper'] }] }))[0],
      'NOTATION_POLICY_INVALID',
    );
  });
});

describe('trust policy: decoding as Go does', () => {
  it('matches field names case-insensitively and ignores unknown fields', () => {
    const doc = decodeTrustPolicy(
      Buffer.from(
        '{"Version":"1.0","TRUSTPOLICIES":[{"name":"n","registryScopes":["*"],"signatureverification":{"level":"audit"},"extra":1,"trustStores":["ca:x"],"trustedIdentities":["*"]}]}',
      ),
    );
    assert.equal(doc.version, '1.0');
    assert.equal(doc.trustPolicies[0]?.signatureVerification.level, 'audit');
  });
  it('refuses wrong types, non-JSON and huge documents with stable codes', () => {
    for (const bad of [
      '{"version":1}',
      '{"trustPolicies":{}}',
      '[]',
      'null x',
      '{"version":"1.0","trustPolicies":[{"registryScopes":"*"}]}',
      '',
    ]) {
      assert.throws(
        () => parseTrustPolicy(Buffer.from(bad)),
        (e: unknown) => isDctError(e, 'NOTATION_POLICY_MALFORMED'),
        bad,
      );
    }
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    assert.throws(
      () => decodeTrustPolicy(huge),
      (e: unknown) => isDctError(e, 'NOTATION_CONFIG_TOO_LARGE'),
    );
    const deep = Buffer.from('['.repeat(100000) + ']'.repeat(100000));
    assert.throws(
      () => parseTrustPolicy(deep),
      (e: unknown) => isDctError(e),
    );
  });
});

describe('trust policy: statement selection', () => {
  const load = (name: string): TrustPolicyDocument => parseTrustPolicy(readFixture(...CLI, name));
  const digest = '@sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9';
  it('the statement naming the repository wins over the wildcard one', () => {
    const doc = load('multi_statements_with_wildcard_registry_scope_trustpolicy.json');
    assert.equal(selectStatement(doc, `localhost:5000/test-repo9${digest}`).name, 'e2e');
    assert.equal(selectStatement(doc, `localhost:5000/other${digest}`).name, 'e2e2');
  });
  it('each scope of a statement applies; an artifact no scope covers has no statement', () => {
    const doc = load('multiple_registry_scope_trustpolicy.json');
    assert.equal(selectStatement(doc, `localhost:5000/test-repo2${digest}`).name, 'e2e');
    assert.equal(selectStatement(doc, `localhost:5000/test-repo3${digest}`).name, 'e2e');
    assert.throws(
      () => selectStatement(doc, `localhost:5000/test-repo4${digest}`),
      (e: unknown) =>
        isDctError(e, 'NOTATION_POLICY_NOT_APPLICABLE') &&
        e.message ===
          `artifact "localhost:5000/test-repo4${digest}" has no applicable oci trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy`,
    );
  });
  it('the artifact must be host/repository@digest', () => {
    const doc = load('trustpolicy.json');
    assert.throws(
      () => selectStatement(doc, 'localhost:5000/repo:v1'),
      (e: unknown) => isDctError(e, 'NOTATION_ARTIFACT_REFERENCE_INVALID'),
    );
    assert.throws(
      () => selectStatement(doc, `repo${digest}`),
      (e: unknown) => isDctError(e, 'NOTATION_ARTIFACT_REFERENCE_INVALID'),
    );
    assert.equal(selectStatement(doc, `localhost:5000/repo${digest}`).name, 'e2e');
  });
  it('the selected statement is a copy', () => {
    const doc = load('trustpolicy.json');
    selectStatement(doc, `localhost:5000/repo${digest}`).trustStores.push('ca:other');
    assert.deepEqual(doc.trustPolicies[0]?.trustStores, ['ca:e2e']);
  });
});

describe('trust policy: actions', () => {
  const first = (name: string) => parseTrustPolicy(readFixture(...CLI, name)).trustPolicies[0]!;
  it('levels give the spec actions', () => {
    assert.deepEqual(statementActions(first('trustpolicy.json')), VERIFICATION_LEVELS.strict);
    assert.deepEqual(statementActions(first('permissive_trustpolicy.json')), VERIFICATION_LEVELS.permissive);
    assert.deepEqual(statementActions(first('audit_trustpolicy.json')), VERIFICATION_LEVELS.audit);
    assert.deepEqual(statementActions(first('skip_trustpolicy.json')), VERIFICATION_LEVELS.skip);
    assert.equal(statementLevel(first('skip_trustpolicy.json')), 'skip');
  });
  it('overrides replace the actions they name', () => {
    assert.deepEqual(statementActions(first('override_strict_trustpolicy.json')), {
      integrity: 'enforce',
      authenticity: 'log',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'log',
    });
    assert.deepEqual(statementActions(first('override_permissive_trustpolicy.json')), {
      integrity: 'enforce',
      authenticity: 'log',
      authenticTimestamp: 'enforce',
      expiry: 'enforce',
      revocation: 'enforce',
    });
    assert.deepEqual(statementActions(first('override_audit_trustpolicy.json')), VERIFICATION_LEVELS.strict);
  });
  it('verifyTimestamp defaults to always', () => {
    assert.equal(statementVerifyTimestamp(first('trustpolicy.json')), 'always');
    assert.equal(statementVerifyTimestamp(first('timestamp_after_cert_expiry_trustpolicy.json')), 'afterCertExpiry');
  });
});
