/**
 * The verify-blob use case over its ports: which policy reaches the BundleVerifier (key or
 * certificate identity), the flags cosign refuses, and the legacy forms checked with the key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { cosignKeyCodec } from '../../../../src/adapters/cosign/cosign-key-codec.js';
import { verifyBlob, type VerifyBlobInput } from '../../../../src/app/cosign/blobs/verify-blob.js';
import { isDctError } from '../../../../src/core/errors.js';
import type { BundleVerifier, SigstorePolicy } from '../../../../src/core/signatures/sigstore-verification.js';

function recordingVerifier(): { verifier: BundleVerifier; policies: SigstorePolicy[]; options: unknown[] } {
  const policies: SigstorePolicy[] = [];
  const options: unknown[] = [];
  return {
    policies,
    options,
    verifier: {
      verify: (_b, _a, policy, opts) => {
        policies.push(policy);
        options.push(opts);
        return Promise.resolve({ signer: { kind: 'certificate', san: 'me@example.com' }, content: 'message-signature', tlog: [] });
      },
    },
  };
}

const bundle = Buffer.from(JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));
const base = (extra: Partial<VerifyBlobInput>): VerifyBlobInput => ({
  artifact: { bytes: Buffer.from('blob') },
  ignoreTlog: false,
  newBundleFormat: true,
  ...extra,
});

describe('verifyBlob', () => {
  it('a Sigstore bundle with identity flags: the identity policy, trusted root and tlog option reach the BundleVerifier', async () => {
    const r = recordingVerifier();
    const out = await verifyBlob(
      base({
        bundle,
        identity: { regexp: '.*@example\\.com' },
        issuer: { exact: 'https://accounts.example.com' },
        trustedRoot: { mediaType: 'x' },
      }),
      { verifier: r.verifier, codec: cosignKeyCodec },
    );
    assert.equal(out.via, 'bundle');
    assert.deepEqual(r.policies, [
      { kind: 'identity', identity: { regexp: '.*@example\\.com' }, issuer: { exact: 'https://accounts.example.com' } },
    ]);
    assert.deepEqual(r.options, [{ ignoreTlog: false, trustedRoot: { mediaType: 'x' } }]);
  });
  it('a Sigstore bundle with --key: the key policy, as SPKI PEM even when the file is PKCS#1', async () => {
    const r = recordingVerifier();
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await verifyBlob(base({ bundle, key: publicKey.export({ format: 'pem', type: 'pkcs1' }) as Buffer, ignoreTlog: true }), {
      verifier: r.verifier,
      codec: cosignKeyCodec,
    });
    assert.deepEqual(r.policies, [{ kind: 'key', publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) }]);
  });
  it('keyless without an identity or an issuer: COSIGN_FLAGS_INVALID with cosign words', async () => {
    const r = recordingVerifier();
    await assert.rejects(verifyBlob(base({ bundle }), { verifier: r.verifier, codec: cosignKeyCodec }), (e: unknown) => {
      assert.ok(isDctError(e, 'COSIGN_FLAGS_INVALID'));
      assert.equal(e.message, '--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode');
      return true;
    });
    await assert.rejects(
      verifyBlob(base({ bundle, identity: { exact: 'a' } }), { verifier: r.verifier, codec: cosignKeyCodec }),
      (e: unknown) => isDctError(e, 'COSIGN_FLAGS_INVALID'),
    );
    assert.equal(r.policies.length, 0);
  });
  it('--key together with --certificate-identity: COSIGN_FLAGS_INVALID', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await assert.rejects(
      verifyBlob(base({ bundle, key: publicKey.export({ format: 'pem', type: 'spki' }) as Buffer, identity: { exact: 'a' } }), {
        verifier: recordingVerifier().verifier,
        codec: cosignKeyCodec,
      }),
      (e: unknown) => isDctError(e, 'COSIGN_FLAGS_INVALID'),
    );
  });
  it('a bare signature: checked with the key (raw or base64), wrong one refused', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = publicKey.export({ format: 'pem', type: 'spki' }) as Buffer;
    const sig = sign('sha256', Buffer.from('blob'), privateKey);
    const ports = { verifier: recordingVerifier().verifier, codec: cosignKeyCodec };
    for (const signature of [sig, Buffer.from(sig.toString('base64'))])
      assert.equal((await verifyBlob(base({ key, signature, ignoreTlog: true, newBundleFormat: false }), ports)).via, 'signature');
    await assert.rejects(
      verifyBlob(base({ key, signature: sig, ignoreTlog: true, newBundleFormat: false, artifact: { bytes: Buffer.from('other') } }), ports),
      (e: unknown) => isDctError(e, 'COSIGN_BLOB_SIGNATURE_INVALID'),
    );
    await assert.rejects(verifyBlob(base({ key, signature: sig, newBundleFormat: false }), ports), (e: unknown) =>
      isDctError(e, 'COSIGN_TLOG_REQUIRED'),
    );
  });
  it('a legacy bundle whose cert is another key: COSIGN_BUNDLE_KEY_MISMATCH', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const legacy = Buffer.from(
      JSON.stringify({
        base64Signature: sign('sha256', Buffer.from('blob'), a.privateKey).toString('base64'),
        cert: Buffer.from(b.publicKey.export({ format: 'pem', type: 'spki' })).toString('base64'),
      }),
    );
    await assert.rejects(
      verifyBlob(base({ key: a.publicKey.export({ format: 'pem', type: 'spki' }) as Buffer, bundle: legacy, ignoreTlog: true }), {
        verifier: recordingVerifier().verifier,
        codec: cosignKeyCodec,
      }),
      (e: unknown) => isDctError(e, 'COSIGN_BUNDLE_KEY_MISMATCH'),
    );
  });
});
