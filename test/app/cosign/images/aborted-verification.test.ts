/**
 * dct's cosign verifier under an aborted signal (the admission webhook's deadline), against a
 * registry that holds every answer until released: the reads in flight get the abort, no read
 * starts after it, verify rejects with ABORTED, and no rejection is left unhandled. The bounded
 * reads of the bundles and payloads stop on their own too (given a registry that ignores the signal).
 */
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { describe, it } from 'node:test';
import { KeyedBundleVerifier } from '../../../../src/adapters/cosign/keyed-bundle-verifier.js';
import { CosignFormatVerifier } from '../../../../src/app/cosign/cosign-format-verifier.js';
import type { CosignImage } from '../../../../src/app/cosign/cosign-image.js';
import { findBundleReferrers, loadBundles, READ_CONCURRENCY, readLegacySignatures } from '../../../../src/app/cosign/find-signatures.js';
import { signImage } from '../../../../src/app/cosign/sign-image.js';
import { legacySignatureTag } from '../../../../src/core/cosign/legacy-signatures.js';
import { withImage } from '../../notation/notation-doubles.js';
import { HeldRegistry, settled } from './held-registry.js';
import { abortWhileHeld, unhandledRejections } from './abort-checks.js';
import { TestKeySigner } from './test-key-signer.js';

const signer = TestKeySigner.generate();
const SIGNATURES = READ_CONCURRENCY + 2;

/** An image with more bundles and legacy signatures than are read at once (reads wait their turn), behind a HeldRegistry. */
async function signedImage() {
  const { registry: inner, image: pushed } = withImage(true);
  const plain: CosignImage = {
    registry: inner,
    registryHost: 'registry.test',
    repo: 'app',
    repository: 'registry.test/app',
    reference: 'v1',
  };
  for (let i = 0; i < SIGNATURES; i++) {
    await signImage({ image: plain, signer, format: 'bundle', tlogUpload: false, annotations: { n: String(i) } });
    await signImage({ image: plain, signer, format: 'legacy', tlogUpload: false, annotations: { n: String(i) } });
  }
  const held = new HeldRegistry(inner);
  return { inner, held, digest: pushed.digest, image: { ...plain, registry: held, reference: pushed.digest } };
}

describe('an aborted cosign verification', () => {
  const unhandled = unhandledRejections();

  it('aborts the reads in flight, starts none after, and rejects with ABORTED', async () => {
    const { held, digest } = await signedImage();
    const policy = { kind: 'key' as const, publicKey: signer.publicKey };
    const verifier = new CosignFormatVerifier(() => held, {
      bundleVerifier: new KeyedBundleVerifier(),
      ignoreTlog: true,
      policies: [policy],
    });
    const deadline = new AbortController();
    setMaxListeners(4 * READ_CONCURRENCY, deadline.signal); // one listener per read in flight

    const work = verifier.verify({ registry: 'registry.test', repository: 'app', digest: digest }, { signal: deadline.signal });
    await settled();
    held.release('referrers');
    held.release(`manifest ${legacySignatureTag(digest, 'sig')}`);
    await settled();
    // mid-verification: bundle referrers and legacy payloads are being read, more wait their turn
    assert.equal(held.held.length, 2 * READ_CONCURRENCY, held.held.map((h) => h.label).join(', '));
    await abortWhileHeld(held, deadline, work, unhandled);
  });
  it('the bounded reads start no read after the abort, even when the registry ignores the signal', async () => {
    for (const layout of ['bundles', 'payloads'] as const) {
      const { inner, held, digest, image } = await signedImage();
      const deadline = new AbortController();
      // the registry is given no signal: only the bounded reads' own check stops them
      const found = layout === 'bundles' ? await findBundleReferrers({ ...image, registry: inner }, digest) : undefined;
      const work: Promise<unknown> =
        layout === 'bundles'
          ? loadBundles(image, digest, found!, deadline.signal)
          : readLegacySignatures(image, digest, 'sig', () => false, deadline.signal);
      await settled();
      if (layout === 'payloads') held.release(`manifest ${legacySignatureTag(digest, 'sig')}`);
      await settled();
      assert.equal(held.held.length, READ_CONCURRENCY, `${layout}: ${held.held.map((h) => h.label).join(', ')}`);
      const before = held.requests.length;
      deadline.abort(new Error('the admission deadline passed'));
      const outcome = await held.answerAll(work);
      assert.equal(outcome.status, 'rejected', layout);
      assert.equal(outcome.status === 'rejected' && (outcome.reason as Error).message, 'the admission deadline passed', layout);
      assert.deepEqual(held.requests.slice(before), [], `${layout}: no read after the abort`);
    }
    assert.deepEqual(unhandled, []);
  });
});
