/**
 * Keyless signing needs Fulcio, Rekor and a TSA on the network; there is none here, so these
 * tests prove that signing fails fast and cleanly with a code when the services cannot be
 * reached, and that bad tokens and configs are refused before any request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signBundle } from '../../../src/adapters/sigstore/bundle-signer.js';
import { isDctError } from '../../../src/core/errors.js';
import { countingServer } from '../../support/counting-server.js';
import { signingConfigAt } from '../../support/signing-config.js';

/** An unsigned JWT with the claims Fulcio's client reads. */
export function fakeIdentityToken(): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: 'https://issuer.example', sub: 'signer@example.com', email: 'signer@example.com', email_verified: true, aud: 'sigstore', exp: 4102444800 })}.c2ln`;
}

describe('signBundle without the network', () => {
  for (const inTotoStatement of [false, true]) {
    it(`${inTotoStatement ? 'DSSE' : 'message signature'}: a Fulcio that cuts every connection is tried once, then SIGSTORE_SIGNING_FAILED`, async () => {
      const fulcio = await countingServer('reset');
      try {
        await assert.rejects(
          signBundle({
            content: Buffer.from(inTotoStatement ? '{"_type":"https://in-toto.io/Statement/v1","subject":[]}' : 'hello'),
            inTotoStatement,
            identityToken: fakeIdentityToken(),
            signingConfig: signingConfigAt(fulcio.url),
            timeoutMs: 2000,
          }),
          (err: unknown) =>
            isDctError(err, 'SIGSTORE_SIGNING_FAILED') && /CA_CREATE_SIGNING_CERTIFICATE_ERROR|ECONNRESET|socket|fetch/i.test(err.message),
        );
        assert.equal(fulcio.connections, 1, 'one attempt, no retries');
      } finally {
        await fulcio.close();
      }
    });
  }

  it('a token whose email the issuer did not verify is refused, and the token is not repeated in the message', async () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const token = `${part({ alg: 'RS256' })}.${part({ iss: 'https://accounts.google.com', email: 'a@example.com', email_verified: false })}.c2ln`;
    await assert.rejects(
      signBundle({
        content: Buffer.from('x'),
        inTotoStatement: false,
        identityToken: token,
        signingConfig: signingConfigAt('http://127.0.0.1:9'),
      }),
      (err: unknown) => isDctError(err, 'SIGSTORE_SIGNING_CONFIG_INVALID') && !err.message.includes(token),
    );
  });

  it('a token that is not a JWT is refused before any request (SIGSTORE_SIGNING_CONFIG_INVALID)', () =>
    assert.rejects(
      signBundle({
        content: Buffer.from('x'),
        inTotoStatement: false,
        identityToken: 'not-a-token',
        signingConfig: signingConfigAt('http://127.0.0.1:9'),
      }),
      (err: unknown) => isDctError(err, 'SIGSTORE_SIGNING_CONFIG_INVALID'),
    ));

  it('a signing config without a CA is refused (SIGSTORE_SIGNING_CONFIG_INVALID)', () =>
    assert.rejects(
      signBundle({
        content: Buffer.from('x'),
        inTotoStatement: false,
        identityToken: fakeIdentityToken(),
        signingConfig: { ...(signingConfigAt('http://127.0.0.1:9') as object), caUrls: [] },
      }),
      (err: unknown) => isDctError(err, 'SIGSTORE_SIGNING_CONFIG_INVALID') && /No valid CA/.test(err.message),
    ));
});
