/**
 * The policy's decision over made-up SignatureReports: each leaf's signer match (DCT role,
 * name, key, freshness; cosign key ID and keyless identity, transparency log; Notation store
 * and subject), the combinators (anyOf, allOf, m-of-n across formats), the modes, the default
 * deny, typosquatting, and an index judged through its platforms.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { compilePolicy, publicKeyIdOf } from '../../../src/core/policy/compile-policy.js';
import { evaluatePolicy, type DigestReports, type PolicyInput } from '../../../src/core/policy/evaluate-policy.js';
import { editDistance } from '../../../src/core/policy/typosquatting.js';
import type { SignatureReport } from '../../../src/core/signatures/signature-report.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NOW = new Date('2026-12-07T06:00:00Z');
const pem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
const RELEASE_PEM = pem();
const OTHER_PEM = pem();
const RELEASE_ID = publicKeyIdOf(RELEASE_PEM);
const DCT_KEY = 'b'.repeat(64);

const dct = (role: string, extra: Partial<SignatureReport> = {}, tags = ['v1']): SignatureReport => ({
  format: 'dct',
  subject: DIGEST,
  verdict: 'verified',
  signer: { kind: 'role', role, name: role === 'targets' || role === 'targets/releases' ? 'Repo Admin' : role.slice(8), keyId: DCT_KEY },
  foundAt: { via: 'tuf', reference: 'https://notary.example.com r.example.com/app' },
  details: { tags, released: role === 'targets' || role === 'targets/releases', keyIds: [DCT_KEY] },
  ...extra,
});
const cosignKey = (keyId: string, tlog = true, extra: Partial<SignatureReport> = {}): SignatureReport => ({
  format: 'cosign',
  subject: DIGEST,
  verdict: 'verified',
  signer: { kind: 'key', keyId },
  foundAt: { via: 'referrers-api', reference: `r.example.com/app@sha256:${'c'.repeat(64)}` },
  details: { layout: 'bundle', tlog },
  ...extra,
});
const keyless = (san: string, issuer: string): SignatureReport => ({
  format: 'cosign',
  subject: DIGEST,
  verdict: 'verified',
  signer: { kind: 'certificate', san, issuer, keyId: `sha256:${'d'.repeat(64)}` },
  foundAt: { via: 'cosign-tag', reference: `r.example.com/app:sha256-${'a'.repeat(64)}.sig` },
  details: { tlog: true },
});
const notation = (subject: string, store?: string, verdict: SignatureReport['verdict'] = 'verified'): SignatureReport => ({
  format: 'notation',
  subject: DIGEST,
  verdict,
  signer: { kind: 'certificate', subject, keyId: `sha256:${'e'.repeat(64)}` },
  foundAt: { via: 'referrers-api', reference: `r.example.com/app@sha256:${'f'.repeat(64)}` },
  details: store ? { trustStore: store } : {},
});
const failed = (format: SignatureReport['format']): SignatureReport => ({
  format,
  subject: DIGEST,
  verdict: 'failed',
  code: 'SIGNATURE_SUBJECT_MISMATCH',
  reason: 'tampered',
  signer: format === 'cosign' ? { kind: 'key', keyId: RELEASE_ID } : { kind: 'role', role: 'targets/releases', keyId: DCT_KEY },
  foundAt: { via: 'tuf', reference: 'x' },
  details: { tlog: true, tags: ['v1'], released: true },
});

const DN = 'CN=release.example,O=Example,L=Seattle,ST=WA,C=US';

function policyWith(require: unknown, mode = 'enforce', more: Record<string, unknown> = {}) {
  return compilePolicy({ version: 1, rules: [{ name: 'app', match: 'r.example.com/*', mode, require }], ...more });
}
function input(reports: SignatureReport[], over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    image: 'r.example.com/app:v1',
    name: 'r.example.com/app',
    tag: 'v1',
    digest: DIGEST,
    digests: [{ digest: DIGEST, kind: 'image', reports }],
    now: NOW,
    ...over,
  };
}
const decide = (require: unknown, reports: SignatureReport[], mode = 'enforce') =>
  evaluatePolicy(policyWith(require, mode), input(reports));

describe('leaves: a report satisfies a leaf only when verified and signed by the one named', () => {
  it('dct: signers (releases = a released role; a name = targets/<name>), roles, keys, fresh', () => {
    assert.equal(decide({ dct: { signers: ['releases'] } }, [dct('targets/releases')]).verdict, 'allow');
    assert.equal(decide({ dct: { signers: ['releases'] } }, [dct('targets')]).verdict, 'allow');
    assert.equal(decide({ dct: { signers: ['releases'] } }, [dct('targets/alice')]).verdict, 'deny');
    assert.equal(decide({ dct: { signers: ['alice'] } }, [dct('targets/alice')]).verdict, 'allow');
    assert.equal(decide({ dct: { roles: ['targets/alice'] } }, [dct('targets/bob')]).verdict, 'deny');
    assert.equal(decide({ dct: { keys: [DCT_KEY] } }, [dct('targets')]).verdict, 'allow');
    assert.equal(decide({ dct: { keys: ['0'.repeat(64)] } }, [dct('targets')]).verdict, 'deny');
    // fields AND: the right signer with the wrong key is not enough
    assert.equal(decide({ dct: { signers: ['releases'], keys: ['0'.repeat(64)] } }, [dct('targets')]).verdict, 'deny');
    // fresh: the tag asked for must be one DCT signs for the digest
    assert.equal(decide({ dct: { fresh: true } }, [dct('targets', {}, ['v1', 'latest'])]).verdict, 'allow');
    const stale = decide({ dct: { fresh: true } }, [dct('targets', {}, ['v0'])]);
    assert.equal(stale.verdict, 'deny');
    assert.match(stale.reasons.join('\n'), /tag fresh through TUF/);
    assert.equal(decide({ dct: { signers: ['releases'] } }, [failed('dct')]).verdict, 'deny', 'a failed report satisfies nothing');
  });

  it('cosign: the key ID of the policy key (sha256 of its SPKI), the transparency log unless tlog: false, keyless SAN and issuer', () => {
    assert.equal(decide({ cosign: { key: RELEASE_PEM } }, [cosignKey(RELEASE_ID)]).verdict, 'allow');
    assert.equal(decide({ cosign: { key: OTHER_PEM } }, [cosignKey(RELEASE_ID)]).verdict, 'deny');
    assert.equal(decide({ cosign: { key: RELEASE_PEM } }, [cosignKey(RELEASE_ID, false)]).verdict, 'deny', 'no tlog entry');
    assert.equal(decide({ cosign: { key: RELEASE_PEM, tlog: false } }, [cosignKey(RELEASE_ID, false)]).verdict, 'allow');
    assert.equal(decide({ cosign: { key: RELEASE_PEM } }, [failed('cosign')]).verdict, 'deny');
    const id = { identity: 'ci@example.com', issuer: 'https://accounts.example.com' };
    assert.equal(decide({ cosign: id }, [keyless('ci@example.com', 'https://accounts.example.com')]).verdict, 'allow');
    assert.equal(decide({ cosign: id }, [keyless('ci@example.com', 'https://evil.example.com')]).verdict, 'deny');
    assert.equal(decide({ cosign: id }, [keyless('mallory@example.com', 'https://accounts.example.com')]).verdict, 'deny');
    const re = { identityRegexp: '^https://github\\.com/acme/', issuerRegexp: 'token\\.actions' };
    assert.equal(
      decide({ cosign: re }, [
        keyless('https://github.com/acme/app/.github/workflows/r.yml@refs/heads/main', 'https://token.actions.githubusercontent.com'),
      ]).verdict,
      'allow',
    );
    assert.equal(
      decide({ cosign: re }, [keyless('https://github.com/evil/acme/x', 'https://token.actions.githubusercontent.com')]).verdict,
      'deny',
    );
  });

  it('notation: the trust store the report was verified against, the subject DN holding every attribute of the identity', () => {
    assert.equal(decide({ notation: { trustStore: 'ca:release' } }, [notation(DN, 'ca:release')]).verdict, 'allow');
    assert.equal(decide({ notation: { trustStore: 'ca:release' } }, [notation(DN, 'ca:other')]).verdict, 'deny');
    assert.equal(decide({ notation: { trustStore: 'ca:release' } }, [notation(DN)]).verdict, 'deny');
    assert.equal(decide({ notation: { identity: 'x509.subject: C=US, ST=WA, O=Example' } }, [notation(DN)]).verdict, 'allow');
    assert.equal(decide({ notation: { identity: 'x509.subject: C=US, ST=WA, O=Other' } }, [notation(DN)]).verdict, 'deny');
    assert.equal(decide({ notation: {} }, [notation(DN, undefined, 'skipped')]).verdict, 'deny', 'skipped is not verified');
  });
});

describe('combinators', () => {
  const three = [{ dct: { signers: ['releases'] } }, { cosign: { key: RELEASE_PEM } }, { notation: { trustStore: 'ca:release' } }];

  it('anyOf, allOf', () => {
    assert.equal(decide({ anyOf: three }, [notation(DN, 'ca:release')]).verdict, 'allow');
    assert.equal(decide({ anyOf: three }, [notation(DN, 'ca:other')]).verdict, 'deny');
    assert.equal(decide({ allOf: three }, [dct('targets'), cosignKey(RELEASE_ID), notation(DN, 'ca:release')]).verdict, 'allow');
    const missing = decide({ allOf: three }, [dct('targets'), cosignKey(RELEASE_ID)]);
    assert.equal(missing.verdict, 'deny');
    assert.match(missing.reasons[0] ?? '', /all of 3 required, 2 met/);
    assert.match(missing.reasons.join('\n'), /notation: trust store ca:release: no notation signature found/);
  });

  it('m-of-n across formats, with which report satisfied which leaf', () => {
    const reports = [dct('targets/releases'), cosignKey(publicKeyIdOf(OTHER_PEM)), notation(DN, 'ca:release')];
    const d = decide({ atLeast: { count: 2, of: three } }, reports);
    assert.equal(d.verdict, 'allow');
    assert.equal(d.requirements?.requirement, '2 of 3');
    assert.deepEqual(
      d.requirements?.children?.map((c) => [c.satisfied, c.satisfiedBy]),
      [
        [true, [0]],
        [false, []],
        [true, [2]],
      ],
    );
    assert.deepEqual(d.requirements?.satisfiedBy, [0, 2]);
    const one = decide({ atLeast: { count: 2, of: three } }, [dct('targets/releases'), failed('cosign')]);
    assert.equal(one.verdict, 'deny');
    assert.match(one.reasons[0] ?? '', /^rule app: 2 of 3 required, 1 met/);
    assert.match(one.reasons.join('\n'), /failed \[SIGNATURE_SUBJECT_MISMATCH\]: tampered/);
    // nested: the release key via DCT and the security team via cosign, or both notation stores
    const nested = {
      anyOf: [{ allOf: [three[0], three[1]] }, { allOf: [{ notation: { trustStore: 'ca:a' } }, { notation: { trustStore: 'ca:b' } }] }],
    };
    assert.equal(decide(nested, [notation(DN, 'ca:a'), notation(DN, 'ca:b')]).verdict, 'allow');
    assert.equal(decide(nested, [notation(DN, 'ca:a'), cosignKey(RELEASE_ID)]).verdict, 'deny');
  });
});

describe('modes and the default deny', () => {
  it('warn lets a deny through with warnings; audit lets it through silently; enforce refuses', () => {
    const req = { cosign: { key: RELEASE_PEM } };
    const enforce = decide(req, [], 'enforce');
    assert.deepEqual([enforce.verdict, enforce.mode, enforce.warnings.length], ['deny', 'enforce', 0]);
    const warn = decide(req, [], 'warn');
    assert.deepEqual([warn.verdict, warn.mode], ['allow', 'warn']);
    assert.match(warn.warnings[0] ?? '', /^r\.example\.com\/app:v1: rule app: cosign: key/);
    assert.match(warn.reasons.join('\n'), /warn mode: allowed with a warning/);
    const audit = decide(req, [], 'audit');
    assert.deepEqual([audit.verdict, audit.mode, audit.warnings], ['allow', 'audit', []]);
    assert.match(audit.reasons.join('\n'), /audit mode/);
    const met = decide(req, [cosignKey(RELEASE_ID)], 'warn');
    assert.deepEqual([met.verdict, met.warnings], ['allow', []]);
    assert.equal(met.rule, 'app');
    assert.equal(met.decidedAt, NOW.toISOString());
  });

  it('an image no rule matches is denied, whatever its signatures, in the default mode', () => {
    const policy = policyWith({ dct: {} });
    const d = evaluatePolicy(policy, input([dct('targets')], { image: 'other.example.com/app', name: 'other.example.com/app' }));
    assert.deepEqual([d.verdict, d.mode, d.rule], ['deny', 'enforce', undefined]);
    assert.match(d.reasons[0] ?? '', /no rule of the policy matches other\.example\.com\/app \(default deny\)/);
    const audit = evaluatePolicy(
      policyWith({ dct: {} }, 'enforce', { defaults: { mode: 'audit' } }),
      input([], { name: 'other.example.com/app' }),
    );
    assert.equal(audit.verdict, 'allow');
  });

  it('an unresolved digest is denied with the problem', () => {
    const d = evaluatePolicy(policyWith({ dct: {} }), input([], { digests: [], problems: ['registry down'], digest: undefined }));
    assert.deepEqual([d.verdict, d.reasons], ['deny', ['registry down']]);
  });
});

describe('typosquatting', () => {
  const policy = compilePolicy({
    version: 1,
    publishers: [{ namespace: 'docker.io/library', signedBy: 'Docker Official Images (DCT releases)', repositories: ['alpine', 'nginx'] }],
    rules: [
      { name: 'official', match: 'docker.io/library/*', require: { dct: { signers: ['releases'] } } },
      { name: 'app', match: 'registry.example.com/team/app', require: { cosign: { key: RELEASE_PEM } } },
    ],
  });

  it('edit distance counts a transposition as one edit', () => {
    assert.equal(editDistance('alpine', 'alpnie'), 1);
    assert.equal(editDistance('alpine', 'alpine'), 0);
    assert.equal(editDistance('alpine', 'apline'), 1);
    assert.equal(editDistance('alpine', 'xlpinex'), 2);
  });

  it('an unknown repository of a publisher’s namespace is refused, naming the near trusted name and its signer, even when signed', () => {
    const d = evaluatePolicy(policy, input([dct('targets')], { image: 'alpnie', name: 'docker.io/library/alpnie' }));
    assert.equal(d.verdict, 'deny');
    assert.equal(d.rule, 'official');
    assert.deepEqual(d.suggestions, ['docker.io/library/alpine, signed by Docker Official Images (DCT releases)']);
    assert.match(
      d.reasons[0] ?? '',
      /docker\.io\/library\/alpnie is not a repository docker\.io\/library publishes .*did you mean docker\.io\/library\/alpine/,
    );
    assert.equal(evaluatePolicy(policy, input([dct('targets')], { image: 'alpine', name: 'docker.io/library/alpine' })).verdict, 'allow');
  });

  it('an image no rule matches gets the near names of rules too; far names get none', () => {
    const near = evaluatePolicy(policy, input([], { image: 'registry.example.com/team/ap', name: 'registry.example.com/team/ap' }));
    assert.equal(near.verdict, 'deny');
    assert.equal(near.suggestions?.length, 1);
    assert.match(near.suggestions?.[0] ?? '', /^registry\.example\.com\/team\/app, signed by cosign: key .* \(rule app\)$/);
    const ns = evaluatePolicy(policy, input([], { name: 'docker.io/libary/nginx' }));
    assert.match(ns.suggestions?.[0] ?? '', /^docker\.io\/library\/nginx/);
    const far = evaluatePolicy(policy, input([], { name: 'quay.io/someone/else' }));
    assert.equal(far.suggestions, undefined);
  });
});

describe('an index', () => {
  const idx = `sha256:${'1'.repeat(64)}`;
  const amd = `sha256:${'2'.repeat(64)}`;
  const arm = `sha256:${'3'.repeat(64)}`;
  const at = (digest: string, r: SignatureReport): SignatureReport => ({ ...r, subject: digest });
  const digests = (armSigned: boolean): DigestReports[] => [
    { digest: idx, kind: 'index', reports: [] },
    { digest: amd, kind: 'platform', platform: 'linux/amd64', reports: [at(amd, cosignKey(RELEASE_ID))] },
    { digest: arm, kind: 'platform', platform: 'linux/arm64', reports: armSigned ? [at(arm, cosignKey(RELEASE_ID))] : [] },
  ];
  it('meets the requirement through every platform manifest when its own signatures do not', () => {
    const policy = policyWith({ cosign: { key: RELEASE_PEM } });
    const all = evaluatePolicy(policy, input([], { digest: idx, digests: digests(true) }));
    assert.equal(all.verdict, 'allow');
    assert.deepEqual(all.requirements?.satisfiedBy, [0, 1]);
    assert.match(all.requirements?.requirement ?? '', /^every platform manifest of the index/);
    assert.equal(evaluatePolicy(policy, input([], { digest: idx, digests: digests(false) })).verdict, 'deny');
  });
});
