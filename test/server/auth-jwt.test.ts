/**
 * JWT verification for `dct server`'s token auth: good tokens, tampered
 * signatures and claims, other keys, wrong aud/iss, exp/nbf with leeway,
 * algorithm confusion and alg none, malformed tokens, and external issuers
 * (RS256 with a bundle key, ES256 with an x5c chain to a bundle certificate).
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { der } from '../../src/core/der.js';
import { createCertificate, extension, OID } from '../../src/core/keys/certificate.js';
import { parseTrustBundle, TokenVerifier } from '../../src/server/auth/bearer-auth.js';
import { base64url, decodeJwt, signJwt } from '../../src/server/auth/jwt.js';
import { ecKey } from './auth-support.js';

describe('JWT verification', () => {
  const key = ecKey();
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const nowS = now / 1000;
  const verifier = new TokenVerifier({ issuer: 'dct', service: 'trust', keys: [key.publicKey], now: () => now });
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: 'dct',
    sub: 'u',
    aud: 'trust',
    exp: nowS + 300,
    nbf: nowS,
    iat: nowS,
    jti: 'j',
    access: [{ type: 'repository', name: 'g', actions: ['pull'] }],
    ...over,
  });
  const good = (over?: Record<string, unknown>) => signJwt(claims(over), key.privateKey, key.kid);
  const refused = (token: string, pattern: RegExp) =>
    assert.throws(
      () => verifier.verify(token),
      (err: Error) => pattern.test(err.message),
    );

  it('accepts a good token, also without kid and with aud as a list', () => {
    assert.equal(verifier.verify(good()).subject, 'u');
    const [, body, sig] = good().split('.');
    const noKid = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256' }));
    const input = `${noKid}.${body}`;
    const s = cryptoSign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(verifier.verify(`${input}.${base64url(s)}`).subject, 'u');
    assert.ok(sig);
    assert.equal(verifier.verify(good({ aud: ['other', 'trust'] })).subject, 'u');
  });

  it('refuses a tampered signature or tampered claims', () => {
    const token = good();
    const [h, c, s] = token.split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] = (flipped[10] as number) ^ 1;
    refused(`${h}.${c}.${base64url(flipped)}`, /bad signature/);
    const more = base64url(JSON.stringify(claims({ access: [{ type: 'repository', name: 'g', actions: ['*'] }] })));
    refused(`${h}.${more}.${s}`, /bad signature/);
    refused(`${h}.${c}.`, /no signature/);
    // a DER signature instead of r‖s
    const derSig = cryptoSign('sha256', Buffer.from(`${h}.${c}`), { key: key.privateKey, dsaEncoding: 'der' });
    refused(`${h}.${c}.${base64url(derSig)}`, /bad signature/);
  });

  it('refuses a token signed by another key, even one naming our kid', () => {
    const other = ecKey();
    refused(signJwt(claims(), other.privateKey, key.kid), /bad signature/);
    refused(signJwt(claims(), other.privateKey, other.kid), /bad signature/);
  });

  it('refuses the wrong aud or iss', () => {
    refused(good({ aud: 'registry' }), /another audience/);
    refused(good({ aud: ['registry'] }), /another audience/);
    refused(good({ aud: undefined }), /another audience/);
    refused(good({ iss: 'evil' }), /untrusted issuer/);
  });

  it('checks exp and nbf with 60 s of leeway', () => {
    assert.ok(verifier.verify(good({ exp: nowS - 59 })));
    refused(good({ exp: nowS - 61 }), /expired/);
    assert.ok(verifier.verify(good({ nbf: nowS + 59 })));
    refused(good({ nbf: nowS + 61 }), /not valid yet/);
    refused(good({ exp: undefined }), /exp and nbf must be numbers/);
    refused(good({ exp: '9999999999' }), /exp and nbf must be numbers/);
  });

  it('refuses alg none, HS256 keyed with the public key (algorithm confusion), and algorithms that do not fit the key', () => {
    const body = base64url(JSON.stringify(claims()));
    const head = (h: object) => base64url(JSON.stringify(h));
    refused(`${head({ typ: 'JWT', alg: 'none' })}.${body}.`, /algorithm "none" is not accepted/);
    refused(`${head({ typ: 'JWT', alg: 'none', kid: key.kid })}.${body}.${base64url('x')}`, /algorithm "none"/);
    for (const secret of [key.publicKey.export({ format: 'pem', type: 'spki' }), key.publicKey.export({ format: 'der', type: 'spki' })]) {
      const input = `${head({ typ: 'JWT', alg: 'HS256', kid: key.kid })}.${body}`;
      refused(`${input}.${base64url(createHmac('sha256', secret).update(input).digest())}`, /algorithm "HS256" is not accepted/);
    }
    // an EC key's signature presented as ES384 or RS256
    const [, c, s] = good().split('.') as [string, string, string];
    refused(`${head({ typ: 'JWT', alg: 'ES384', kid: key.kid })}.${c}.${s}`, /bad signature/);
    refused(`${head({ typ: 'JWT', alg: 'RS256', kid: key.kid })}.${c}.${s}`, /bad signature/);
    refused(`${head({ typ: 'JWT', alg: 'ES256', crit: ['exp'] })}.${c}.${s}`, /critical/);
  });

  it('refuses malformed tokens', () => {
    for (const t of ['', 'a.b', 'a.b.c.d', '!!.??.##', `${base64url('[]')}.${base64url('{}')}.`, `${base64url('{')}.${base64url('{}')}.`]) {
      assert.throws(() => verifier.verify(t));
    }
    refused(good({ access: 'everything' }), /access must be a list/);
    refused(good({ access: [{ type: 'repository', name: 'g', actions: 'pull' }] }), /malformed access/);
  });

  it('accepts an external issuer: RS256 with a bundle public key, ES256 with an x5c chain to a bundle certificate', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ca = ecKey();
    const leaf = ecKey();
    const t0 = new Date(now - 3600_000);
    const t1 = new Date(now + 3600_000);
    const caPem = createCertificate({
      commonName: 'external CA',
      publicKey: ca.publicKey,
      signingKey: ca.privateKey,
      notBefore: t0,
      notAfter: t1,
      serial: randomBytes(16),
      extensions: [
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x01, 0x06])),
        extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
      ],
    });
    const leafPem = createCertificate({
      commonName: 'external issuer',
      issuerCommonName: 'external CA',
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      notBefore: t0,
      notAfter: t1,
      serial: randomBytes(16),
      extensions: [
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])),
        extension(OID.basicConstraints, true, der.sequence()),
      ],
    });
    const bundle = parseTrustBundle(`${rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string}${caPem}`);
    assert.equal(bundle.keys.length, 2);
    assert.equal(bundle.roots.length, 1);
    const external = new TokenVerifier({ issuer: 'dct', service: 'trust', keys: bundle.keys, roots: bundle.roots, now: () => now });
    const rsToken = signJwt(claims(), rsa.privateKey, 'some-other-kid');
    assert.equal(decodeJwt(rsToken)?.header['alg'], 'RS256');
    assert.equal(external.verify(rsToken).subject, 'u');
    const x5c = [Buffer.from(leafPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64')];
    const input = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c }))}.${base64url(JSON.stringify(claims()))}`;
    const sig = cryptoSign('sha256', Buffer.from(input), { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(external.verify(`${input}.${base64url(sig)}`).subject, 'u');
    // the same chain is refused by a verifier that does not trust the CA
    assert.throws(() => verifier.verify(`${input}.${base64url(sig)}`), /bad signature or untrusted signing key/);
    // a self-made chain (leaf signed by its own key) is refused
    const selfPem = createCertificate({
      commonName: 'x',
      publicKey: leaf.publicKey,
      signingKey: leaf.privateKey,
      notBefore: t0,
      notAfter: t1,
      serial: randomBytes(16),
      extensions: [],
    });
    const selfInput = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [selfPem.replace(/-----[A-Z ]+-----|\s/g, '')] }))}.${base64url(JSON.stringify(claims()))}`;
    const selfSig = cryptoSign('sha256', Buffer.from(selfInput), { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.throws(() => external.verify(`${selfInput}.${base64url(selfSig)}`), /untrusted signing key/);
    assert.throws(() => parseTrustBundle('nothing here'), /no CERTIFICATE or PUBLIC KEY block/);
  });
});
