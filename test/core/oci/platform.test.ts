import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatPlatform,
  matchPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
  platformOfNode,
  requirePlatform,
  type Platform,
} from '../../../src/core/oci/index.js';

const entry = (platform: Platform | undefined, digest: string) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest,
  size: 1,
  ...(platform ? { platform } : {}),
});

describe('platforms', () => {
  it('parses and normalises', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('Linux/aarch64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(parsePlatform('linux/armel'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    assert.deepEqual(parsePlatform('linux/arm/6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    assert.deepEqual(parsePlatform('windows(10.0.17763.5)/amd64'), { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.5' });
    assert.deepEqual(parsePlatform('arm64', { os: 'linux' }), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux', { architecture: 'amd64' }), { os: 'linux', architecture: 'amd64' });
    for (const bad of ['', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux/am d64', 'arm64'])
      assert.throws(() => parsePlatform(bad), { code: 'INVALID_PLATFORM' }, bad);
    assert.equal(formatPlatform(parsePlatform('linux/arm64')), 'linux/arm64/v8');
  });

  it('maps Node platforms', () => {
    assert.deepEqual(platformOfNode('linux', 'x64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(platformOfNode('darwin', 'arm64'), { os: 'darwin', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(platformOfNode('win32', 'ia32'), { os: 'windows', architecture: '386' });
    assert.deepEqual(platformOfNode('linux', 'arm', '6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
  });

  it('matches', () => {
    assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8')));
    assert.ok(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm/v7')), 'v7 runs v6');
    assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, parsePlatform('linux/arm/v6')));
    assert.ok(!platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/arm64')));
    assert.ok(!platformMatches({ os: 'windows', architecture: 'amd64' }, parsePlatform('linux/amd64')));
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'amd64', variant: 'v1' }), { os: 'linux', architecture: 'amd64' });
  });

  it('picks the best index entry and skips attestations', () => {
    const manifests = [
      entry(undefined, 'none'),
      entry({ os: 'unknown', architecture: 'unknown' }, 'attestation'),
      entry({ os: 'linux', architecture: 'amd64' }, 'amd64'),
      entry({ os: 'linux', architecture: 'arm', variant: 'v6' }, 'armv6'),
      entry({ os: 'linux', architecture: 'arm', variant: 'v7' }, 'armv7'),
      entry({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'arm64'),
      entry({ os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.100' }, 'win1809'),
      entry({ os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.5' }, 'win2022'),
    ];
    const pick = (w: string) => matchPlatform({ manifests }, w)?.digest;
    assert.equal(pick('linux/amd64'), 'amd64');
    assert.equal(pick('linux/arm64'), 'arm64');
    assert.equal(pick('linux/arm/v7'), 'armv7');
    assert.equal(pick('linux/arm/v6'), 'armv6');
    assert.equal(pick('linux/arm/v8'), 'armv7', 'newest older variant');
    assert.equal(pick('windows(10.0.20348.1)/amd64'), 'win2022');
    assert.equal(pick('linux/s390x'), undefined);
    assert.equal(
      matchPlatform(
        [entry({ os: 'linux', architecture: 'arm', variant: 'v5' }, 'v5'), entry({ os: 'linux', architecture: 'arm' }, 'default')],
        'linux/arm',
      )?.digest,
      'default',
    );
    assert.throws(
      () => requirePlatform({ manifests }, 'linux/s390x', 'app:1'),
      (e: { code: string; message: string }) => {
        assert.equal(e.code, 'PLATFORM_NOT_FOUND');
        assert.match(
          e.message,
          /no matching manifest for linux\/s390x in app:1 \(it has linux\/amd64, linux\/arm\/v6, linux\/arm\/v7, linux\/arm64\/v8, windows\/amd64\)/,
        );
        return true;
      },
    );
  });
});
