/**
 * dct's Notation verifier under an aborted signal (the admission webhook's deadline), against
 * a registry that holds every answer until released: the read in flight gets the abort, no
 * read starts after it, verify rejects with ABORTED, and no rejection is left unhandled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotationFormatVerifier } from '../../../src/app/notation/notation-format-verifier.js';
import { parseArtifactReference } from '../../../src/app/notation/artifact-reference.js';
import { signArtifact } from '../../../src/app/notation/sign-artifact.js';
import { HeldRegistry, settled } from '../cosign/images/held-registry.js';
import { abortWhileHeld, unhandledRejections } from '../cosign/images/abort-checks.js';
import { fakeSigner, fakeVerifier, NOW, policy, withImage } from './notation-doubles.js';

describe('an aborted Notation verification', () => {
  const unhandled = unhandledRejections();

  it('aborts the read in flight, starts none after, and rejects with ABORTED', async () => {
    const { registry: inner, repo, image } = withImage(true);
    for (let i = 0; i < 3; i++)
      await signArtifact({
        repository: repo,
        reference: parseArtifactReference('registry.test/app:v1'),
        signer: fakeSigner(),
        format: 'jws',
        now: NOW,
        forceReferrersTag: false,
        userMetadata: { n: String(i) },
      });
    const held = new HeldRegistry(inner);
    const verifier = new NotationFormatVerifier({
      openRegistry: () => Promise.resolve(held),
      policy: policy(),
      verifier: fakeVerifier(),
      now: () => NOW,
    });
    const deadline = new AbortController();

    const work = verifier.verify({ registry: 'registry.test', repository: 'app', digest: image.digest }, { signal: deadline.signal });
    await settled();
    held.release(`manifest ${image.digest}`);
    await settled();
    held.release('referrers');
    await settled();
    // mid-verification: the first signature's manifest is being read, two more signatures wait
    assert.equal(held.held.length, 1, held.held.map((h) => h.label).join(', '));
    await abortWhileHeld(held, deadline, work, unhandled);
  });
});
