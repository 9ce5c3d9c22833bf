/**
 * A token-signing certificate bundle (`rootcertbundle`, `dct server --auth-root-cert-bundle`)
 * that holds no key or a block that does not parse is refused with INVALID_CONFIG, naming the
 * file, as every other bad server setting is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrustBundle } from '../../../src/server/auth/bearer-auth.js';

const FILE = 'conf/token-bundle.pem';

describe('parseTrustBundle refusals', () => {
  it('a bundle without CERTIFICATE or PUBLIC KEY blocks: INVALID_CONFIG naming the file', () => {
    assert.throws(
      () => parseTrustBundle('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', FILE),
      (err: Error & { code?: string }) =>
        err.code === 'INVALID_CONFIG' && err.message.includes(FILE) && /no CERTIFICATE or PUBLIC KEY block/.test(err.message),
    );
  });

  it('a CERTIFICATE block that does not parse: INVALID_CONFIG naming the file and the block', () => {
    assert.throws(
      () => parseTrustBundle('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n', FILE),
      (err: Error & { code?: string }) =>
        err.code === 'INVALID_CONFIG' && err.message.includes(FILE) && err.message.includes('cannot parse a CERTIFICATE block'),
    );
  });

  it('a PUBLIC KEY block that does not parse: INVALID_CONFIG naming the file and the block', () => {
    assert.throws(
      () => parseTrustBundle('-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n', FILE),
      (err: Error & { code?: string }) =>
        err.code === 'INVALID_CONFIG' && err.message.includes(FILE) && err.message.includes('cannot parse a PUBLIC KEY block'),
    );
  });
});
