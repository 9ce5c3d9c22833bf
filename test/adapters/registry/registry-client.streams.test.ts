/**
 * RegistryClient: flat memory for large blobs both ways, failing sinks, cancellation,
 * and the https / plain-http rules on a non-loopback address.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { downloadBlobToFile } from '../../../src/adapters/registry/blob-download.js';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { OCI_MEDIA_TYPES } from '../../../src/core/oci/index.js';
import { FakeRegistry } from './fake-registry.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** deterministic bytes, produced chunk by chunk (never held whole) */
const PIECE = randomBytes(1024 * 1024);
function* pieces(total: number): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += PIECE.length) yield PIECE.subarray(0, Math.min(PIECE.length, total - sent));
}
function digestOfPieces(total: number): string {
  const h = createHash('sha256');
  for (const p of pieces(total)) h.update(p);
  return `sha256:${h.digest('hex')}`;
}

class Discard extends Writable {
  size = 0;
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.size += chunk.length;
    setImmediate(cb);
  }
}

describe('RegistryClient streams', () => {
  const SIZE = 256 * 1024 * 1024;
  const digest = digestOfPieces(SIZE);
  let server: http.Server;
  let url = '';
  let received = 0;
  let receivedDigest = '';

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      if (req.method === 'GET' && req.url?.startsWith('/v2/big/blobs/')) {
        res.writeHead(200, { 'Content-Length': SIZE });
        Readable.from(pieces(SIZE)).pipe(res);
        return;
      }
      if (req.method === 'POST') {
        res.writeHead(202, { Location: '/v2/big/blobs/uploads/1' });
        return void res.end();
      }
      if (req.method === 'PUT') {
        const h = createHash('sha256');
        received = 0;
        req.on('data', (c: Buffer) => {
          received += c.length;
          h.update(c);
        });
        req.on('end', () => {
          receivedDigest = `sha256:${h.digest('hex')}`;
          res.writeHead(201, { 'Docker-Content-Digest': receivedDigest });
          res.end();
        });
        return;
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('downloads and uploads a large blob with flat memory', async () => {
    const client = new RegistryClient(new URL(url).host, { endpoint: url });
    try {
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const sink = new Discard();
      await client.getBlob('big', { digest, size: SIZE }, sink);
      assert.equal(sink.size, SIZE);
      await client.uploadBlob(
        'big',
        { mediaType: OCI_MEDIA_TYPES.layer, digest, size: SIZE },
        { open: (start, end) => Readable.from(pieces(end - start)) },
      );
      clearInterval(timer);
      assert.equal(received, SIZE);
      assert.equal(receivedDigest, digest);
      // flat: a client that held the blob would grow by at least its size; garbage that the
      // collector has not yet reclaimed (Node 24 lets ~60-90 MiB of it build up) stays below half
      const growth = (peak - base) / 1024 / 1024;
      assert.ok(growth < SIZE / 2 / 1024 / 1024, `RSS grew by ${growth.toFixed(0)} MiB for a ${SIZE / 1024 / 1024} MiB blob`);
    } finally {
      client.close();
    }
  });
});

describe('RegistryClient sinks and cancellation', () => {
  let reg: FakeRegistry;
  const data = randomBytes(2 * 1024 * 1024);
  beforeEach(async () => {
    reg = await new FakeRegistry().start();
    reg.putBlob('team/app', data);
  });
  afterEach(() => reg.stop());

  it('a failing sink fails the download at once (no retry)', async () => {
    const client = new RegistryClient(reg.host, { endpoint: reg.url, sleep: async () => {} });
    let writes = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(_c, _e, cb) {
        writes++;
        setImmediate(() => cb(writes === 3 ? new Error('disk full') : null));
      },
    });
    sink.on('error', () => {});
    await assert.rejects(
      client.getBlob('team/app', { digest: sha256(data), size: data.length }, sink),
      (e: { code: string; message: string }) => e.code === 'WRITE_FAILED' && /disk full/.test(e.message),
    );
    assert.equal(reg.requests('GET', '/v2/team/app/blobs/').length, 1);
    client.close();
  });

  it('an abort signal stops a download', async () => {
    const client = new RegistryClient(reg.host, { endpoint: reg.url });
    const ac = new AbortController();
    const sink = new Writable({
      highWaterMark: 1,
      write(_c, _e, cb) {
        ac.abort();
        setTimeout(cb, 50);
      },
    });
    await assert.rejects(client.getBlob('team/app', { digest: sha256(data), size: data.length }, sink, { signal: ac.signal }), {
      code: 'ABORTED',
    });
    client.close();
  });
});

