/**
 * The registry formats' verifiers a rule's needs call for (`policyVerifierFactories`): by
 * default cosign and Notation whatever the rule names (their signatures are reported); with
 * `neededOnly` (the admission webhook) only the formats the rule names, each as it needs it.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { policyVerifierFactories, type PolicyVerifierPorts } from '../../../src/app/policy/policy-verifiers.js';
import { signatureNeeds } from '../../../src/app/policy/signature-sources.js';
import { compilePolicy } from '../../../src/core/policy/compile-policy.js';
import type { SignatureRegistry } from '../../../src/core/signatures/signature-registry.js';

const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const ports: PolicyVerifierPorts = {
  bundleVerifier: { verify: () => Promise.reject(new Error('not called')) },
  envelopeVerifier: { verify: () => Promise.reject(new Error('not called')) },
  trustAnchors: () => Promise.reject(new Error('not called')),
  notationTrustPolicy: () => Promise.reject(new Error('not called')),
};
const registry = {} as SignatureRegistry;

const needsOf = (require: Record<string, unknown>) =>
  signatureNeeds(compilePolicy({ version: 1, rules: [{ name: 'r', match: 'x.example.com/*', require }] }).rules[0]!.require);

async function formats(require: Record<string, unknown>, neededOnly?: boolean): Promise<string[]> {
  const made = policyVerifierFactories(needsOf(require), ports, neededOnly !== undefined ? { neededOnly } : {});
  return Promise.all(made.map(async (f) => (await f(registry)).format));
}

describe('policyVerifierFactories', () => {
  it('by default: cosign and Notation (its own trust policy) whatever the rule names', async () => {
    assert.deepEqual(await formats({ cosign: { key: PEM, tlog: false } }), ['cosign', 'notation']);
    assert.deepEqual(await formats({ dct: {} }), ['cosign', 'notation']);
    assert.deepEqual(await formats({ notation: { trustStore: 'ca:release' } }), ['cosign', 'notation']);
  });

  it('neededOnly: only the formats the rule names (none for a DCT rule)', async () => {
    assert.deepEqual(await formats({ cosign: { key: PEM, tlog: false } }, true), ['cosign']);
    assert.deepEqual(await formats({ dct: {} }, true), []);
    // a store named: that store only; no store: notation's own trust policy
    assert.deepEqual(await formats({ notation: { trustStore: 'ca:release' } }, true), ['notation']);
    assert.deepEqual(await formats({ notation: {} }, true), ['notation']);
    assert.deepEqual(
      await formats({ anyOf: [{ notation: { trustStore: 'ca:release' } }, { notation: {} }, { cosign: { key: PEM } }] }, true),
      ['cosign', 'notation', 'notation'],
    );
  });
});
