/**
 * The embedded registry's write limits: the blob size cap (streamed bytes,
 * chunked transfer encoding and PATCH sequences included), open upload
 * sessions per repository and per client, idle sessions expiring with their
 * bytes, and the per-client write limit on registry writes. skopeo shows the
 * refusal of a layer beyond the cap as the registry words it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateTestImage, LINUX_AMD64 } from '../../support/test-images.js';
import { Raw, sha256, startTestServer, type TestServer } from './support.js';

/** `total` bytes in chunks, sent with chunked transfer encoding (no Content-Length). */
function chunks(total: number, chunk = 16 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let sent = 0; sent < total; sent += chunk) out.push(Buffer.alloc(Math.min(chunk, total - sent), sent % 251));
  return out;
}
async function* chunked(total: number, chunk?: number): AsyncGenerator<Buffer> {
  yield* chunks(total, chunk);
}

function run(file: string, args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000 }, (err, _out, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, err: stderr }),
    );
  });
}
const skopeo = await run('skopeo', ['--version']).then((r) => (r.code === 0 ? undefined : 'skopeo is not installed'));

const uploadFiles = (server: TestServer): string[] => readdirSync(join(server.dir, 'registry', 'uploads'));

describe('registry blob size cap', () => {
  const CAP = 64 * 1024;
  let server: TestServer;
  let raw: Raw;
  before(async () => {
    server = await startTestServer({ flags: { maxBlobBytes: CAP } });
    raw = new Raw(server.url);
  });
  after(async () => server?.close());

  it('a monolithic upload without Content-Length (chunked encoding) beyond the cap: 413 SIZE_INVALID, nothing kept', async () => {
    const bytes = Buffer.concat(chunks(4 * CAP));
    const r = await raw.call(`/v2/big/mono/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: chunked(4 * CAP) });
    assert.equal(r.status, 413);
    assert.deepEqual(r.codes, ['SIZE_INVALID']);
    assert.equal((await raw.call(`/v2/big/mono/blobs/${sha256(bytes)}`, { method: 'HEAD' })).status, 404);
    assert.deepEqual(uploadFiles(server), []);
  });

  it('a declared Content-Length beyond the cap is refused before the body is read', async () => {
    const bytes = Buffer.alloc(CAP + 1, 7);
    const r = await raw.call(`/v2/big/declared/blobs/uploads/?digest=${sha256(bytes)}`, {
      method: 'POST',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
    });
    assert.equal(r.status, 413);
    assert.deepEqual(r.codes, ['SIZE_INVALID']);
    assert.deepEqual(uploadFiles(server), []);
  });

  it('PATCH chunks count together: the one crossing the cap is 413 and the session is gone', async () => {
    const start = await raw.call('/v2/big/chunks/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    const location = start.headers.location as string;
    const first = await raw.call(location, {
      method: 'PATCH',
      body: Buffer.alloc(CAP - 100, 1),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(first.status, 202);
    assert.equal(first.headers.range, `0-${CAP - 101}`);
    const second = await raw.call(location, { method: 'PATCH', body: chunked(1000, 100) });
    assert.equal(second.status, 413);
    assert.deepEqual(second.codes, ['SIZE_INVALID']);
    const status = await raw.call(location);
    assert.equal(status.status, 404);
    assert.deepEqual(status.codes, ['BLOB_UPLOAD_UNKNOWN']);
    assert.deepEqual(uploadFiles(server), []);
  });

  it("skopeo pushing a layer beyond the cap fails with the registry's message", { skip: skopeo }, async () => {
    const source = mkdtempSync(join(tmpdir(), 'dct-big-layer-'));
    try {
      await generateTestImage(source, { seed: 'too-big', layers: [4 * CAP], platforms: [LINUX_AMD64], tag: 'v1', gzipLevel: 0 });
      const push = await run('skopeo', [
        'copy',
        '--retry-times',
        '0',
        '--dest-tls-verify=false',
        `oci:${source}:v1`,
        `docker://${server.host}/big/skopeo:v1`,
      ]);
      assert.notEqual(push.code, 0);
      assert.match(push.err, /size invalid: the blob is larger than this registry accepts \(65536 bytes\)/);
      assert.deepEqual(uploadFiles(server), []);
    } finally {
      rmSync(source, { recursive: true, force: true });
    }
  });

  it('a blob of exactly the cap is accepted', async () => {
    const bytes = Buffer.concat(chunks(CAP));
    const r = await raw.call(`/v2/big/exact/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: chunked(CAP) });
    assert.equal(r.status, 201, r.text);
  });
});

describe('registry upload sessions: caps per repository and per client', () => {
  let server: TestServer;
  let raw: Raw;
  before(async () => {
    server = await startTestServer({ flags: { maxUploadsPerRepository: 3, maxUploadsPerClient: 5 } });
    raw = new Raw(server.url);
  });
  after(async () => server?.close());

  const open = (name: string) => raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' });

  it('a repository holds at most its cap of sessions; cancelling one frees a place', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) {
      const r = await open('caps/a');
      assert.equal(r.status, 202);
      made.push(r.headers.location);
    }
    const refused = await open('caps/a');
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.codes, ['TOOMANYREQUESTS']);
    assert.equal((await raw.call(made[0] as string, { method: 'DELETE' })).status, 204);
    const again = await open('caps/a');
    assert.equal(again.status, 202);
    made[0] = again.headers.location as string;
    // a monolithic upload is a session while its body arrives: refused as well while the repository is full
    const bytes = Buffer.from('mono');
    const mono = await raw.call(`/v2/caps/a/blobs/uploads/?digest=${sha256(bytes)}`, { method: 'POST', body: bytes });
    assert.equal(mono.status, 429);
    // completing a session frees its place
    const done = await raw.call(`${made[1]}?digest=${sha256(bytes)}`, {
      method: 'PUT',
      body: bytes,
      headers: { 'Content-Length': String(bytes.length) },
    });
    assert.equal(done.status, 201, done.text);
    assert.equal((await open('caps/a')).status, 202);
  });

  it('a client holds at most its cap of sessions across repositories', async () => {
    // 3 open in caps/a (previous test), so 2 more anywhere
    assert.equal((await open('caps/b')).status, 202);
    assert.equal((await open('caps/c')).status, 202);
    const refused = await open('caps/d');
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.codes, ['TOOMANYREQUESTS']);
  });
});

describe('registry upload sessions: idle expiry', () => {
  let server: TestServer;
  let raw: Raw;
  before(async () => {
    server = await startTestServer({ flags: { uploadExpiryMs: 150, maxUploadsPerRepository: 1 } });
    raw = new Raw(server.url);
  });
  after(async () => server?.close());

  it('an idle session is removed with its bytes: BLOB_UPLOAD_UNKNOWN, and its place is free again', async () => {
    const start = await raw.call('/v2/idle/app/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    const location = start.headers.location as string;
    assert.equal((await raw.call(location, { method: 'PATCH', body: Buffer.alloc(1000, 9) })).status, 202);
    assert.equal(uploadFiles(server).length, 2);
    let status;
    do {
      await new Promise((r) => setTimeout(r, 50));
      status = await raw.call(location);
    } while (status.status === 204);
    assert.equal(status.status, 404);
    assert.deepEqual(status.codes, ['BLOB_UPLOAD_UNKNOWN']);
    assert.deepEqual(uploadFiles(server), []);
    assert.equal((await raw.call('/v2/idle/app/blobs/uploads/', { method: 'POST' })).status, 202);
  });

  it('sessions left by an earlier run expire as well', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-registry-restart-'));
    try {
      const first = await startTestServer({ dir });
      const start = await new Raw(first.url).call('/v2/idle/left/blobs/uploads/', { method: 'POST' });
      assert.equal(start.status, 202);
      await first.close();
      const second = await startTestServer({ dir, flags: { uploadExpiryMs: 150 } });
      try {
        while (uploadFiles(second).length > 0) await new Promise((r) => setTimeout(r, 50));
        const status = await new Raw(second.url).call(start.headers.location as string);
        assert.deepEqual(status.codes, ['BLOB_UPLOAD_UNKNOWN']);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('registry writes and the per-client write limit', () => {
  let server: TestServer;
  let raw: Raw;
  before(async () => {
    server = await startTestServer({ flags: { writesPerSecond: 0.001, writeBurst: 3 } });
    raw = new Raw(server.url);
  });
  after(async () => server?.close());

  it('POST, PATCH, PUT and DELETE take from the bucket; beyond the burst 429 TOOMANYREQUESTS with Retry-After; reads go on', async () => {
    const start = await raw.call('/v2/rate/app/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    const location = start.headers.location as string;
    assert.equal((await raw.call(location, { method: 'PATCH', body: Buffer.from('abc') })).status, 202);
    assert.equal((await raw.call(location, { method: 'DELETE' })).status, 204);
    const refused = await raw.call('/v2/rate/app/blobs/uploads/', { method: 'POST' });
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.codes, ['TOOMANYREQUESTS']);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.headers['docker-distribution-api-version'], 'registry/2.0');
    const put = await raw.call('/v2/rate/app/manifests/v1', {
      method: 'PUT',
      body: '{}',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(put.status, 429);
    assert.equal((await raw.call('/v2/rate/app/tags/list')).status, 404);
  });
});
