/**
 * RegistryClient against a scripted registry: the blob upload protocols
 * (monolithic, chunked with Content-Range and OCI-Chunk-Min-Length), failed and
 * expired sessions resumed or restarted, refused content not retried, bearer
 * tokens on streamed PUTs, and cross-repository mounts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { RegistryAuth } from '../../../src/adapters/http/registry-auth.js';
import { registryError } from './fake-registry.js';
import { client, code, desc, reg, sha256, useScriptedRegistry } from './registry-client-support.js';

describe('RegistryClient (scripted registry)', () => {
  useScriptedRegistry();

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
});
