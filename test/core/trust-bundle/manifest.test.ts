/** The trust bundle manifest: what parses, and what is refused as BUNDLE_INVALID (with the field named). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDctError } from '../../../src/core/errors.js';
import { BUNDLE_MEDIA_TYPE, parseManifest, serializeManifest, type TrustBundleManifest } from '../../../src/core/trust-bundle/manifest.js';

const GUN = 'example.com/demo/app';
const SHA = 'a'.repeat(64);

function manifest(): TrustBundleManifest {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    exportedAt: '2026-12-07T12:00:00.000Z',
    dctVersion: '0.1.0',
    repositories: [
      {
        gun: GUN,
        source: { kind: 'server', url: 'https://127.0.0.1:4443' },
        verifiedAt: '2026-12-07T12:00:00.000Z',
        verifiedAsOf: '2026-12-07T12:00:00.000Z',
        expired: [],
        roots: [1, 2],
        files: [
          { path: `repositories/${GUN}/1.root.json`, role: 'root', version: 1, sha256: SHA, length: 10 },
          { path: `repositories/${GUN}/root.json`, role: 'root', version: 2, sha256: SHA, length: 10 },
          { path: `repositories/${GUN}/targets/releases.json`, role: 'targets/releases', version: 3, sha256: SHA, length: 10 },
        ],
        tags: [{ name: 'v1', digest: `sha256:${SHA}`, size: 6, roles: [{ role: 'targets', keyIds: ['k'] }], released: true }],
        warnings: [],
      },
    ],
  };
}

interface Loose {
  mediaType: string;
  exportedAt: string;
  repositories: Array<{ gun: string; roots: number[]; files: Array<{ path: string; sha256: string }>; tags: Array<{ digest: string }> }>;
}

function refused(edit: (m: Loose) => void, field: RegExp): void {
  const m = JSON.parse(serializeManifest(manifest()).toString()) as Loose;
  edit(m);
  assert.throws(
    () => parseManifest(Buffer.from(JSON.stringify(m))),
    (err: Error) => isDctError(err, 'BUNDLE_INVALID') && field.test(err.message),
  );
}

describe('trust bundle manifest', () => {
  it('round-trips', () => {
    assert.deepEqual(parseManifest(serializeManifest(manifest())), manifest());
  });

  it('refuses what is not a manifest, naming the field', () => {
    assert.throws(
      () => parseManifest(Buffer.from('{')),
      (err: Error) => isDctError(err, 'BUNDLE_INVALID'),
    );
    refused((m) => (m.mediaType = 'application/json'), /mediaType/);
    refused((m) => (m.repositories[0]!.gun = '../../etc'), /repositories\[0\]\.gun/);
    refused((m) => (m.repositories[0]!.files[0]!.path = `repositories/${GUN}/../x/1.root.json`), /files\[0\]\.path/);
    refused((m) => (m.repositories[0]!.files[2]!.path = `repositories/other/targets/releases.json`), /files\[2\]\.path/);
    refused((m) => (m.repositories[0]!.files[0]!.sha256 = 'xyz'), /files\[0\]\.sha256/);
    refused((m) => (m.repositories[0]!.tags[0]!.digest = 'md5:00'), /tags\[0\]\.digest/);
    refused((m) => (m.repositories[0]!.roots = []), /roots/);
    refused((m) => (m.exportedAt = 'yesterday'), /exportedAt/);
    refused((m) => void m.repositories.push(m.repositories[0]!), /listed twice/);
  });
});
