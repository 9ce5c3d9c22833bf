/**
 * The signing use case's refusals and step failures behind a made-up trust context
 * (the signing itself runs end to end in test/cli/trust/trust-cli.test.ts against
 * `dct server`, and against docker in test/interop/dct-trust.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignFailure, signTag } from '../../../src/app/docker-trust/sign-tag.js';
import type { TrustContext } from '../../../src/app/docker-trust/trust-context.js';
import { DctError } from '../../../src/core/errors.js';
import { parseImageReference } from '../../../src/core/image-reference.js';

function context(reference: string, read: () => Promise<unknown>) {
  const calls: string[] = [];
  const ref = parseImageReference(reference);
  const ctx = {
    original: reference,
    ref,
    gun: ref.name,
    repo: { read },
    clearChangelist: async () => void calls.push('clear'),
  } as unknown as TrustContext;
  return { ctx, calls };
}

const step = (expected: string, cause?: (c: unknown) => void) => (err: unknown) => {
  assert.ok(err instanceof SignFailure, `expected a SignFailure, got ${String(err)}`);
  assert.equal(err.step, expected);
  cause?.(err.cause);
  return true;
};

describe('signTag (use case)', () => {
  const never = () => Promise.reject(new Error('not to be called'));

  it('refuses a reference without a tag, or by digest, before touching the changelist', async () => {
    const none = context('registry.example/app', never);
    await assert.rejects(signTag(none.ctx, { resolveManifest: never }), step('no-tag'));
    const digest = context(`registry.example/app:1@sha256:${'a'.repeat(64)}`, never);
    await assert.rejects(signTag(digest.ctx, { resolveManifest: never }), step('digest-reference'));
    assert.deepEqual([...none.calls, ...digest.calls], []);
  });

  it('trust data that cannot be read is a `read` failure with the error underneath; the changelist is cleared before and after', async () => {
    const offline = new DctError('NETWORK_ERROR', 'connection refused');
    const c = context('registry.example/app:1', () => Promise.reject(offline));
    await assert.rejects(
      signTag(c.ctx, { resolveManifest: never }),
      step('read', (cause) => assert.equal(cause, offline)),
    );
    assert.deepEqual(c.calls, ['clear', 'clear']);
  });

  it("the registry's manifest is asked for only when none is given, and its failure passes through as it is", async () => {
    const missing = new DctError('MANIFEST_UNKNOWN', 'no such tag');
    const c = context('registry.example/app:1', () => Promise.reject(new DctError('REPOSITORY_NOT_FOUND', 'none')));
    let asked = 0;
    await assert.rejects(signTag(c.ctx, { resolveManifest: () => (asked++, Promise.reject(missing)) }), (err) => err === missing);
    assert.equal(asked, 1);
  });
});
