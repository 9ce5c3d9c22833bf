/**
 * RegistryClient against a scripted registry: manifests (the bytes as served
 * with their digest, bytes that do not match refused, size caps, schema 1
 * refused, putManifest checking the stored digest, the registry's error JSON in
 * messages) and endpoints (plain http only to loopback or insecure hosts,
 * discovered after https fails; invalid names and references refused).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryAuth } from '../../../src/adapters/http/registry-auth.js';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES } from '../../../src/core/oci/index.js';
import { registryError } from './fake-registry.js';
import { client, clients, code, desc, reg, sha256, useScriptedRegistry } from './registry-client-support.js';

describe('RegistryClient (scripted registry)', () => {
  useScriptedRegistry();

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

    it('findManifest: undefined for a 404, the same checks as getManifest otherwise', async () => {
      reg.putManifest('team/app', 'v1', manifest, OCI_MEDIA_TYPES.manifest);
      const c = client();
      assert.equal(await c.findManifest('team/app', 'sha256-abc.sig'), undefined);
      const got = await c.findManifest('team/app', 'v1');
      assert.ok(got?.bytes.equals(manifest));
      assert.equal(got?.digest, sha256(manifest));
      assert.equal(await c.findManifest('team/app', 'gone'), undefined);
      const other = sha256('other');
      reg.manifests.set(`team/app:${other}`, { body: manifest, contentType: OCI_MEDIA_TYPES.manifest });
      await assert.rejects(c.findManifest('team/app', other), code('DIGEST_MISMATCH', /the reference/));
      reg.hook = (req, res) => {
        if (!req.url?.includes('/manifests/')) return false;
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'no' }] }));
        return true;
      };
      await assert.rejects(c.findManifest('team/app', 'v1'), code('REGISTRY_DENIED'));
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
