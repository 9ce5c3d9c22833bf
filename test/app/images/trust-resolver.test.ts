/**
 * The trust resolver use case on verified trust data (RepoSimulator) behind a
 * made-up `open` port: each repository is opened and read once, warnings are
 * reported, failures say which repository's trust data failed (or none).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TrustContext } from '../../../src/app/docker-trust/trust-context.js';
import { parseReference, ResolutionFailure, TrustResolver } from '../../../src/app/images/trust-resolver.js';
import { DctError, isDctError } from '../../../src/core/errors.js';
import { parseImageReference } from '../../../src/core/image-reference.js';
import { RepoSimulator } from '../../support/repo-simulator.js';

const GUN = '127.0.0.1:5000/sim/app';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function resolverOver(opts: { fail?: Error; warnings?: string[] } = {}) {
  const sim = new RepoSimulator(GUN);
  sim.addTarget('1.0', 'manifest one');
  sim.addTarget('latest', 'manifest latest');
  await sim.publish();
  const trusted = sim.trustedSet();
  const opened: string[] = [];
  let closed = 0;
  const warnings: string[] = [];
  const resolver = new TrustResolver({
    open: async (gun) => {
      opened.push(gun);
      if (opts.fail !== undefined) throw opts.fail;
      return {
        gun,
        repo: { read: async () => ({ trusted, warnings: opts.warnings ?? [] }) },
        close: () => void closed++,
      } as unknown as TrustContext;
    },
    onWarning: (w) => warnings.push(w),
  });
  return { resolver, opened, warnings, closed: () => closed };
}

const failure = (check: (f: ResolutionFailure) => void) => (err: unknown) => {
  assert.ok(err instanceof ResolutionFailure, `expected a ResolutionFailure, got ${String(err)}`);
  check(err);
  return true;
};

describe('TrustResolver (use case)', () => {
  it('a tag (default latest) resolves to its signed digest; the repository is opened and read once; close closes it', async () => {
    const t = await resolverOver({ warnings: ['expiring soon'] });
    const one = await t.resolver.resolveTag(parseImageReference(`${GUN}:1.0`));
    assert.deepEqual(
      { tag: one.tag, digest: one.digest, size: one.size, role: one.role },
      { tag: '1.0', digest: `sha256:${sha('manifest one')}`, size: 12, role: 'targets' },
    );
    const latest = await t.resolver.resolveTag(parseImageReference(GUN));
    assert.equal(latest.tag, 'latest');
    assert.deepEqual(t.opened, [GUN]);
    assert.deepEqual(t.warnings, ['expiring soon']);
    t.resolver.close();
    assert.equal(t.closed(), 1);
  });

  it("an unsigned tag fails with the repository named (callers word it as docker's notary error)", async () => {
    const t = await resolverOver();
    await assert.rejects(
      t.resolver.resolveTag(parseImageReference(`${GUN}:nope`)),
      failure((f) => {
        assert.equal(f.gun, GUN);
        assert.equal(f.code, 'TAG_NOT_SIGNED');
      }),
    );
  });

  it('a trust context that cannot be opened fails without a repository; its trust data failing names it', async () => {
    const t = await resolverOver({ fail: new DctError('NETWORK_ERROR', 'connection refused') });
    await assert.rejects(
      t.resolver.resolveTag(parseImageReference(`${GUN}:1.0`)),
      failure((f) => {
        assert.equal(f.gun, undefined);
        assert.equal(f.code, 'NETWORK_ERROR');
        assert.equal(f.message, 'connection refused');
      }),
    );
  });

  it('verify: a digest must be pointed at by a released tag, name:tag@digest must match, sha256 only', async () => {
    const t = await resolverOver();
    const byDigest = await t.resolver.verify(parseImageReference(`${GUN}@sha256:${sha('manifest one')}`));
    assert.deepEqual(byDigest.tags, ['1.0']);
    await assert.rejects(
      t.resolver.verify(parseImageReference(`${GUN}@sha256:${sha('unsigned')}`)),
      failure((f) => {
        assert.equal(f.code, 'DIGEST_NOT_SIGNED');
        assert.equal(f.gun, undefined);
        assert.equal(f.reference?.name, GUN);
      }),
    );
    await assert.rejects(
      t.resolver.verify(parseImageReference(`${GUN}:1.0@sha256:${sha('manifest latest')}`)),
      failure((f) => assert.equal(f.code, 'DIGEST_MISMATCH')),
    );
    assert.equal((await t.resolver.released(parseImageReference(GUN))).length, 2);
  });

  it('parseReference: a bad reference is a ResolutionFailure with the parse error underneath', () => {
    assert.throws(
      () => parseReference('team/UPPER'),
      failure((f) => assert.ok(isDctError(f.cause))),
    );
  });
});
