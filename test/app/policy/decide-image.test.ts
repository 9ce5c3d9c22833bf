/**
 * The policy use case over fake ports: it tells the signature sources what the matched rule
 * needs checked (cosign keys and identities, tlog, Notation stores), judges what every format
 * reports on the digest, never throws (bad reference, broken policy, unreachable registry:
 * deny with the reason), and looks at no signature for an image no rule admits.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { PolicyDecider } from '../../../src/app/policy/decide-image.js';
import { signatureNeeds, type SignatureNeeds, type SignatureSources } from '../../../src/app/policy/signature-sources.js';
import { DctError } from '../../../src/core/errors.js';
import { compilePolicy, publicKeyIdOf } from '../../../src/core/policy/compile-policy.js';
import type { TrustPolicy } from '../../../src/core/policy/trust-policy.js';
import type { FormatVerifier, ImageSubject, SignatureReport } from '../../../src/core/signatures/signature-report.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
const NOW = new Date('2026-12-07T06:00:00Z');

const policy: TrustPolicy = compilePolicy({
  version: 1,
  publishers: [{ namespace: 'docker.io/library', signedBy: 'Docker Official Images', repositories: ['alpine'] }],
  rules: [
    {
      name: 'app',
      match: 'registry.example.com/team/*',
      require: {
        atLeast: {
          count: 2,
          of: [
            { dct: { signers: ['releases'] } },
            { cosign: { key: PEM, tlog: false } },
            { cosign: { identity: 'ci@example.com', issuer: 'https://issuer.example.com' } },
            { notation: { trustStore: 'ca:release' } },
          ],
        },
      },
    },
    { name: 'official', match: 'docker.io/library/*', require: { dct: { signers: ['releases'] } } },
  ],
});

function verifier(
  format: SignatureReport['format'],
  reports: (s: ImageSubject) => SignatureReport[],
  seen: ImageSubject[] = [],
): FormatVerifier {
  return {
    format,
    verify: async (s) => {
      seen.push(s);
      return reports(s);
    },
  };
}

function sources(verifiers: FormatVerifier[], calls: SignatureNeeds[] = [], fail?: Error): SignatureSources {
  return {
    open: async (_ref, needs) => {
      calls.push(needs);
      if (fail) throw fail;
      return { tag: 'v1', digest: DIGEST, verifiers, notes: [], close: () => undefined };
    },
  };
}

const fixed = (p: TrustPolicy | Error) => ({ current: async () => (p instanceof Error ? Promise.reject(p) : p) });

describe('PolicyDecider', () => {
  it('tells the sources the rule’s keys, identities, tlog and stores; judges the reports; allows 2 of 4', async () => {
    const calls: SignatureNeeds[] = [];
    const seen: ImageSubject[] = [];
    const decider = new PolicyDecider({
      policy: fixed(policy),
      sources: sources(
        [
          verifier(
            'dct',
            (s) => [
              {
                format: 'dct',
                subject: s.digest,
                verdict: 'verified',
                signer: { kind: 'role', role: 'targets' },
                foundAt: { via: 'tuf', reference: 'x' },
                details: { released: true, tags: ['v1'] },
              },
            ],
            seen,
          ),
          verifier('notation', () => {
            throw new DctError('TIMEOUT', 'registry timed out');
          }),
          verifier('cosign', (s) => [
            {
              format: 'cosign',
              subject: s.digest,
              verdict: 'verified',
              signer: { kind: 'key', keyId: publicKeyIdOf(PEM) },
              foundAt: { via: 'cosign-tag', reference: 'y' },
              details: { tlog: false },
            },
          ]),
        ],
        calls,
      ),
      now: () => NOW,
    });
    const d = await decider.decide('registry.example.com/team/app:v1');
    assert.equal(d.verdict, 'allow', d.reasons.join('\n'));
    // a format that could not look is said even when the rest is enough
    assert.match(d.reasons.join('\n'), /notation: could not look for signatures of sha256:a+: registry timed out/);
    assert.equal(d.digest, DIGEST);
    assert.equal(d.rule, 'app');
    assert.deepEqual(d.requirements?.satisfiedBy, [0, 1]);
    assert.deepEqual(seen, [{ registry: 'registry.example.com', repository: 'team/app', digest: DIGEST, tag: 'v1' }]);
    assert.deepEqual(calls, [
      {
        formats: { dct: true, cosign: true, notation: true },
        cosign: {
          keys: [PEM],
          identities: [{ identity: { exact: 'ci@example.com' }, issuer: { exact: 'https://issuer.example.com' } }],
          ignoreTlog: true,
        },
        notation: { trustStores: ['ca:release'], ownPolicy: false },
      },
    ]);
    assert.deepEqual(signatureNeeds(policy.rules[1]!.require), {
      formats: { dct: true, cosign: false, notation: false },
      cosign: { keys: [], identities: [], ignoreTlog: false },
      notation: { trustStores: [], ownPolicy: false },
    });
  });

  it('a format that cannot look is a reason beside the unmet requirement', async () => {
    const decider = new PolicyDecider({
      policy: fixed(policy),
      sources: sources([
        verifier('cosign', () => {
          throw new DctError('NETWORK_ERROR', 'connection refused');
        }),
      ]),
      now: () => NOW,
    });
    const d = await decider.decide('registry.example.com/team/app:v1');
    assert.equal(d.verdict, 'deny');
    assert.match(d.reasons[0] ?? '', /^rule app: 2 of 4 required, 0 met/);
    assert.match(d.reasons.join('\n'), /cosign: could not look for signatures of sha256:a+: connection refused/);
  });

  it('never throws: a bad reference, a broken policy, a registry that does not answer are denials with the reason', async () => {
    const ok = sources([]);
    const bad = await new PolicyDecider({ policy: fixed(policy), sources: ok, now: () => NOW }).decide('Not A Reference');
    assert.deepEqual([bad.verdict, bad.mode], ['deny', 'enforce']);
    assert.match(bad.reasons[0] ?? '', /^not an image reference: .*\[INVALID_REFERENCE\]/);
    const broken = await new PolicyDecider({
      policy: fixed(new DctError('POLICY_INVALID', 'policy.yaml:3: rules[0].match: missing')),
      sources: ok,
    }).decide('alpine');
    assert.equal(broken.verdict, 'deny');
    assert.match(
      broken.reasons[0] ?? '',
      /the trust policy cannot be loaded: policy\.yaml:3: rules\[0\]\.match: missing \[POLICY_INVALID\]/,
    );
    const down = await new PolicyDecider({
      policy: fixed(policy),
      sources: sources([], [], new DctError('NETWORK_ERROR', 'no route')),
    }).decide('registry.example.com/team/app');
    assert.equal(down.verdict, 'deny');
    assert.equal(down.rule, 'app');
    assert.match(down.reasons[0] ?? '', /could not be collected: no route \[NETWORK_ERROR\]/);
  });

  it('an image no rule matches, or a typosquat of a published namespace, is denied without collecting signatures', async () => {
    const calls: SignatureNeeds[] = [];
    const decider = new PolicyDecider({ policy: fixed(policy), sources: sources([], calls), now: () => NOW });
    const none = await decider.decide('quay.io/x/y:1');
    assert.equal(none.verdict, 'deny');
    const squat = await decider.decide('alpnie:3.20');
    assert.equal(squat.verdict, 'deny');
    assert.deepEqual(squat.suggestions, ['docker.io/library/alpine, signed by Docker Official Images']);
    assert.equal(calls.length, 0);
  });

  it('tells the sources when the policy in force changes (a reload), not before the first policy nor while it stays', async () => {
    let current = policy;
    let changes = 0;
    const decider = new PolicyDecider({
      policy: { current: async () => current },
      sources: { ...sources([]), policyChanged: () => void changes++ },
      now: () => NOW,
    });
    await decider.decide('registry.example.com/team/app:v1');
    await decider.decide('registry.example.com/team/app:v2');
    assert.equal(changes, 0);
    current = compilePolicy({ version: 1, rules: [{ name: 'app', match: 'registry.example.com/team/*', require: { dct: {} } }] });
    await decider.decide('registry.example.com/team/app:v1');
    await decider.decide('registry.example.com/team/app:v1');
    assert.equal(changes, 1);
  });
});

describe('signatureNeeds', () => {
  it('names the formats the requirement names, through anyOf/allOf/atLeast', () => {
    const needs = (require: Record<string, unknown>) =>
      signatureNeeds(compilePolicy({ version: 1, rules: [{ name: 'r', match: 'x.example.com/*', require }] }).rules[0]!.require).formats;
    assert.deepEqual(needs({ cosign: { key: PEM } }), { dct: false, cosign: true, notation: false });
    assert.deepEqual(needs({ notation: {} }), { dct: false, cosign: false, notation: true });
    assert.deepEqual(needs({ anyOf: [{ dct: {} }, { allOf: [{ notation: { trustStore: 'ca:x' } }, { cosign: { key: PEM } }] }] }), {
      dct: true,
      cosign: true,
      notation: true,
    });
  });
});
