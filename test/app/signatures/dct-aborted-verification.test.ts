/**
 * dct's DCT verifier under an aborted signal (the admission webhook's deadline), against a
 * trust source that holds its answer until released: the read gets the abort, verify rejects
 * with ABORTED at once, nothing more is read, and the late answer is no unhandled rejection.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DctFormatVerifier } from '../../../src/app/signatures/dct-format-verifier.js';
import { DctError } from '../../../src/core/errors.js';
import type { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { settled } from '../cosign/images/held-registry.js';
import { assertAborted, unhandledRejections } from '../cosign/images/abort-checks.js';

describe('an aborted DCT verification', () => {
  const unhandled = unhandledRejections();

  it('hands the abort to the trust read, rejects with ABORTED and reads nothing more', async () => {
    const reads: Array<{ gun: string; signal: AbortSignal | undefined; answer: (err: Error) => void }> = [];
    const source = {
      trusted: (gun: string, opts?: { signal?: AbortSignal }) =>
        new Promise<TrustedSet>((_resolve, reject) => reads.push({ gun, signal: opts?.signal, answer: reject })),
    };
    const deadline = new AbortController();
    const work = new DctFormatVerifier(source)
      .verify({ registry: 'registry.test', repository: 'app', digest: `sha256:${'a'.repeat(64)}` }, { signal: deadline.signal })
      .then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      );
    await settled();
    assert.deepEqual(
      reads.map((r) => r.gun),
      ['registry.test/app'],
    );
    deadline.abort(new Error('the admission deadline passed'));
    await settled();
    // the trust read answers late (a read shared with others is not cancelled): the answer is dropped
    reads[0]?.answer(new DctError('REPOSITORY_NOT_FOUND', 'no trust data'));
    const outcome = await work;
    await settled();
    assertAborted(outcome);
    assert.equal(reads.length, 1, 'nothing read after the abort');
    assert.equal(reads[0]?.signal?.aborted, true, 'the trust read got the abort');
    assert.deepEqual(unhandled, []);
  });
});
