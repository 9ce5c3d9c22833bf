/**
 * RegistryClient against a scripted registry: retries — Retry-After on 429,
 * exponential back-off on 5xx, network failures retried for idempotent requests
 * only, timeouts — and the helpers that parse Link and Retry-After.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNextLink } from '../../../src/adapters/registry/registry-headers.js';
import { retryAfterMs } from '../../../src/adapters/http/transport/retry.js';
import { OCI_MEDIA_TYPES } from '../../../src/core/oci/index.js';
import { registryError } from './fake-registry.js';
import { client, code, reg, sha256, sleeps, useScriptedRegistry } from './registry-client-support.js';

describe('RegistryClient (scripted registry)', () => {
  useScriptedRegistry();

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
