/**
 * Hashing on the hashing thread: the same digests as node's hash on the main thread
 * (whatever the chunk sizes, several hashes at once), and a download hashed there is
 * still refused when its bytes are not the blob's.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { ThreadDigester } from '../../../src/adapters/registry/thread-digester.js';
import { FakeRegistry } from './fake-registry.js';

const hashOf = (algorithm: 'sha256' | 'sha512', b: Buffer) => `${algorithm}:${createHash(algorithm).update(b).digest('hex')}`;

/** `bytes` cut into pieces of the given sizes, round and round */
function* cut(bytes: Buffer, sizes: number[]): Generator<Buffer> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] as number;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
}

describe('ThreadDigester', () => {
  it('gives the digest node gives, for chunks of any size and several hashes at once', async () => {
    // 1 byte, odd sizes, and chunks larger than a batch (256 KiB): every way across a batch boundary
    const inputs = [
      { algorithm: 'sha256' as const, bytes: randomBytes(3 * 1024 * 1024 + 17), sizes: [65_536, 1, 300_001, 7] },
      { algorithm: 'sha512' as const, bytes: randomBytes(1024 * 1024 + 3), sizes: [262_144] },
      { algorithm: 'sha256' as const, bytes: randomBytes(700_000), sizes: [1_000_000] },
      { algorithm: 'sha256' as const, bytes: Buffer.alloc(0), sizes: [1] },
    ];
    const digesters = inputs.map((i) => new ThreadDigester(i.algorithm));
    const iterators = inputs.map((i) => cut(i.bytes, i.sizes));
    // interleaved, waiting when a digester asks to
    for (let active = true; active;) {
      active = false;
      for (const [k, it] of iterators.entries()) {
        const next = it.next();
        if (next.done) continue;
        active = true;
        await digesters[k]!.update(next.value);
      }
    }
    const got = await Promise.all(digesters.map((d) => d.digest()));
    assert.deepEqual(
      got,
      inputs.map((i) => hashOf(i.algorithm, i.bytes)),
    );
    assert.deepEqual(
      digesters.map((d) => d.size),
      inputs.map((i) => i.bytes.length),
    );
  });

  it('refuses more bytes after the digest, and a second digest', async () => {
    const d = new ThreadDigester('sha256');
    await d.update(Buffer.from('abc'));
    assert.equal(await d.digest(), hashOf('sha256', Buffer.from('abc')));
    assert.throws(() => d.update(Buffer.from('d')), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(d.digest(), { code: 'INVALID_ARGUMENT' });
  });
});

describe('RegistryClient.getBlob hashed on the hashing thread', () => {
  let reg: FakeRegistry;
  const data = randomBytes(3 * 1024 * 1024 + 5);
  const d = { digest: hashOf('sha256', data), size: data.length };
  beforeEach(async () => {
    reg = await new FakeRegistry().start();
  });
  afterEach(() => reg.stop());

  it('ends the sink once the digest computed on the thread matches', async () => {
    reg.putBlob('team/app', data);
    const client = new RegistryClient(reg.host, { endpoint: reg.url });
    try {
      const sink = new Collect();
      await client.getBlob('team/app', d, sink, { digester: new ThreadDigester('sha256') });
      assert.ok(sink.writableFinished);
      assert.ok(Buffer.concat(sink.chunks).equals(data));
      // the default for a blob of this size (hashThreadMinBytes) takes the same path
      const threaded = new RegistryClient(reg.host, { endpoint: reg.url, hashThreadMinBytes: 1024 });
      const again = new Collect();
      await threaded.getBlob('team/app', d, again).finally(() => threaded.close());
      assert.ok(Buffer.concat(again.chunks).equals(data));
    } finally {
      client.close();
    }
  });

  it('refuses other bytes (DIGEST_MISMATCH) and leaves the sink open', async () => {
    const bad = Buffer.from(data);
    bad[data.length - 1] = (bad[data.length - 1] as number) ^ 1;
    reg.blobs.set(`team/app@${d.digest}`, bad);
    const client = new RegistryClient(reg.host, { endpoint: reg.url, hashThreadMinBytes: 1024 });
    try {
      const sink = new Collect();
      await assert.rejects(client.getBlob('team/app', d, sink), { code: 'DIGEST_MISMATCH' });
      assert.equal(sink.writableEnded, false, 'the sink was not ended: nothing commits the bytes');
      await assert.rejects(client.getBlob('team/app', d, new Collect(), { digester: new ThreadDigester('sha256') }), {
        code: 'DIGEST_MISMATCH',
      });
    } finally {
      client.close();
    }
  });
});
