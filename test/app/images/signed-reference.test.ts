/**
 * docker's trusted resolution of tags and digests on verified trust data built
 * with real keys and signatures (RepoSimulator): released roles win, a tag held
 * only by a signer's own delegation is not signed, sha256 is required.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { releasedTags, releasedTagsFor, signedDigest, signedTarget } from '../../../src/app/images/signed-reference.js';
import { isDctError } from '../../../src/core/errors.js';
import { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { RepoSimulator } from '../../support/repo-simulator.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const code = (c: string, message?: string) => (err: unknown) => {
  assert.ok(isDctError(err, c), `expected ${c}, got ${(err as Error).message}`);
  if (message !== undefined) assert.equal((err as Error).message, message);
  return true;
};

async function load(build: (sim: RepoSimulator) => void): Promise<TrustedSet> {
  const sim = new RepoSimulator('127.0.0.1:5000/sim/app');
  build(sim);
  await sim.publish();
  return sim.trustedSet();
}

describe('signedTarget (docker TrustedReference)', () => {
  it('a tag in targets resolves to its sha256 and size, role targets', async () => {
    const set = await load((s) => s.addTarget('1.0', 'manifest one'));
    assert.deepEqual(signedTarget(set, '1.0'), { sha256Hex: sha('manifest one'), size: 'manifest one'.length, role: 'targets' });
  });

  it('targets/releases wins over targets; a tag only a signer delegation holds is not signed', async () => {
    const set = await load((s) => {
      s.delegate('targets/releases');
      s.delegate('targets/alice');
      s.addTarget('v1', 'released', 'targets/releases');
      s.addTarget('v1', 'admin', 'targets');
      s.addTarget('v2', 'alice only', 'targets/alice');
      s.addTarget('v3', 'admin three', 'targets');
      s.addTarget('v3', 'alice three', 'targets/alice');
    });
    assert.deepEqual(signedTarget(set, 'v1'), { sha256Hex: sha('released'), size: 8, role: 'targets/releases' });
    assert.throws(() => signedTarget(set, 'v2'), code('TAG_NOT_SIGNED', 'No valid trust data for v2'));
    assert.equal(signedTarget(set, 'v3').sha256Hex, sha('admin three'));
    assert.throws(() => signedTarget(set, 'nope'), code('TAG_NOT_SIGNED', 'No valid trust data for nope'));
  });

  it('a delegation below targets/releases counts as released only through targets/releases walk order', async () => {
    const set = await load((s) => {
      s.delegate('targets/releases');
      s.delegate('targets/releases/ci', [''], 'targets/releases');
      s.addTarget('v9', 'from ci', 'targets/releases/ci');
    });
    // docker's check is on the role name: a child of targets/releases is not one of the two released roles
    assert.throws(() => signedTarget(set, 'v9'), code('TAG_NOT_SIGNED'));
  });

  it("a target without sha256 is refused with docker's message", async () => {
    const set = await load((s) => s.addTarget('odd', 'x'));
    const meta = set.findTarget('odd')!.meta;
    delete meta.hashes['sha256'];
    assert.throws(() => signedTarget(set, 'odd'), code('NO_VALID_HASH', 'no valid hash, expecting sha256'));
    assert.deepEqual(releasedTags(set), []);
  });
});

describe('digests', () => {
  it('released tags pointing at a digest; other delegations do not count', async () => {
    const set = await load((s) => {
      s.delegate('targets/releases');
      s.delegate('targets/bob');
      s.addTarget('1.0', 'same', 'targets/releases');
      s.addTarget('stable', 'same', 'targets/releases');
      s.addTarget('1.1', 'other', 'targets/releases');
      s.addTarget('bobs', 'bob', 'targets/bob');
    });
    assert.deepEqual(
      releasedTagsFor(set, `sha256:${sha('same')}`)
        .map((t) => t.tag)
        .sort(),
      ['1.0', 'stable'],
    );
    assert.deepEqual(
      releasedTagsFor(set, sha('other')).map((t) => [t.tag, t.role]),
      [['1.1', 'targets/releases']],
    );
    assert.deepEqual(releasedTagsFor(set, `sha256:${sha('bob')}`), []);
    assert.throws(
      () => signedDigest(set, `sha256:${sha('bob')}`),
      code('DIGEST_NOT_SIGNED', `No signed tag of 127.0.0.1:5000/sim/app points at sha256:${sha('bob')}`),
    );
    assert.throws(() => releasedTagsFor(set, 'sha256:abc'), code('INVALID_DIGEST'));
    assert.deepEqual(
      releasedTags(set)
        .map((t) => t.tag)
        .sort(),
      ['1.0', '1.1', 'stable'],
    );
  });
});
