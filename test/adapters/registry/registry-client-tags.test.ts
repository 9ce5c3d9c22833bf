/**
 * RegistryClient against a scripted registry: tag lists with pagination (the
 * Link header) and referrers (the API and the tag schema fallback).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referrersTag } from '../../../src/adapters/registry/referrers.js';
import { OCI_MEDIA_TYPES } from '../../../src/core/oci/index.js';
import { client, code, reg, sha256, useScriptedRegistry } from './registry-client-support.js';

describe('RegistryClient (scripted registry)', () => {
  useScriptedRegistry();

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
});
