/**
 * Parsers of outside bytes under generated input: the trust policy, distinguished names,
 * `signingkeys.json` and certificate files either parse or refuse with a DctError — never
 * another exception — and a valid policy mutated field by field never slips through unchecked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isDctError } from '../../../src/core/errors.js';
import { parseDistinguishedName } from '../../../src/core/notation/distinguished-name.js';
import { parseSigningKeys } from '../../../src/core/notation/signing-keys.js';
import { parseTrustPolicy, selectStatement } from '../../../src/core/notation/trust-policy.js';
import { parseCertificateFile } from '../../../src/core/notation/trusted-certificates.js';
import { readFixture } from '../../support/fixtures.js';

function onlyDctErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    assert.ok(isDctError(err), `not a DctError: ${String(err)}`);
  }
}

const json = fc.jsonValue({ maxDepth: 4 });
const base = JSON.parse(
  readFixture('notation', 'notation-cli', 'trustpolicies', 'multi_statements_with_wildcard_registry_scope_trustpolicy.json').toString(),
) as {
  trustPolicies: Array<Record<string, unknown>>;
};

describe('hostile input', () => {
  it('trust policies: random JSON, random bytes and mutated valid policies parse or refuse with a DctError', () => {
    fc.assert(
      fc.property(json, (v) => onlyDctErrors(() => parseTrustPolicy(Buffer.from(JSON.stringify(v) ?? 'null')))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyDctErrors(() => parseTrustPolicy(b))),
      { numRuns: 300 },
    );
    const fields = ['name', 'registryScopes', 'signatureVerification', 'trustStores', 'trustedIdentities'];
    fc.assert(
      fc.property(fc.constantFrom(...fields), json, fc.string({ maxLength: 80 }), (field, value, reference) => {
        const doc = structuredClone(base);
        (doc.trustPolicies[0] as Record<string, unknown>)[field] = value;
        onlyDctErrors(() => {
          const parsed = parseTrustPolicy(Buffer.from(JSON.stringify(doc)));
          onlyDctErrors(() => selectStatement(parsed, reference));
        });
      }),
      { numRuns: 400 },
    );
  });
  it('distinguished names: any string parses or refuses with NOTATION_DN_INVALID', () => {
    const dnish = fc.stringMatching(/^[A-Za-z=,;+\\"# 0-9.]{0,40}$/);
    fc.assert(
      fc.property(fc.oneof(dnish, fc.string({ maxLength: 60 })), (s) => {
        try {
          const dn = parseDistinguishedName(s);
          assert.ok(dn['C'] && dn['ST'] && dn['O']);
        } catch (err) {
          assert.ok(isDctError(err, 'NOTATION_DN_INVALID'), String(err));
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('signingkeys.json and certificate files: random input refuses with a DctError', () => {
    fc.assert(
      fc.property(json, (v) => onlyDctErrors(() => parseSigningKeys(Buffer.from(JSON.stringify(v) ?? 'null')))),
      { numRuns: 300 },
    );
    const der = readFixture('notation', 'notation-core-go', 'x509', 'der.der');
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const copy = Buffer.from(der);
        copy[at] = byte;
        onlyDctErrors(() => parseCertificateFile(copy));
        onlyDctErrors(() => parseCertificateFile(copy.subarray(0, at)));
      }),
      { numRuns: 300 },
    );
  });
});
