/**
 * The offline keyed bundle check (`--key --bundle --insecure-ignore-tlog`) on real bundles
 * from sigstore-js (public-key bundles, message signature and DSSE), and its refusals.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeyedBundleVerifier } from '../../../src/adapters/cosign/keyed-bundle-verifier.js';
import { CosignKeySigner } from '../../../src/adapters/cosign/key-signer.js';
import { isDctError } from '../../../src/core/errors.js';
import type { BundleVerifier } from '../../../src/core/signatures/sigstore-verification.js';
import { readFixture } from '../../support/fixtures.js';

const fx = (...p: string[]) => readFixture('cosign', 'sigstore-js', ...p);
const json = (...p: string[]) => JSON.parse(fx(...p).toString()) as Record<string, unknown>;
const keyPolicy = (pem: string) => ({ kind: 'key' as const, publicKeyPem: pem });
const verifier = new KeyedBundleVerifier();

describe('KeyedBundleVerifier on sigstore-js public-key bundles', () => {
  const msg = () => json('verify-fixtures', 'v0.1-messageSignature-withPublicKey.sigstore.json');
  const msgKey = () => fx('verify-fixtures', 'public-key.pem').toString();
  const artifact = () => ({ bytes: fx('verify-fixtures', 'artifact.txt') });

  it('v0.1 message signature + public-key.pem + artifact.txt: verified, signer is the key', async () => {
    const r = await verifier.verify(msg(), artifact(), keyPolicy(msgKey()), { ignoreTlog: true });
    assert.equal(r.content, 'message-signature');
    assert.equal(r.signer.kind, 'key');
    assert.match(r.signer.keyId ?? '', /^sha256:[0-9a-f]{64}$/);
  });
  it('another artifact: COSIGN_BLOB_DIGEST_MISMATCH', async () => {
    await assert.rejects(
      verifier.verify(msg(), { bytes: Buffer.from('hello, world?') }, keyPolicy(msgKey()), { ignoreTlog: true }),
      (e: unknown) => isDctError(e, 'COSIGN_BLOB_DIGEST_MISMATCH'),
    );
  });
  it('another key: COSIGN_BLOB_SIGNATURE_INVALID', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await assert.rejects(verifier.verify(msg(), artifact(), keyPolicy(other), { ignoreTlog: true }), (e: unknown) =>
      isDctError(e, 'COSIGN_BLOB_SIGNATURE_INVALID'),
    );
  });
  it('v0.1 DSSE with a text/plain payload + key-1.pub: the signature checks, but a non-in-toto payload names no artifact', async () => {
    const bundle = json('client-fixtures', 'v0.1-dsse-withPublicKey.sigstore.json');
    const key = fx('client-fixtures', 'key-1.pub').toString();
    await assert.rejects(
      verifier.verify(bundle, { bytes: Buffer.from('hello, world!') }, keyPolicy(key), { ignoreTlog: true }),
      (e: unknown) => isDctError(e, 'COSIGN_BLOB_DIGEST_MISMATCH'),
    );
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await assert.rejects(
      verifier.verify(bundle, { bytes: Buffer.from('hello, world!') }, keyPolicy(other), { ignoreTlog: true }),
      (e: unknown) => isDctError(e, 'COSIGN_BLOB_SIGNATURE_INVALID'),
    );
  });
  it('a DSSE in-toto statement signed with a key: verified when it names the blob, refused otherwise', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const blob = Buffer.from('the artifact');
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'artifact', digest: { sha256: createHash('sha256').update(blob).digest('hex') } }],
        predicateType: 'https://example.com/p',
        predicate: {},
      }),
    );
    const signed = await new CosignKeySigner(privateKey).sign(
      { kind: 'dsse', payload: statement, payloadType: 'application/vnd.in-toto+json' },
      { tlogUpload: false },
    );
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const r = await verifier.verify(signed.bundle, { bytes: blob }, keyPolicy(pem), { ignoreTlog: true });
    assert.equal(r.content, 'dsse-envelope');
    assert.equal(Buffer.from(r.payload?.bytes ?? []).toString(), statement.toString());
    await assert.rejects(
      verifier.verify(signed.bundle, { bytes: Buffer.from('other') }, keyPolicy(pem), { ignoreTlog: true }),
      (e: unknown) => isDctError(e, 'COSIGN_BLOB_DIGEST_MISMATCH'),
    );
  });
  it('a bundle with a tlog entry, without --insecure-ignore-tlog: handed to the fallback verifier (or refused without one)', async () => {
    await assert.rejects(verifier.verify(msg(), artifact(), keyPolicy(msgKey())), (e: unknown) =>
      isDctError(e, 'COSIGN_VERIFY_UNSUPPORTED'),
    );
    const calls: unknown[] = [];
    const fallback: BundleVerifier = {
      verify: (b, a, p, o) => {
        calls.push([b, a, p, o]);
        return Promise.resolve({ signer: { kind: 'key' }, content: 'message-signature', tlog: [{ logIndex: '1', logId: 'x' }] });
      },
    };
    const r = await new KeyedBundleVerifier(fallback).verify(msg(), artifact(), keyPolicy(msgKey()));
    assert.equal(calls.length, 1);
    assert.equal(r.tlog.length, 1);
  });
  it('a keyless bundle goes to the fallback; a certificate bundle checked with a key that is not its own: COSIGN_BUNDLE_KEY_MISMATCH', async () => {
    const bundle = json('client-fixtures', 'v0.3-messageSignature-withSigningCert.sigstore.json');
    await assert.rejects(
      verifier.verify(
        bundle,
        { bytes: fx('client-fixtures', 'artifact.txt') },
        { kind: 'identity', identity: { exact: 'x' }, issuer: { exact: 'y' } },
      ),
      (e: unknown) => isDctError(e, 'COSIGN_VERIFY_UNSUPPORTED'),
    );
    await assert.rejects(
      verifier.verify(bundle, { bytes: fx('client-fixtures', 'artifact.txt') }, keyPolicy(fx('client-fixtures', 'key-1.pub').toString()), {
        ignoreTlog: true,
      }),
      (e: unknown) => isDctError(e, 'COSIGN_BUNDLE_KEY_MISMATCH'),
    );
  });
  it('not a bundle: COSIGN_BUNDLE_MALFORMED', async () => {
    for (const bad of [
      null,
      42,
      {},
      { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
      { ...msg(), verificationMaterial: null },
    ]) {
      await assert.rejects(verifier.verify(bad, artifact(), keyPolicy(msgKey()), { ignoreTlog: true }), (e: unknown) =>
        isDctError(e, 'COSIGN_BUNDLE_MALFORMED'),
      );
    }
  });
});
