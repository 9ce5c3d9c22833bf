/**
 * A memo of verified signatures answers only for exactly the same key, method, signature and
 * message: a byte changed anywhere is verified again (and fails), a bad signature is never
 * remembered, and tampered data never inherits the verdict of the genuine bytes.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRepository } from '../../../src/app/create-repository.js';
import { isDctError } from '../../../src/core/errors.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { signMessage } from '../../../src/core/keys/signature.js';
import { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { VerifiedSignatures } from '../../../src/core/tuf/verified-signatures.js';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

describe('VerifiedSignatures', () => {
  const pair = ec();
  const key = PublicKey.fromKeyObject(pair.publicKey);
  const message = Buffer.from('{"_type":"targets","version":1}');
  const sig = signMessage(pair.privateKey, 'ecdsa', message);

  it('answers the same inputs from the memo, after one verification', () => {
    const memo = new VerifiedSignatures();
    assert.equal(memo.verify(key, 'ecdsa', sig, message), true);
    assert.equal(memo.verify(key, 'ecdsa', Buffer.from(sig), Buffer.from(message)), true);
    assert.deepEqual({ hits: memo.hits, misses: memo.misses }, { hits: 1, misses: 1 });
  });

  it('verifies again, and refuses, a message, signature, key or method that differs by anything', () => {
    const memo = new VerifiedSignatures();
    assert.equal(memo.verify(key, 'ecdsa', sig, message), true);
    for (let at = 0; at < message.length; at += 7)
      assert.equal(memo.verify(key, 'ecdsa', sig, flip(message, at)), false, `message byte ${at}`);
    assert.equal(memo.verify(key, 'ecdsa', sig, Buffer.concat([message, Buffer.from(' ')])), false, 'a longer message');
    for (const at of [0, 31, 32, 63]) assert.equal(memo.verify(key, 'ecdsa', flip(sig, at), message), false, `signature byte ${at}`);
    const other = PublicKey.fromKeyObject(ec().publicKey);
    assert.equal(memo.verify(other, 'ecdsa', sig, message), false, 'another key');
    assert.equal(memo.verify(key, 'eddsa', sig, message), false, 'another method');
    assert.equal(memo.hits, 0);
  });

  it('copies what it remembers: the caller changing its buffers afterwards gains nothing', () => {
    const memo = new VerifiedSignatures();
    const mine = Buffer.from(message);
    const mySig = Buffer.from(sig);
    assert.equal(memo.verify(key, 'ecdsa', mySig, mine), true);
    mine[5] = 0x58;
    assert.equal(memo.verify(key, 'ecdsa', mySig, mine), false);
    assert.equal(memo.hits, 0);
  });

  it('never remembers a bad signature, and verifies past its size', () => {
    const memo = new VerifiedSignatures(1);
    assert.equal(memo.verify(key, 'ecdsa', flip(sig, 3), message), false);
    assert.equal(memo.verify(key, 'ecdsa', flip(sig, 3), message), false);
    const second = Buffer.from('another message');
    const secondSig = signMessage(pair.privateKey, 'ecdsa', second);
    assert.equal(memo.verify(key, 'ecdsa', sig, message), true);
    assert.equal(memo.verify(key, 'ecdsa', secondSig, second), true);
    assert.equal(memo.verify(key, 'ecdsa', secondSig, flip(second, 0)), false);
    assert.equal(memo.verify(key, 'ecdsa', secondSig, second), true);
    assert.equal(memo.hits, 0, 'the second verdict was over the limit: not kept');
  });

  it('through a trusted set: a root changed by one byte after the genuine one verified is refused', async () => {
    const gun = 'example.com/memo';
    const now = new Date();
    const repo = await createRepository({
      gun,
      now,
      rootKey: ec().privateKey,
      targetsKey: ec().privateKey,
      snapshotKey: ec().privateKey,
      timestampKey: PublicKey.fromKeyObject(ec().publicKey),
      targets: {},
    });
    const memo = new VerifiedSignatures();
    new TrustedSet(repo.bytes.root, { gun, now, verified: memo });
    new TrustedSet(repo.bytes.root, { gun, now, verified: memo });
    assert.equal(memo.hits, 1, 'the same root bytes: answered from the memo');
    // the genuine signature over a root changed in one place (its version)
    const text = repo.bytes.root.toString('utf8');
    const tampered = Buffer.from(text.replace('"version":1', '"version":2'), 'utf8');
    assert.notEqual(tampered.toString('utf8'), text);
    assert.throws(
      () => new TrustedSet(tampered, { gun, now, verified: memo }),
      (err) => isDctError(err, 'THRESHOLD_NOT_MET'),
    );
  });
});
