/**
 * Keyed Sigstore signing: the bundle v0.3 cosign 3 writes for each key type, checked against
 * the key with node:crypto and with the Sigstore bundle library; the Rekor upload failing fast
 * and clearly when Rekor cannot be reached; keyless signing's clean offline failures.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { assertBundle, bundleFromJSON } from '@sigstore/bundle';
import { CosignKeySigner } from '../../../src/adapters/cosign/key-signer.js';
import { KeylessSigner } from '../../../src/adapters/cosign/keyless-signer.js';
import { isDctError } from '../../../src/core/errors.js';
import { countingServer } from '../../support/counting-server.js';

const keys: Record<string, () => KeyObject> = {
  'ECDSA P-256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  'ECDSA P-384': () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
  'ECDSA P-521': () => generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey,
  'RSA 2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  Ed25519: () => generateKeyPairSync('ed25519').privateKey,
};
const expectedHash: Record<string, [string | null, string]> = {
  'ECDSA P-256': ['sha256', 'SHA2_256'],
  'ECDSA P-384': ['sha384', 'SHA2_384'],
  'ECDSA P-521': ['sha512', 'SHA2_512'],
  'RSA 2048': ['sha256', 'SHA2_256'],
  Ed25519: [null, 'SHA2_512'],
};

interface BundleJson {
  mediaType: string;
  verificationMaterial: { publicKey?: { hint: string }; tlogEntries?: unknown[] };
  messageSignature?: { messageDigest: { algorithm: string; digest: string }; signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: Array<{ sig: string }> };
}

/** a loopback port with nothing listening */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('CosignKeySigner without a transparency log', () => {
  const blob = Buffer.from('hello, cosign\n');
  for (const [name, make] of Object.entries(keys)) {
    it(`${name}: a message-signature bundle v0.3 with the key's hint, no tlog entry`, async () => {
      const key = make();
      const pub = createPublicKey(key);
      const result = await new CosignKeySigner(key).sign({ kind: 'message', bytes: blob }, { tlogUpload: false });
      const b = result.bundle as BundleJson;
      assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.equal(
        b.verificationMaterial.publicKey?.hint,
        createHash('sha256')
          .update(pub.export({ format: 'der', type: 'spki' }))
          .digest('base64'),
      );
      assert.equal(b.verificationMaterial.tlogEntries, undefined);
      const [hash, proto] = expectedHash[name] as [string | null, string];
      assert.equal(b.messageSignature?.messageDigest.algorithm, proto);
      assert.equal(
        b.messageSignature?.messageDigest.digest,
        createHash(hash ?? 'sha512')
          .update(blob)
          .digest('base64'),
      );
      const sig = Buffer.from(b.messageSignature?.signature ?? '', 'base64');
      assert.ok(sig.equals(Buffer.from(result.signature)));
      assert.ok(verify(hash, blob, pub, sig));
      assert.ok(!verify(hash, Buffer.from('hello, cosign!\n'), pub, sig));
      assert.equal(result.publicKeyPem, pub.export({ format: 'pem', type: 'spki' }));
      assertBundle(bundleFromJSON(b));
    });
  }
  it('DSSE: the signature is over the PAE of the payload', async () => {
    const key = keys['ECDSA P-256']?.() as KeyObject;
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const result = await new CosignKeySigner(key).sign(
      { kind: 'dsse', payload, payloadType: 'application/vnd.in-toto+json' },
      { tlogUpload: false },
    );
    const env = (result.bundle as BundleJson).dsseEnvelope;
    assert.ok(env);
    assert.equal(Buffer.from(env.payload, 'base64').toString(), payload.toString());
    const pae = Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${payload.length} `), payload]);
    assert.ok(verify('sha256', pae, createPublicKey(key), Buffer.from(env.signatures[0]?.sig ?? '', 'base64')));
    assertBundle(bundleFromJSON(result.bundle));
  });
});

describe('CosignKeySigner with the transparency log', () => {
  it('a Rekor that cuts every connection is tried once: COSIGN_TLOG_UPLOAD_FAILED', async () => {
    const rekor = await countingServer('reset');
    try {
      const signer = new CosignKeySigner(keys['ECDSA P-256']?.() as KeyObject, { rekorUrl: rekor.url, timeoutMs: 5000 });
      await assert.rejects(signer.sign({ kind: 'message', bytes: Buffer.from('x') }, { tlogUpload: true }), (err: unknown) => {
        assert.ok(isDctError(err, 'COSIGN_TLOG_UPLOAD_FAILED'));
        assert.match(err.message, new RegExp(rekor.url.replace(/[.]/g, '\\.')));
        assert.match(err.message, /--tlog-upload=false/);
        return true;
      });
      assert.equal(rekor.connections, 1, 'no retries against a dead Rekor');
    } finally {
      await rekor.close();
    }
  });
  for (const name of ['ECDSA P-384', 'Ed25519']) {
    it(`${name}: refused before any upload (the Rekor client logs SHA-256 digests only)`, async () => {
      const signer = new CosignKeySigner(keys[name]?.() as KeyObject, { rekorUrl: 'http://127.0.0.1:9' });
      await assert.rejects(signer.sign({ kind: 'message', bytes: Buffer.from('x') }, { tlogUpload: true }), (err: unknown) =>
        isDctError(err, 'COSIGN_TLOG_UNSUPPORTED_KEY'),
      );
    });
  }
});

describe('KeylessSigner', () => {
  it('without an identity token: COSIGN_IDENTITY_TOKEN_REQUIRED, nothing contacted', async () => {
    await assert.rejects(
      new KeylessSigner({ fulcioUrl: 'http://127.0.0.1:9' }).sign({ kind: 'message', bytes: Buffer.from('x') }, { tlogUpload: true }),
      (e: unknown) => isDctError(e, 'COSIGN_IDENTITY_TOKEN_REQUIRED'),
    );
  });
  it('with --tlog-upload=false: refused (keyless signatures must be logged)', async () => {
    await assert.rejects(
      new KeylessSigner({ identityToken: 'a.b.c' }).sign({ kind: 'message', bytes: Buffer.from('x') }, { tlogUpload: false }),
      (e: unknown) => isDctError(e, 'COSIGN_KEYLESS_FAILED'),
    );
  });
  it('offline (Fulcio unreachable): COSIGN_KEYLESS_FAILED, the token never in the message', async () => {
    const port = await deadPort();
    const claims = Buffer.from(
      JSON.stringify({ sub: 'someone@example.com', iss: 'https://issuer.example', email: 'someone@example.com' }),
    ).toString('base64url');
    const token = `eyJhbGciOiJub25lIn0.${claims}.c2lnbmF0dXJl`;
    const signer = new KeylessSigner({
      identityToken: token,
      fulcioUrl: `http://127.0.0.1:${port}`,
      rekorUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 5000,
    });
    await assert.rejects(signer.sign({ kind: 'message', bytes: Buffer.from('x') }, { tlogUpload: true }), (e: unknown) => {
      assert.ok(isDctError(e, 'COSIGN_KEYLESS_FAILED'));
      assert.ok(!e.message.includes(token) && !e.message.includes(claims));
      return true;
    });
  });
  it('a token that is not a JWT: COSIGN_KEYLESS_FAILED without echoing it', async () => {
    const signer = new KeylessSigner({ identityToken: 'secret-not-a-jwt', fulcioUrl: 'http://127.0.0.1:9' });
    await assert.rejects(signer.sign({ kind: 'message', bytes: Buffer.from('x') }, { tlogUpload: true }), (e: unknown) => {
      assert.ok(isDctError(e, 'COSIGN_KEYLESS_FAILED'));
      assert.ok(!e.message.includes('secret-not-a-jwt'), e.message);
      return true;
    });
  });
});
