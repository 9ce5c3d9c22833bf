/**
 * FsBlobStore: content-addressed blobs on disk, upload sessions streamed to
 * temporary files with incremental hashing, verified and renamed into place.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { FsBlobStore } from '../../../src/adapters/blob-store/fs-blob-store.js';
import { isDctError, type DctErrorCode } from '../../../src/core/errors.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const dirs: string[] = [];
const newStore = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-blobs-'));
  dirs.push(dir);
  return { dir, store: await FsBlobStore.open(dir) };
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: DctErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => isDctError(err, code));
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  assert.ok(stream, 'stream');
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('FsBlobStore', () => {
  it('stores a verified blob at blobs/sha256/<2>/<hex> and serves it whole or by range', async () => {
    const { dir, store } = await newStore();
    const bytes = Buffer.from('hello blob store');
    const up = await store.startUpload('a/b');
    assert.equal(await store.append(up.id, Readable.from([bytes.subarray(0, 5)])), 5);
    assert.equal(await store.append(up.id, Readable.from([bytes.subarray(5)]), { offset: 5, length: bytes.length - 5 }), bytes.length);
    const info = await store.finish(up.id, sha256(bytes), bytes.length);
    assert.equal(info.size, bytes.length);
    const hex = sha256(bytes).slice(7);
    assert.deepEqual(readFileSync(join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex)), bytes);
    assert.deepEqual(await readAll(await store.read(sha256(bytes))), bytes);
    assert.equal((await readAll(await store.read(sha256(bytes), { start: 6, end: 10 }))).toString(), 'blob ');
    assert.equal(await store.getUpload(up.id), undefined);
    assert.deepEqual(readdirSync(join(dir, 'uploads')), []);
    assert.deepEqual(
      (await collect(store.list())).map((b) => b.digest),
      [sha256(bytes)],
    );
  });

  it('refuses a wrong digest or size (and drops the session), a chunk at the wrong offset, a short body', async () => {
    const { store } = await newStore();
    const up = await store.startUpload('r');
    await store.append(up.id, Readable.from([Buffer.from('abc')]));
    await rejectsWith(store.append(up.id, Readable.from([Buffer.from('x')]), { offset: 2 }), 'BLOB_RANGE_INVALID');
    await rejectsWith(store.append(up.id, Readable.from([Buffer.from('xy')]), { length: 5 }), 'BLOB_SIZE_MISMATCH');
    // the short chunk was written: the session holds 5 bytes now and its hash knows them
    assert.equal((await store.getUpload(up.id))?.size, 5);
    await rejectsWith(store.finish(up.id, sha256('abcxz')), 'BLOB_DIGEST_MISMATCH');
    assert.equal(await store.getUpload(up.id), undefined);
    await rejectsWith(store.append(up.id, Readable.from([Buffer.from('x')])), 'BLOB_UPLOAD_UNKNOWN');

    const sized = await store.startUpload('r');
    await store.append(sized.id, Readable.from([Buffer.from('abc')]));
    await rejectsWith(store.finish(sized.id, sha256('abc'), 4), 'BLOB_SIZE_MISMATCH');
    assert.equal(await store.stat(sha256('abc')), undefined);
    const sha512 = await store.startUpload('r');
    await rejectsWith(store.finish(sha512.id, `sha512:${'0'.repeat(128)}`), 'BLOB_DIGEST_UNSUPPORTED');
  });

  it('one request per session at a time; sessions are tied to their repository; ids cannot name other files', async () => {
    const { store } = await newStore();
    const up = await store.startUpload('mine');
    const slow = new Readable({ read() {} });
    const first = store.append(up.id, slow);
    await new Promise((r) => setTimeout(r, 20));
    await rejectsWith(store.append(up.id, Readable.from([Buffer.from('x')])), 'BLOB_UPLOAD_BUSY');
    slow.push(Buffer.from('data'));
    slow.push(null);
    assert.equal(await first, 4);
    assert.equal(await store.getUpload(up.id, 'theirs'), undefined);
    assert.equal((await store.getUpload(up.id, 'mine'))?.size, 4);
    assert.equal(await store.getUpload('../../etc/passwd'), undefined);
    assert.equal(await store.cancel('../x'), false);
    assert.equal(await store.cancel(up.id), true);
  });

  it('the same content uploaded twice keeps one file and refreshes its time', async () => {
    const { store } = await newStore();
    const bytes = Buffer.from('twice');
    const a = await store.startUpload('r');
    await store.append(a.id, Readable.from([bytes]));
    const first = await store.finish(a.id, sha256(bytes));
    await new Promise((r) => setTimeout(r, 15));
    const b = await store.startUpload('r');
    await store.append(b.id, Readable.from([bytes]));
    const second = await store.finish(b.id, sha256(bytes));
    assert.ok(second.modifiedAt.getTime() > first.modifiedAt.getTime(), 'second.modifiedAt.getTime() > first.modifiedAt.getTime()');
    assert.equal((await collect(store.list())).length, 1);
    assert.equal(await store.delete(sha256(bytes)), true);
    assert.equal(await store.delete(sha256(bytes)), false);
    assert.equal(await store.read(sha256(bytes)), undefined);
  });

  it('streams a large upload with flat memory (hash computed as it is written)', async () => {
    const { store } = await newStore();
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    const total = 160;
    const up = await store.startUpload('big');
    const hash = createHash('sha256');
    for (let i = 0; i < total; i++) hash.update(chunk);
    const before = process.memoryUsage().rss;
    let peak = before;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < total; i++) {
          peak = Math.max(peak, process.memoryUsage().rss);
          yield chunk;
        }
      })(),
    );
    assert.equal(await store.append(up.id, source), total * chunk.length);
    const info = await store.finish(up.id, `sha256:${hash.digest('hex')}`);
    assert.equal(info.size, total * chunk.length);
    assert.ok(peak - before < 64 * 1024 * 1024, `memory grew by ${Math.round((peak - before) / 1048576)} MiB for a ${total} MiB upload`);
    assert.ok(existsSync(store.blobPath(info.digest)), 'existsSync(store.blobPath(info.digest))');
  });
});
