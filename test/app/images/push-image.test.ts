/**
 * The push use case on its own: when one blob's upload fails, no further blob starts and the
 * uploads under way finish before the push rejects (the caller then disposes of the sources
 * they read).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushImage, type PushPlan, type RegistryWriter } from '../../../src/app/images/push-image.js';
import { DctError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/core/oci/descriptor.js';

const blob = (n: number): Descriptor => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: n,
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('pushImage', () => {
  it('after a failed blob starts no other and waits for those under way', async () => {
    const blobs = [blob(1), blob(2), blob(3)];
    const plan: PushPlan<string> = {
      root: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: blob(9).digest, size: 2, bytes: Buffer.from('{}') },
      items: blobs.map((descriptor) => ({ descriptor, kind: 'layer' as const, source: descriptor.digest })),
    };
    const started: string[] = [];
    let finishSecond!: () => void;
    const registry: RegistryWriter<string> = {
      async ensureBlob(_repo, d) {
        started.push(d.digest);
        if (d.digest === blobs[0]?.digest) throw new DctError('BLOB_UPLOAD_INVALID', 'refused');
        await new Promise<void>((resolve) => (finishSecond = resolve));
        return 'uploaded';
      },
      async putManifest() {
        throw new Error('no manifest is put after a failed blob');
      },
    };
    let settled = false;
    const pushed = pushImage(registry, 'r', 't', plan, { concurrency: 2 }).finally(() => (settled = true));
    pushed.catch(() => {});
    await turn();
    assert.equal(settled, false, 'the push waits for the upload under way');
    finishSecond();
    await assert.rejects(pushed, { code: 'BLOB_UPLOAD_INVALID' });
    assert.deepEqual(started, [blobs[0]?.digest, blobs[1]?.digest]);
  });
});
