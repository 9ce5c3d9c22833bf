/**
 * RegistryClient against a scripted registry: verification of every byte, resumed
 * downloads, redirects without credentials, back-off, the upload protocols, mounts,
 * pagination, size caps and the registry's error JSON in messages.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RegistryAuth } from '../../../src/adapters/http/registry-auth.js';
import { referrersTag } from '../../../src/adapters/registry/referrers.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/adapters/registry/registry-client.js';
import { parseNextLink } from '../../../src/adapters/registry/registry-headers.js';
import { retryAfterMs } from '../../../src/adapters/http/transport/retry.js';
import { DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES, type Descriptor } from '../../../src/core/oci/index.js';
import { FakeRegistry, registryError } from './fake-registry.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const desc = (b: Buffer, mediaType: string = OCI_MEDIA_TYPES.layerGzip): Descriptor => ({ mediaType, digest: sha256(b), size: b.length });

class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function code(expected: string, message?: RegExp) {
  return (err: { code?: string; message: string }) => {
    assert.equal(err.code, expected, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

describe('RegistryClient (scripted registry)', () => {
  let reg: FakeRegistry;
  let sleeps: number[];
  const clients: RegistryClient[] = [];
  const client = (opts: RegistryClientOptions = {}) => {
    const c = new RegistryClient(reg.host, {
      endpoint: reg.url,
      retries: 3,
      backoffMs: 10,
      random: () => 0,
      sleep: async (ms) => void sleeps.push(ms),
      ...opts,
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    reg = await new FakeRegistry().start();
    sleeps = [];
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await reg.stop();
  });

  describe('manifests', () => {
    const manifest = Buffer.from(
      `{"schemaVersion":2,  "mediaType":"${OCI_MEDIA_TYPES.manifest}","config":${JSON.stringify(desc(Buffer.from('{}'), OCI_MEDIA_TYPES.config))},"layers":[]}`,
    );

    it('returns the bytes as served with their digest', async () => {
      reg.putManifest('team/app', 'v1', manifest, OCI_MEDIA_TYPES.manifest);
      const got = await client().getManifest('team/app', 'v1');
      assert.ok(got.bytes.equals(manifest));
      assert.equal(got.digest, sha256(manifest));
      assert.equal(got.manifest.kind, 'manifest');
      const get = reg.requests('GET', '/v2/team/app/manifests/')[0];
      assert.match(
        get?.headers.accept ?? '',
        /application\/vnd\.oci\.image\.index\.v1\+json, application\/vnd\.oci\.image\.manifest\.v1\+json/,
      );
    });

    it('refuses bytes that do not match the digest asked for or announced', async () => {
      reg.putManifest('team/app', 'v1', manifest, OCI_MEDIA_TYPES.manifest);
      const other = sha256('other');
      reg.manifests.set(`team/app:${other}`, { body: manifest, contentType: OCI_MEDIA_TYPES.manifest });
      await assert.rejects(client().getManifest('team/app', other), code('DIGEST_MISMATCH', /the reference/));
      reg.hook = (req, res) => {
        if (req.method !== 'GET' || !req.url?.includes('/manifests/')) return false;
        res.writeHead(200, { 'Content-Type': OCI_MEDIA_TYPES.manifest, 'Docker-Content-Digest': other });
        res.end(manifest);
        return true;
      };
      await assert.rejects(client().getManifest('team/app', 'v1'), code('DIGEST_MISMATCH', /Docker-Content-Digest/));
    });

    it('caps manifest size, declared or streamed', async () => {
      const big = Buffer.alloc(2000, 0x20);
      reg.putManifest('team/app', 'big', big, OCI_MEDIA_TYPES.manifest);
      await assert.rejects(client({ maxManifestBytes: 1000 }).getManifest('team/app', 'big'), code('MANIFEST_TOO_LARGE', /2000 bytes/));
      reg.hook = (req, res) => {
        res.writeHead(200, { 'Content-Type': OCI_MEDIA_TYPES.manifest });
        for (let i = 0; i < 5; i++) res.write(Buffer.alloc(500, 0x20));
        res.end();
        return req.url?.includes('/manifests/') ?? false;
      };
      await assert.rejects(client({ maxManifestBytes: 1000 }).getManifest('team/app', 'streamed'), code('MANIFEST_TOO_LARGE'));
    });

    it('refuses schema 1', async () => {
      reg.putManifest('team/app', 'old', Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), DOCKER_MEDIA_TYPES.schema1SignedManifest);
      await assert.rejects(client().getManifest('team/app', 'old'), code('UNSUPPORTED_MANIFEST'));
    });

    it('putManifest sends the bytes as given and checks the digest the registry stored', async () => {
      const c = client();
      const r = await c.putManifest('team/app', 'v1', manifest, OCI_MEDIA_TYPES.manifest);
      assert.equal(r.digest, sha256(manifest));
      assert.ok(reg.manifests.get('team/app:v1')?.body.equals(manifest));
      assert.equal(reg.manifests.get('team/app:v1')?.contentType, OCI_MEDIA_TYPES.manifest);
      await assert.rejects(c.putManifest('team/app', sha256('x'), manifest, OCI_MEDIA_TYPES.manifest), code('DIGEST_MISMATCH'));
      await assert.rejects(c.putManifest('team/app', 'v1', manifest, OCI_MEDIA_TYPES.index), code('INVALID_MANIFEST'));
      reg.hook = (req, res) => {
        if (req.method !== 'PUT') return false;
        res.writeHead(201, { 'Docker-Content-Digest': sha256('else') });
        res.end();
        return true;
      };
      await assert.rejects(c.putManifest('team/app', 'v2', manifest, OCI_MEDIA_TYPES.manifest), code('DIGEST_MISMATCH', /stored/));
    });

    it('surfaces the registry error JSON', async () => {
      await assert.rejects(client().getManifest('team/app', 'nope'), code('MANIFEST_NOT_FOUND', /MANIFEST_UNKNOWN: manifest unknown/));
      reg.hook = (_req, res) => {
        registryError(res, 403, 'DENIED', 'requested access to the resource is denied');
        return true;
      };
      await assert.rejects(
        client().getManifest('team/app', 'v1'),
        code('REGISTRY_DENIED', /DENIED: requested access to the resource is denied/),
      );
    });
  });

  describe('blob downloads', () => {
    const data = randomBytes(300_000);

    it('streams with verification', async () => {
      reg.putBlob('team/app', data);
      const sink = new Collect();
      const progress: number[] = [];
      const r = await client().getBlob('team/app', desc(data), sink, { onProgress: (n) => progress.push(n) });
      assert.ok(sink.bytes.equals(data));
      assert.equal(r.fetched, data.length);
      assert.equal(progress[progress.length - 1], data.length);
      assert.ok(sink.writableFinished, 'the sink is ended after a verified download');
    });

    it('a wrong byte is DIGEST_MISMATCH, a short or long body SIZE_MISMATCH', async () => {
      const d = desc(data);
      const bad = Buffer.from(data);
      bad[1000] = (bad[1000] as number) ^ 0xff;
      reg.blobs.set(`team/app@${d.digest}`, bad);
      await assert.rejects(client().getBlob('team/app', d, new Collect()), code('DIGEST_MISMATCH'));
      // truncated: a chunked body that ends early
      reg.hook = (req, res) => {
        if (!req.url?.includes('/blobs/sha256')) return false;
        res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
        res.end(data.subarray(0, 1000));
        return true;
      };
      await assert.rejects(client().getBlob('team/app', d, new Collect()), code('SIZE_MISMATCH', /truncated/));
      // too long: stopped before the extra bytes reach the sink
      reg.hook = (req, res) => {
        if (!req.url?.includes('/blobs/sha256')) return false;
        res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
        res.write(data);
        res.end(Buffer.alloc(10));
        return true;
      };
      const sink = new Collect();
      await assert.rejects(client().getBlob('team/app', d, sink), code('SIZE_MISMATCH', /more than/));
      assert.ok(sink.bytes.length <= data.length);
      // a declared length that differs from the descriptor: refused before any byte is written
      reg.hook = (req, res) => {
        if (!req.url?.includes('/blobs/sha256')) return false;
        res.writeHead(200, { 'Content-Length': 5 });
        res.end('12345');
        return true;
      };
      const none = new Collect();
      await assert.rejects(client().getBlob('team/app', d, none), code('SIZE_MISMATCH'));
      assert.equal(none.bytes.length, 0);
    });

    it('resumes a broken connection with a Range request', async () => {
      reg.putBlob('team/app', data);
      let broken = false;
      reg.hook = (req, res) => {
        if (broken || req.method !== 'GET' || !req.url?.includes('/blobs/sha256')) return false;
        broken = true;
        res.writeHead(200, { 'Content-Length': data.length });
        res.write(data.subarray(0, 100_000), () => setTimeout(() => res.socket?.destroy(), 20));
        return true;
      };
      const sink = new Collect();
      const r = await client().getBlob('team/app', desc(data), sink);
      assert.ok(sink.bytes.equals(data));
      assert.equal(r.resumes, 1);
      const ranges = reg.requests('GET', '/v2/team/app/blobs/').map((s) => s.headers.range);
      assert.equal(ranges[0], undefined);
      assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    });

    it('a stalled body hits the idle deadline and is resumed', async () => {
      reg.putBlob('team/app', data);
      let stalled = false;
      reg.hook = (req, res) => {
        if (stalled || req.method !== 'GET' || !req.url?.includes('/blobs/sha256')) return false;
        stalled = true;
        res.writeHead(200, { 'Content-Length': data.length });
        res.write(data.subarray(0, 50_000));
        return true;
      };
      const sink = new Collect();
      const r = await client({ idleTimeoutMs: 300 }).getBlob('team/app', desc(data), sink);
      assert.equal(r.resumes, 1);
      assert.ok(sink.bytes.equals(data));
    });

    it('resumes from an offset given by the caller; a server ignoring Range is handled', async () => {
      reg.putBlob('team/app', data);
      const { Digester } = await import('../../../src/core/oci/index.js');
      const sink = new Collect();
      const r = await client().getBlob('team/app', desc(data), sink, {
        offset: 1000,
        digester: Digester.create().update(data.subarray(0, 1000)),
      });
      assert.equal(r.fetched, data.length - 1000);
      assert.ok(Buffer.concat([data.subarray(0, 1000), sink.bytes]).equals(data));
      reg.hook = (req, res) => {
        if (!req.url?.includes('/blobs/sha256')) return false;
        res.writeHead(200, { 'Content-Length': data.length });
        res.end(data);
        return true;
      };
      const sink2 = new Collect();
      await client().getBlob('team/app', desc(data), sink2, { offset: 1000, digester: Digester.create().update(data.subarray(0, 1000)) });
      assert.ok(sink2.bytes.equals(data.subarray(1000)));
      await assert.rejects(client().getBlob('team/app', desc(data), new Collect(), { offset: 5 }), code('INVALID_ARGUMENT'));
      await assert.rejects(
        client().getBlob('team/app', desc(data), new Collect(), { offset: 1000, digester: Digester.create().update(Buffer.alloc(1000)) }),
        code('DIGEST_MISMATCH'),
        'a wrong digest state fails the whole-blob check',
      );
    });

    it('follows a redirect to storage without the Authorization header', async () => {
      reg.bearer = true;
      const storageSeen: http.IncomingHttpHeaders[] = [];
      const storage = http.createServer((req, res) => {
        storageSeen.push(req.headers);
        res.writeHead(200, { 'Content-Length': data.length });
        res.end(data);
      });
      await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
      const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
      try {
        reg.hook = (req, res) => {
          if (req.method !== 'GET' || !req.url?.includes('/blobs/sha256') || !req.headers.authorization) return false;
          res.writeHead(307, { Location: `${storageUrl}/bucket/blob?sig=abc` });
          res.end();
          return true;
        };
        const sink = new Collect();
        await client({ auth: new RegistryAuth() }).getBlob('team/app', desc(data), sink);
        assert.ok(sink.bytes.equals(data));
        assert.equal(storageSeen.length, 1);
        assert.equal(storageSeen[0]?.authorization, undefined, 'no credentials for another origin');
        assert.ok(reg.requests('GET', '/v2/team/app/blobs/').some((s) => s.headers.authorization?.startsWith('Bearer ')));
      } finally {
        storage.closeAllConnections();
        await new Promise<void>((r) => storage.close(() => r()));
      }
    });

    it('keeps Authorization on a same-origin redirect', async () => {
      reg.bearer = true;
      reg.putBlob('team/app', data);
      reg.hook = (req, res) => {
        if (req.method !== 'GET' || !req.url?.startsWith('/v2/team/app/blobs/sha256') || !req.headers.authorization) return false;
        res.writeHead(302, { Location: `/v2/team/mirror/blobs/${sha256(data)}` });
        res.end();
        return true;
      };
      reg.putBlob('team/mirror', data);
      await client({ auth: new RegistryAuth() }).getBlob('team/app', desc(data), new Collect());
      const mirror = reg.requests('GET', '/v2/team/mirror/');
      assert.equal(mirror.length, 1);
      assert.match(mirror[0]?.headers.authorization ?? '', /^Bearer /);
    });
  });

  describe('retries', () => {
    it('honours Retry-After on 429', async () => {
      reg.putBlob('team/app', Buffer.from('x'));
      let n = 0;
      reg.hook = (req, res) => {
        if (req.method !== 'HEAD' || n++ > 0) return false;
        res.writeHead(429, { 'Retry-After': '3' });
        res.end();
        return true;
      };
      assert.equal((await client().hasBlob('team/app', sha256('x')))?.size, 1);
      assert.deepEqual(sleeps, [3000]);
    });

    it('fails at once when Retry-After is longer than allowed', async () => {
      reg.hook = (_req, res) => {
        registryError(res, 429, 'TOOMANYREQUESTS', 'slow down', { 'Retry-After': '3600' });
        return true;
      };
      await assert.rejects(
        client({ endpoint: reg.url }).getManifest('team/app', 'v1'),
        code('REGISTRY_TOO_MANY_REQUESTS', /TOOMANYREQUESTS: slow down.*retry after 3600/),
      );
      assert.deepEqual(sleeps, []);
    });

    it('backs off exponentially on 5xx, then reports the registry error', async () => {
      reg.hook = (req, res) => {
        if (!req.url?.includes('/manifests/')) return false;
        registryError(res, 503, 'UNAVAILABLE', 'service unavailable');
        return true;
      };
      await assert.rejects(
        client().getManifest('team/app', 'v1'),
        code('REGISTRY_SERVER_ERROR', /HTTP 503: UNAVAILABLE: service unavailable/),
      );
      assert.deepEqual(sleeps, [5, 10, 20]);
      assert.equal(reg.requests('GET', '/v2/team/app/manifests/').length, 4);
    });

    it('retries network failures of idempotent requests, not of uploads once sent', async () => {
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [] }));
      reg.putManifest('team/app', 'v1', manifest, OCI_MEDIA_TYPES.index);
      let n = 0;
      reg.hook = (req, res) => {
        if (!req.url?.includes('/manifests/') || n++ > 0) return false;
        res.socket?.destroy();
        return true;
      };
      assert.equal((await client().getManifest('team/app', 'v1')).digest, sha256(manifest));
      assert.equal(sleeps.length, 1);
    });

    it('a request without an answer times out', async () => {
      reg.hook = (req) => req.url?.includes('/manifests/') ?? false;
      await assert.rejects(client({ timeoutMs: 200, retries: 0 }).getManifest('team/app', 'v1'), code('TIMEOUT'));
    });
  });

  describe('uploads', () => {
    const data = randomBytes(250_000);

    it('monolithic: POST, then one PUT ?digest= with the content', async () => {
      const r = await client().uploadBlob('team/app', desc(data), data);
      assert.equal(r.digest, sha256(data));
      assert.ok(reg.blobs.get(`team/app@${sha256(data)}`)?.equals(data));
      const methods = reg.seen.filter((s) => s.url.includes('/blobs/')).map((s) => s.method);
      assert.deepEqual(methods, ['POST', 'PUT']);
      const put = reg.requests('PUT')[0];
      assert.equal(put?.bodyLength, data.length);
      assert.equal(put?.headers['content-type'], 'application/octet-stream');
      assert.match(put?.url ?? '', new RegExp(`_state=0&digest=sha256%3A${sha256(data).slice(7)}`));
    });

    it('chunked: PATCHes with Content-Range following the returned Location, then an empty PUT', async () => {
      await client().uploadBlob('team/app', desc(data), data, { chunked: true, chunkSize: 100_000 });
      assert.ok(reg.blobs.get(`team/app@${sha256(data)}`)?.equals(data));
      const patches = reg.requests('PATCH');
      assert.deepEqual(
        patches.map((p) => [p.headers['content-range'], p.bodyLength, new URL(p.url, reg.url).searchParams.get('_state')]),
        [
          ['0-99999', 100_000, '0'],
          ['100000-199999', 100_000, '100000'],
          ['200000-249999', 50_000, '200000'],
        ],
      );
      assert.ok(patches.every((p) => p.headers['content-type'] === 'application/octet-stream'));
      const put = reg.requests('PUT')[0];
      assert.equal(put?.bodyLength, 0);
      assert.match(put?.url ?? '', /_state=250000&digest=sha256%3A/);
    });

    it('chunked: honours OCI-Chunk-Min-Length', async () => {
      reg.hook = (req, res) => {
        if (req.method !== 'POST') return false;
        const uid = 'fixed';
        reg.uploads.set(uid, { repo: 'team/app', data: Buffer.alloc(0) });
        res.writeHead(202, { Location: `/v2/team/app/blobs/uploads/${uid}`, 'OCI-Chunk-Min-Length': '200000' });
        res.end();
        return true;
      };
      await client().uploadBlob('team/app', desc(data), data, { chunked: true, chunkSize: 1000 });
      assert.deepEqual(
        reg.requests('PATCH').map((p) => p.bodyLength),
        [200_000, 50_000],
      );
    });

    it('chunked: a failed chunk is resumed where the registry says the upload stands', async () => {
      let failed = false;
      reg.hook = (req, res, body, url) => {
        if (req.method !== 'PATCH' || failed || req.headers['content-range'] !== '100000-199999') return false;
        failed = true;
        // the registry kept part of the chunk, then failed
        const uid = url.pathname.split('/').pop() as string;
        const up = reg.uploads.get(uid);
        if (up) up.data = Buffer.concat([up.data, body.subarray(0, 30_000)]);
        registryError(res, 500, 'UNKNOWN', 'disk hiccup');
        return true;
      };
      const r = await client().uploadBlob('team/app', desc(data), data, { chunked: true, chunkSize: 100_000 });
      assert.equal(r.retries, 1);
      assert.ok(reg.blobs.get(`team/app@${sha256(data)}`)?.equals(data));
      assert.deepEqual(
        reg.requests('PATCH').map((p) => p.headers['content-range']),
        ['0-99999', '100000-199999', '130000-229999', '230000-249999'],
      );
      assert.equal(reg.requests('GET', '/v2/team/app/blobs/uploads/').length, 1);
    });

    it('a failed monolithic upload is restarted in a new session', async () => {
      let n = 0;
      reg.hook = (req, res) => {
        if (req.method !== 'PUT' || n++ > 0) return false;
        registryError(res, 502, 'UNKNOWN', 'bad gateway');
        return true;
      };
      const r = await client().uploadBlob('team/app', desc(data), data);
      assert.equal(r.retries, 1);
      assert.equal(reg.requests('POST').length, 2);
      assert.equal(reg.requests('DELETE').length, 1, 'the failed session is cancelled');
      assert.ok(reg.blobs.has(`team/app@${sha256(data)}`));
    });

    it('an expired upload session is replaced', async () => {
      let n = 0;
      reg.hook = (req, res) => {
        if (req.method !== 'PATCH' || n++ > 0) return false;
        registryError(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
        return true;
      };
      const r = await client().uploadBlob('team/app', desc(data), data, { chunked: true, chunkSize: 100_000 });
      assert.equal(r.retries, 1);
      assert.equal(reg.requests('POST').length, 2);
      assert.ok(reg.blobs.get(`team/app@${sha256(data)}`)?.equals(data));
    });

    it('a registry that refuses the content is not retried', async () => {
      reg.hook = (req, res) => {
        if (req.method !== 'PUT') return false;
        registryError(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
        return true;
      };
      await assert.rejects(client().uploadBlob('team/app', desc(data), data), code('REGISTRY_REJECTED', /DIGEST_INVALID/));
      assert.equal(reg.requests('POST').length, 1);
    });

    it('with bearer auth, the streamed PUT carries the token on its first attempt', async () => {
      reg.bearer = true;
      await client({ auth: new RegistryAuth() }).uploadBlob('team/app', desc(data), data);
      const puts = reg.requests('PUT');
      assert.equal(puts.length, 1);
      assert.match(puts[0]?.headers.authorization ?? '', /^Bearer t-repository:team\/app:pull,push$/);
    });
  });

  describe('mounts', () => {
    const data = randomBytes(1000);

    it('mounts when the registry can, asking for pull on the source repository', async () => {
      reg.bearer = true;
      reg.putBlob('team/base', data);
      assert.deepEqual(await client({ auth: new RegistryAuth() }).mountBlob('team/app', 'team/base', desc(data)), {
        mounted: true,
        uploaded: false,
      });
      assert.ok(reg.tokenScopes.some((s) => s.includes('repository:team/app:pull,push') && s.includes('repository:team/base:pull')));
      const post = reg.requests('POST')[0];
      const u = new URL(post?.url ?? '', reg.url);
      assert.equal(u.searchParams.get('mount'), sha256(data));
      assert.equal(u.searchParams.get('from'), 'team/base');
    });

    it('uploads in the session a refused mount opened (no second POST)', async () => {
      assert.deepEqual(await client().mountBlob('team/app', 'team/base', desc(data), data), { mounted: false, uploaded: true });
      assert.equal(reg.requests('POST').length, 1);
      assert.equal(reg.requests('PUT').length, 1);
      assert.ok(reg.blobs.has(`team/app@${sha256(data)}`));
    });

    it('cancels that session without a source', async () => {
      assert.deepEqual(await client().mountBlob('team/app', 'team/base', desc(data)), { mounted: false, uploaded: false });
      assert.equal(reg.requests('DELETE').length, 1);
      assert.equal(reg.uploads.size, 0);
    });
  });

  describe('tags and referrers', () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [] }));

    it('follows Link pagination', async () => {
      const tags = Array.from({ length: 7 }, (_, i) => `t${i}`);
      for (const t of tags) reg.putManifest('team/app', t, index, OCI_MEDIA_TYPES.index);
      assert.deepEqual(await client().listTags('team/app', { pageSize: 3 }), tags);
      assert.equal(reg.requests('GET', '/v2/team/app/tags/list').length, 3);
      await assert.rejects(client().listTags('team/none'), code('REPOSITORY_UNKNOWN', /NAME_UNKNOWN/));
    });

    it('refuses a Link to another origin or back to a page already read', async () => {
      reg.hook = (req, res) => {
        if (!req.url?.includes('/tags/list')) return false;
        res.writeHead(200, { Link: '<http://evil.example/v2/x/tags/list>; rel="next"' });
        res.end('{"tags":["a"]}');
        return true;
      };
      await assert.rejects(client().listTags('team/app'), code('REGISTRY_BAD_RESPONSE', /another server/));
      reg.hook = (req, res) => {
        if (!req.url?.includes('/tags/list')) return false;
        res.writeHead(200, { Link: '</v2/team/app/tags/list>; rel="next"' });
        res.end('{"tags":["a"]}');
        return true;
      };
      await assert.rejects(client().listTags('team/app'), code('REGISTRY_BAD_RESPONSE', /already read/));
    });

    it('referrers: the API when there is one (filtering when the registry did not)', async () => {
      const a = { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256('a'), size: 1, artifactType: 'application/a' };
      const b = { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256('b'), size: 1, artifactType: 'application/b' };
      reg.hook = (req, res) => {
        if (!req.url?.includes('/referrers/')) return false;
        res.writeHead(200, { 'Content-Type': OCI_MEDIA_TYPES.index });
        res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [a, b] }));
        return true;
      };
      assert.deepEqual(await client().referrers('team/app', sha256('s')), { manifests: [a, b], via: 'api' });
      assert.deepEqual(await client().referrers('team/app', sha256('s'), { artifactType: 'application/b' }), {
        manifests: [b],
        via: 'api',
      });
    });

    it('referrers: the tag schema on 404', async () => {
      const subject = sha256('s');
      assert.equal(referrersTag(subject), `sha256-${subject.slice(7)}`);
      assert.deepEqual(await client().referrers('team/app', subject), { manifests: [], via: 'none' });
      reg.putManifest('team/app', referrersTag(subject), index, OCI_MEDIA_TYPES.index);
      assert.deepEqual(await client().referrers('team/app', subject), { manifests: [], via: 'tag' });
    });
  });

  describe('endpoints', () => {
    it('refuses plain http to a host that is not loopback nor insecure', async () => {
      await assert.rejects(
        new RegistryClient('registry.example.com', { endpoint: 'http://registry.example.com' }).ping(),
        code('INSECURE_REGISTRY'),
      );
    });

    it('discovers plain http on loopback after https fails, and learns the auth challenge from the ping', async () => {
      reg.bearer = true;
      const c = new RegistryClient(reg.host, { auth: new RegistryAuth(), retries: 0 });
      clients.push(c);
      const ping = await c.ping();
      assert.equal(ping.endpoint, reg.url);
      assert.equal(ping.status, 401);
      assert.equal(await c.hasBlob('team/app', sha256('nothing')), undefined);
      // the HEAD carried a token up front: one HEAD only
      assert.equal(reg.requests('HEAD').length, 1);
    });

    it('rejects invalid repository names and references', async () => {
      const c = client();
      await assert.rejects(c.getManifest('../etc', 'v1'), code('INVALID_REFERENCE'));
      await assert.rejects(c.getManifest('team/app', 'v1/../x'), code('INVALID_REFERENCE'));
      await assert.rejects(c.getManifest('team/app', 'sha256:abc'), code('INVALID_REFERENCE'));
    });
  });
});

describe('registry client helpers', () => {
  it('parses Link and Retry-After', () => {
    assert.equal(parseNextLink(['</v2/x/tags/list?last=b&n=2>; rel="next"']), '/v2/x/tags/list?last=b&n=2');
    assert.equal(parseNextLink(['<https://a/p1>; rel="prev", <https://a/p3>; rel=next']), 'https://a/p3');
    assert.equal(parseNextLink(['<https://a/p1>; rel="prev"']), undefined);
    assert.equal(retryAfterMs('5'), 5000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon'), undefined);
  });
});
