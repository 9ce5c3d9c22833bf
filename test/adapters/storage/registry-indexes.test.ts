/**
 * RegistryStore.indexesListing on SQLite and PostgreSQL: the pull gate's only
 * way up from a manifest to the signed index listing it. Only index → manifest
 * edges count; a manifest using the digest as its config or a layer is left
 * out (its bytes may equal a manifest's), and so are other repositories.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { openStore, type ServerStore } from '../../../src/adapters/storage/open-store.js';
import { postgresUnreachable } from '../../support/postgres.js';
import { postgresSchemas } from '../../server/registry/support.js';

function manifest(repository: string, text: string) {
  const data = Buffer.from(text);
  return {
    repository,
    digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: data.length,
    data,
  };
}

function suite(name: string, open: () => Promise<ServerStore & { close(): Promise<void> }>): void {
  describe(`RegistryStore.indexesListing (${name})`, () => {
    it('lists the indexes naming a manifest, with their sizes; not manifests using the digest as a blob; not other repositories', async () => {
      const store = await open();
      try {
        const r = store.registry;
        const child = manifest('team/app', '{"child":1}');
        const image = manifest('team/app', '{"layers":["child bytes as a layer"]}');
        const index = manifest('team/app', '{"manifests":["child"]}');
        const bigger = manifest('team/app', '{"manifests":["child","other platform"]}');
        const elsewhere = manifest('team/other', '{"manifests":["child"]}');
        await r.putManifest(child, []);
        await r.putManifest(image, [{ digest: child.digest, kind: 'blob' }]);
        await r.putManifest(index, [{ digest: child.digest, kind: 'manifest' }]);
        await r.putManifest(bigger, [{ digest: child.digest, kind: 'manifest' }]);
        await r.putManifest(manifest('team/other', '{"child":1}'), []);
        await r.putManifest(elsewhere, [{ digest: child.digest, kind: 'manifest' }]);
        const expected = [index, bigger].map((m) => ({ digest: m.digest, size: m.size })).sort((a, b) => (a.digest < b.digest ? -1 : 1));
        assert.deepEqual(await r.indexesListing('team/app', child.digest), expected);
        assert.deepEqual((await r.referencedBy('team/app', child.digest)).sort(), [image.digest, index.digest, bigger.digest].sort());
        assert.deepEqual(await r.indexesListing('team/app', index.digest), []);
      } finally {
        await store.close();
      }
    });
  });
}

suite('SQLite', () => openStore('sqlite::memory:'));

const unreachable = await postgresUnreachable();
if (unreachable !== undefined && process.env.CI) {
  describe('RegistryStore.indexesListing (PostgreSQL)', () => {
    it('needs a reachable PostgreSQL in CI', () => assert.fail(unreachable));
  });
} else if (unreachable !== undefined) {
  describe('RegistryStore.indexesListing (PostgreSQL)', { skip: unreachable }, () => undefined);
} else {
  const schemas = postgresSchemas();
  after(() => schemas.drop());
  suite('PostgreSQL', () => openStore(schemas.storage()));
}
