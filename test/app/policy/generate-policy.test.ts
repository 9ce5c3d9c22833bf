/**
 * The pure policy generator: signers from a tag table (released roles as `releases`,
 * delegations by name, nested roles by role), the rule's shape for each option, the comments
 * naming where each requirement came from, and every generated file loaded by the policy
 * file loader (`dct policy check`'s); what cannot be generated is refused.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPolicyFile } from '../../../src/adapters/policy/policy-file.js';
import { generatePolicy, signersOfTags, type GenerateOptions } from '../../../src/app/policy/generate-policy.js';
import { parseTrustPolicy } from '../../../src/core/notation/trust-policy.js';
import { leavesOf } from '../../../src/core/policy/trust-policy.js';
import type { BundleTag } from '../../../src/core/trust-bundle/manifest.js';

const K1 = 'a'.repeat(64);
const K2 = 'b'.repeat(64);
const tag = (name: string, roles: Array<[string, string[]]>): BundleTag => ({
  name,
  digest: `sha256:${'1'.repeat(64)}`,
  size: 10,
  roles: roles.map(([role, keyIds]) => ({ role, keyIds })),
  released: true,
});
const repo = signersOfTags('registry.example.com/team/app', 'trust server https://notary.example.com', [
  tag('v1', [['targets', [K1]]]),
  tag('v2', [
    ['targets/releases', [K2]],
    ['targets/alice', [K2]],
  ]),
  tag('v3', [['targets/alice/ci', [K2]]]),
]);

const dir = mkdtempSync(join(tmpdir(), 'dct-generate-policy-'));
writeFileSync(
  join(dir, 'release.pub'),
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }),
);
const options = (o: Partial<GenerateOptions>): GenerateOptions => ({
  repositories: [repo],
  cosignKeys: [],
  cosignTlog: true,
  notationTrustStores: [],
  notationIdentities: [],
  keepDct: false,
  requireBoth: false,
  now: new Date('2026-12-07T12:00:00Z'),
  ...o,
});
let n = 0;
async function load(yaml: string) {
  const file = join(dir, `p${n++}.yaml`);
  writeFileSync(file, yaml);
  return (await loadPolicyFile(file)).policy;
}

describe('generatePolicy', () => {
  it('reads the signers: released roles are releases, delegations by name, nested roles by role, key IDs kept', () => {
    assert.deepEqual(
      repo.signers.map((s) => [s.role, s.signer, s.keyIds, s.tags]),
      [
        ['targets', 'releases', [K1], 1],
        ['targets/alice', 'alice', [K2], 1],
        ['targets/alice/ci', undefined, [K2], 1],
        ['targets/releases', 'releases', [K2], 1],
      ],
    );
    assert.equal(repo.tags, 3);
  });

  it('--keep-dct with a cosign key: anyOf [dct signers, dct nested roles] or the key; loads; comments name the roles and keys', async () => {
    const { yaml, notation } = generatePolicy(options({ keepDct: true, cosignKeys: ['release.pub'] }));
    assert.equal(notation, undefined);
    assert.match(yaml, /^# {3}registry\.example\.com\/team\/app \(trust server https:\/\/notary\.example\.com\): 3 signed tags/m);
    assert.match(yaml, /# {3}targets\/alice: 1 tag, signed by key bbbbbbbbbbbb$/m);
    const policy = await load(yaml);
    const rule = policy.rules[0]!;
    assert.deepEqual(rule.match, ['registry.example.com/team/app']);
    assert.equal(rule.require.kind, 'anyOf');
    const leaves = leavesOf(rule.require);
    assert.deepEqual(
      leaves.map((l) => (l.kind === 'dct' ? [l.kind, l.signers ?? l.roles, l.fresh] : [l.kind, l.kind === 'cosign' ? l.tlog : ''])),
      [
        ['dct', ['alice', 'releases'], true],
        ['dct', ['targets/alice/ci'], true],
        ['cosign', true],
      ],
    );
  });

  it('--require-both: allOf; without --keep-dct: no DCT requirement at all', async () => {
    const both = await load(generatePolicy(options({ keepDct: true, requireBoth: true, cosignKeys: ['release.pub'] })).yaml);
    assert.equal(both.rules[0]!.require.kind, 'allOf');
    const only = await load(generatePolicy(options({ cosignKeys: ['release.pub'], cosignTlog: false })).yaml);
    assert.deepEqual(
      leavesOf(only.rules[0]!.require).map((l) => l.kind),
      ['cosign'],
    );
  });

  it("Notation: one requirement per trust store and identity; the trust policy is valid by notation's rules", async () => {
    const g = generatePolicy(
      options({
        notationTrustStores: ['ca:release'],
        notationIdentities: ['x509.subject: C=US, ST=WA, O=Example', 'x509.subject: C=US, ST=WA, O=Other'],
      }),
    );
    const policy = await load(g.yaml);
    assert.deepEqual(
      leavesOf(policy.rules[0]!.require).map((l) => (l.kind === 'notation' ? [l.trustStore, l.identity] : [])),
      [
        ['ca:release', 'x509.subject:C=US, ST=WA, O=Example'],
        ['ca:release', 'x509.subject:C=US, ST=WA, O=Other'],
      ],
    );
    const doc = parseTrustPolicy(Buffer.from(JSON.stringify(g.notation)));
    assert.deepEqual(doc.trustPolicies[0]!.registryScopes, ['registry.example.com/team/app']);
    assert.deepEqual(doc.trustPolicies[0]!.trustedIdentities, ['x509.subject:C=US, ST=WA, O=Example', 'x509.subject:C=US, ST=WA, O=Other']);
  });

  it('refuses what cannot be generated', () => {
    assert.throws(() => generatePolicy(options({})), /nothing to require/);
    assert.throws(
      () => generatePolicy(options({ notationIdentities: ['x509.subject: C=US'], cosignKeys: ['k.pub'] })),
      /needs --notation-trust-store/,
    );
    assert.throws(() => generatePolicy(options({ notationTrustStores: ['release'] })), /ca:NAME or signingAuthority:NAME/);
    assert.throws(() => generatePolicy(options({ notationTrustStores: ['ca:x'], notationIdentities: ['C=US'] })), /x509\.subject/);
    const empty = signersOfTags('registry.example.com/team/empty', 'x', []);
    assert.throws(() => generatePolicy(options({ repositories: [empty], keepDct: true })), /no tag is signed/);
  });
});
