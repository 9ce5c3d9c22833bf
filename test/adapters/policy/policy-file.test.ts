/**
 * The policy file: good YAML and JSON load (cosign keys read relative to the file, named by
 * their SPKI key ID); every bad file is refused with a stable code and the line and field of
 * the problem, from the shipped schema (through ajv) or the semantic checks.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FilePolicySource } from '../../../src/adapters/policy/file-policy-source.js';
import { loadPolicyFile, parsePolicyText, policySchemaPath } from '../../../src/adapters/policy/policy-file.js';
import { publicKeyIdOf } from '../../../src/core/policy/compile-policy.js';
import { DctError } from '../../../src/core/errors.js';
import type { CosignRequirement, CombinedRequirement } from '../../../src/core/policy/trust-policy.js';

const GOOD = `# the release policy
version: 1
defaults:
  mode: enforce
publishers:
  - namespace: docker.io/library
    signedBy: Docker Official Images
    repositories: [alpine, nginx]
rules:
  - name: official
    match: docker.io/library/*
    require:
      dct: {signers: [releases], fresh: true}
  - name: team
    match: [registry.example.com/team/*, registry.example.com/team/**]
    mode: warn
    require:
      atLeast:
        count: 2
        of:
          - dct: {signers: [releases]}
          - cosign: {key: keys/release.pub, tlog: false}
          - notation: {trustStore: "ca:release", identity: "x509.subject: C=US, ST=WA, O=Example"}
          - cosign: {identity: ci@example.com, issuer: https://accounts.example.com}
`;

describe('the policy file', () => {
  let dir: string;
  let pem: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dct-policy-'));
    pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    writeFileSync(join(dir, 'policy.yaml'), GOOD);
    // the key file beside the policy, named relative to it
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'release.pub'), pem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a good YAML file loads: rules, modes, publishers, the cosign key by file and its key ID', async () => {
    const { policy } = await loadPolicyFile(join(dir, 'policy.yaml'));
    assert.equal(policy.defaultMode, 'enforce');
    assert.deepEqual(policy.publishers, [
      { namespace: 'docker.io/library', signedBy: 'Docker Official Images', repositories: ['alpine', 'nginx'] },
    ]);
    assert.deepEqual(
      policy.rules.map((r) => [r.name, r.match, r.mode]),
      [
        ['official', ['docker.io/library/*'], 'enforce'],
        ['team', ['registry.example.com/team/*', 'registry.example.com/team/**'], 'warn'],
      ],
    );
    const req = policy.rules[1]?.require as CombinedRequirement;
    assert.equal(req.kind, 'atLeast');
    assert.equal(req.count, 2);
    const key = req.of[1] as CosignRequirement;
    assert.equal(key.key?.keyId, publicKeyIdOf(pem));
    assert.equal(key.key?.source, 'keys/release.pub');
    assert.equal(key.tlog, false);
    assert.deepEqual(req.of[2], {
      kind: 'notation',
      trustStore: 'ca:release',
      identity: 'x509.subject:C=US, ST=WA, O=Example',
      path: ['rules', 1, 'require', 'atLeast', 'of', 2, 'notation'],
    });
  });

  it('JSON is accepted, with an inline PEM key', () => {
    const json = JSON.stringify({ version: 1, rules: [{ name: 'all', match: '**', require: { cosign: { key: pem } } }] }, null, 2);
    const policy = parsePolicyText(json, join(dir, 'policy.json'));
    assert.equal((policy.rules[0]?.require as CosignRequirement).key?.keyId, publicKeyIdOf(pem));
    assert.equal(policy.defaultMode, 'enforce');
  });

  it('the schema ships as JSON Schema', () => {
    const schema = JSON.parse(readFileSync(policySchemaPath(), 'utf8')) as Record<string, unknown>;
    assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
  });

  const bad = (text: string): DctError => {
    try {
      parsePolicyText(text, join(dir, 'policy.yaml'));
    } catch (err) {
      assert.ok(err instanceof DctError, String(err));
      return err;
    }
    assert.fail('accepted');
  };
  const line = (n: number, field: string, what: RegExp, text: string) => {
    const err = bad(text);
    assert.equal(err.code, 'POLICY_INVALID', err.message);
    const first = err.message.split('\n').find((l) => l.startsWith(`policy.yaml:${n}: ${field}: `));
    assert.ok(first, `expected policy.yaml:${n}: ${field}: …, got:\n${err.message}`);
    assert.match(first, what);
  };

  it('names the line and the field of each problem', () => {
    const rule = (require: string, extra = '') =>
      `version: 1\nrules:\n  - name: r\n    match: r.example.com/*\n${extra}    require:\n${require}`;
    // schema: unknown field, enum, type, missing field, constant
    line(
      3,
      'rules[0].requires',
      /unknown field \(expected name, match, mode, require\)/,
      'version: 1\nrules:\n  - requires: {}\n    name: r\n    match: r.example.com/x\n    require: {dct: {}}\n',
    );
    line(5, 'rules[0].mode', /must be one of enforce, warn, audit/, rule('      dct: {}\n', '    mode: block\n'));
    line(3, 'rules[0].match', /missing/, 'version: 1\nrules:\n  - name: r\n    require: {dct: {}}\n');
    line(1, 'version', /must be 1/, 'version: 2\nrules: []\n');
    line(7, 'rules[0].require.dct.fresh', /must be boolean/, rule('      dct:\n        fresh: yes-please\n'));
    line(5, 'rules[0].require', /exactly one of/, rule('      dct: {}\n      cosign: {key: x}\n'));
    line(7, 'rules[0].require.cosign.keyfile', /unknown field/, rule('      cosign:\n        keyfile: x.pub\n'));
    // semantic checks
    line(
      12,
      'rules[1].require.cosign.key',
      /cannot use the key file missing\.pub/,
      'version: 1\nrules:\n  - name: a\n    match: r.example.com/a\n    require:\n      dct: {}\n  - name: b\n    match: r.example.com/b\n    require:\n      cosign:\n        tlog: false\n        key: missing.pub\n',
    );
    line(
      10,
      'rules[0].require.atLeast.count',
      /is 3, but only 2 requirement\(s\) are listed/,
      rule('      atLeast:\n        of:\n          - dct: {}\n          - dct: {}\n        count: 3\n'),
    );
    line(
      4,
      'rules[0].match',
      /must be registry\/repository/,
      'version: 1\nrules:\n  - name: r\n    match: alpine\n    require: {dct: {}}\n',
    );
    line(
      9,
      'rules[1].match[1]',
      /already matched by rules\[0\]/,
      'version: 1\nrules:\n  - name: a\n    match: r.example.com/*\n    require: {dct: {}}\n  - name: b\n    match:\n      - r.example.com/*\n    require: {dct: {}}\n'.replace(
        '      - r.example.com/*\n',
        '      - q.example.com/*\n      - r.example.com/*\n',
      ),
    );
    line(7, 'rules[0].require.notation.trustStore', /must be <type>:<name>/, rule('      notation:\n        trustStore: release\n'));
    line(
      7,
      'rules[0].require.notation.identity',
      /mandatory RDN attribute/,
      rule('      notation:\n        identity: "x509.subject: CN=only"\n'),
    );
    line(
      7,
      'rules[0].require.cosign.identityRegexp',
      /not a regular expression/,
      rule('      cosign:\n        identityRegexp: "(["\n        issuer: x\n'),
    );
    line(6, 'rules[0].require.cosign', /needs its OIDC issuer/, rule('      cosign:\n        identity: ci@example.com\n'));
    line(
      7,
      'rules[0].require.cosign.key',
      /not a PEM public key/,
      rule('      cosign:\n        key: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n"\n'),
    );
    line(
      7,
      'rules[1].name',
      /already the name of rules\[0\]/,
      'version: 1\nrules:\n  - name: a\n    match: r.example.com/a\n    require: {dct: {}}\n  - match: r.example.com/b\n    name: a\n    require: {dct: {}}\n',
    );
    line(7, 'rules[0].require.dct.keys[0]', /TUF key ID/, rule('      dct:\n        keys: [alice]\n'));
  });

  it('a file that is not YAML is POLICY_SYNTAX_ERROR with its line; a missing file POLICY_FILE_UNREADABLE', async () => {
    const err = bad('version: 1\nrules:\n  - name: "unterminated\n');
    assert.equal(err.code, 'POLICY_SYNTAX_ERROR');
    assert.match(err.message, /^policy\.yaml:\d+: not YAML or JSON/);
    const dup = bad('version: 1\nversion: 1\nrules: []\n');
    assert.equal(dup.code, 'POLICY_SYNTAX_ERROR');
    assert.match(dup.message, /^policy\.yaml:2: /);
    await assert.rejects(
      loadPolicyFile(join(dir, 'nope.yaml')),
      (e: unknown) => e instanceof DctError && e.code === 'POLICY_FILE_UNREADABLE',
    );
  });

  it('FilePolicySource loads once and again when the file changes', async () => {
    const file = join(dir, 'live.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - {name: one, match: r.example.com/a, require: {dct: {}}}\n');
    const source = new FilePolicySource(file);
    const first = await source.current();
    assert.equal(await source.current(), first, 'unchanged: the same policy');
    writeFileSync(
      file,
      'version: 1\nrules:\n  - {name: two, match: r.example.com/a, require: {dct: {}}}\n  - {name: three, match: r.example.com/b, require: {dct: {}}}\n',
    );
    assert.deepEqual(
      (await source.current()).rules.map((r) => r.name),
      ['two', 'three'],
    );
    writeFileSync(file, 'version: 1\nrules: [{name: broken}]\n');
    await assert.rejects(source.current(), (e: unknown) => e instanceof DctError && e.code === 'POLICY_INVALID');
  });
});
