/**
 * RegistryClient against a scripted registry: blob downloads — streamed with
 * verification (DIGEST_MISMATCH, SIZE_MISMATCH), resumed with Range after a
 * broken or stalled connection or from an offset, redirects to storage without
 * the Authorization header (kept on the same origin).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { RegistryAuth } from '../../../src/adapters/http/registry-auth.js';
import { client, code, Collect, desc, reg, sha256, useScriptedRegistry } from './registry-client-support.js';

describe('RegistryClient (scripted registry)', () => {
  useScriptedRegistry();

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
});