describe('downloadBlobToFile', () => {
  let reg: FakeRegistry;
  let dir: string;
  const data = randomBytes(500_000);
  const d = { digest: sha256(data), size: data.length };
  beforeEach(async () => {
    reg = await new FakeRegistry().start();
    reg.putBlob('team/app', data);
    dir = mkdtempSync(join(tmpdir(), 'dct-download-'));
  });
  afterEach(async () => {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes through a .partial file, resumes it, and skips a complete file', async () => {
    const client = new RegistryClient(reg.host, { endpoint: reg.url });
    const file = join(dir, 'blob');
    writeFileSync(`${file}.partial`, data.subarray(0, 123_456));
    const r = await downloadBlobToFile(client, 'team/app', d, file);
    assert.equal(r.fetched, data.length - 123_456);
    assert.ok(readFileSync(file).equals(data));
    assert.ok(!existsSync(`${file}.partial`));
    assert.match(reg.requests('GET', '/v2/team/app/blobs/')[0]?.headers.range ?? '', /^bytes=123456-$/);
    const again = await downloadBlobToFile(client, 'team/app', d, file);
    assert.equal(again.existed, true);
    assert.equal(reg.requests('GET', '/v2/team/app/blobs/').length, 1);
    client.close();
  });

  it('starts over when the resumed bytes were wrong; leaves nothing behind when the registry serves other bytes', async () => {
    const client = new RegistryClient(reg.host, { endpoint: reg.url });
    const file = join(dir, 'blob');
    writeFileSync(`${file}.partial`, randomBytes(1000));
    const r = await downloadBlobToFile(client, 'team/app', d, file);
    assert.equal(r.fetched, data.length);
    assert.ok(readFileSync(file).equals(data));
    const bad = Buffer.from(data);
    bad[7] = (bad[7] as number) ^ 1;
    reg.blobs.set(`team/app@${d.digest}`, bad);
    const other = join(dir, 'other');
    await assert.rejects(downloadBlobToFile(client, 'team/app', d, other), { code: 'DIGEST_MISMATCH' });
    assert.ok(!existsSync(other) && !existsSync(`${other}.partial`));
    client.close();
  });
});

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe(
  'RegistryClient on a non-loopback address',
  { skip: external === undefined ? 'no non-loopback IPv4 address on this machine' : false },
  () => {
    let work: string;
    before(() => {
      work = mkdtempSync(join(tmpdir(), 'dct-registry-client-'));
    });
    after(() => rmSync(work, { recursive: true, force: true }));

    it('plain http only when the dct config names the registry insecure', async () => {
      const reg = await new FakeRegistry().start({ address: external as string });
      try {
        const secure = new RegistryClient(reg.host, { certDirs: [], timeoutMs: 5000, retries: 0 });
        await assert.rejects(secure.ping(), { code: 'REGISTRY_UNREACHABLE' });
        assert.equal(reg.seen.length, 0, 'no plain-http request was made');
        await assert.rejects(new RegistryClient(reg.host, { endpoint: reg.url }).ping(), { code: 'INSECURE_REGISTRY' });
        const insecure = new RegistryClient(reg.host, { certDirs: [], insecureRegistries: [reg.host], retries: 0 });
        assert.equal((await insecure.ping()).endpoint, reg.url);
        insecure.close();
      } finally {
        await reg.stop();
      }
    });

    it('verifies https with the host CA, and follows a redirect down to plain http only to a host named insecure', async () => {
      const tls = await ensureSelfSignedTls(join(work, 'server'), [external as string]);
      const reg = await new FakeRegistry().start({ address: external as string, tls: { cert: tls.cert, key: tls.key } });
      const plain = await new FakeRegistry().start({ address: external as string });
      const data = Buffer.from('blob');
      reg.putBlob('team/app', data);
      plain.putBlob('team/app', data);
      try {
        await assert.rejects(
          new RegistryClient(reg.host, { certDirs: [], retries: 0 }).ping(),
          (e: { code: string; message: string }) => e.code === 'REGISTRY_UNREACHABLE' && /certificate/.test(e.message),
        );
        const client = new RegistryClient(reg.host, { tls: () => ({ ca: readFileSync(tls.caFile) }), retries: 0 });
        assert.equal((await client.ping()).endpoint, reg.url);
        assert.equal((await client.hasBlob('team/app', sha256(data)))?.size, 4);
        reg.hook = (req, res) => {
          if (req.method !== 'GET' || !req.url?.includes('/blobs/')) return false;
          res.writeHead(302, { Location: `${plain.url}${req.url}` });
          res.end();
          return true;
        };
        await assert.rejects(client.getBlob('team/app', { digest: sha256(data), size: 4 }, new Writable({ write: (_c, _e, cb) => cb() })), {
          code: 'INSECURE_REDIRECT',
        });
        assert.equal(plain.seen.length, 0);
        client.close();
        // storage the dct config names insecure may be plain http: that hop goes on a connection of its own scheme
        const lenient = new RegistryClient(reg.host, {
          tls: () => ({ ca: readFileSync(tls.caFile) }),
          insecureRegistries: [plain.host],
          retries: 0,
        });
        const got: Buffer[] = [];
        const sink = new Writable({ write: (c: Buffer, _e, cb) => (got.push(c), cb()) });
        assert.equal((await lenient.getBlob('team/app', { digest: sha256(data), size: 4 }, sink)).size, 4);
        assert.deepEqual(Buffer.concat(got), data);
        assert.ok(plain.seen.length > 0, 'the blob came from the plain-http storage');
        lenient.close();
      } finally {
        await reg.stop();
        await plain.stop();
      }
    });

    it('sends its client certificate to the registry, never to the storage a download is redirected to', async () => {
      const tls = await ensureSelfSignedTls(join(work, 'server'), [external as string]);
      const asking = { cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false };
      const reg = await new FakeRegistry().start({ address: external as string, tls: asking });
      const storage = await new FakeRegistry().start({ address: external as string, tls: asking });
      const data = Buffer.from('blob');
      storage.putBlob('team/app', data);
      const presented = (req: http.IncomingMessage) => Object.keys((req.socket as TLSSocket).getPeerCertificate()).length > 0;
      const certs: Record<string, boolean> = {};
      reg.hook = (req, res) => {
        if (req.method !== 'GET' || !req.url?.includes('/blobs/')) return false;
        certs['registry'] = presented(req);
        res.writeHead(307, { Location: `${storage.url}${req.url}` });
        res.end();
        return true;
      };
      storage.hook = (req) => {
        certs['storage'] = presented(req);
        return false;
      };
      const client = new RegistryClient(reg.host, {
        tls: () => ({ ca: readFileSync(tls.caFile), cert: tls.cert, key: tls.key }),
        retries: 0,
      });
      try {
        const sink = new Writable({ write: (_c, _e, cb) => cb() });
        assert.equal((await client.getBlob('team/app', { digest: sha256(data), size: 4 }, sink)).size, 4);
        assert.deepEqual(certs, { registry: true, storage: false });
      } finally {
        client.close();
        await reg.stop();
        await storage.stop();
      }
    });
  },
);
