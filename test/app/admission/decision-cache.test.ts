/** The verified-result cache: fresh hits, stale-while-revalidate, single flight, denials not kept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecisionCache, decisionKey, type CacheOutcome } from '../../../src/app/admission/decision-cache.js';
import type { ImageDecision } from '../../../src/core/policy/decision.js';
import type { PullCredentials } from '../../../src/core/policy/pull-credentials.js';
import { decisionFor } from './admission-doubles.js';

function setup(decide: (image: string, credentials?: PullCredentials) => Promise<ImageDecision>, ttlMs = 1000, staleMs = 1000) {
  let clock = 0;
  const outcomes: CacheOutcome[] = [];
  const errors: unknown[] = [];
  const cache = new DecisionCache(decide, {
    ttlMs,
    staleMs,
    now: () => clock,
    onOutcome: (o) => outcomes.push(o),
    onRevalidateError: (_i, e) => errors.push(e),
  });
  return { cache, outcomes, errors, at: (ms: number) => void (clock = ms) };
}

describe('DecisionCache', () => {
  it('miss, hit while fresh, stale (served, revalidated once), then expired', async () => {
    let n = 0;
    const { cache, outcomes, at } = setup(async (image) => {
      const decidedAt = String(++n);
      await new Promise((r) => setTimeout(r, 5));
      return decisionFor(image, { decidedAt });
    });
    assert.equal((await cache.get('a:1')).decision.decidedAt, '1');
    at(999);
    assert.equal((await cache.get('a:1')).cache, 'hit');
    at(1000);
    const stale = await cache.get('a:1');
    assert.equal(stale.cache, 'stale');
    assert.equal(stale.decision.decidedAt, '1', 'the stale decision is served at once');
    await cache.get('a:1'); // a second stale read does not start another revalidation
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(n, 2);
    at(1500);
    assert.equal((await cache.get('a:1')).decision.decidedAt, '2');
    at(1000 + 1000 + 1000); // stored at 1000: fresh until 2000, stale until 3000
    assert.equal((await cache.get('a:1')).cache, 'miss');
    assert.deepEqual(outcomes, ['miss', 'hit', 'stale', 'stale', 'hit', 'miss']);
  });

  it('concurrent misses share one decision', async () => {
    let n = 0;
    const { cache } = setup(async (image) => {
      n++;
      await new Promise((r) => setTimeout(r, 20));
      return decisionFor(image);
    });
    await Promise.all([cache.get('a:1'), cache.get('a:1'), cache.get('a:1')]);
    assert.equal(n, 1);
  });

  it('denials and failures are not kept; a failed revalidation keeps the stale decision', async () => {
    let fail = false;
    let deny = true;
    const { cache, at, errors } = setup(async (image) => {
      if (fail) throw new Error('registry down');
      return decisionFor(image, deny ? { verdict: 'deny' } : {});
    });
    await cache.get('a:1');
    assert.equal(cache.size, 0, 'a denial is decided again next time');
    deny = false;
    await cache.get('a:1');
    assert.equal(cache.size, 1);
    fail = true;
    at(1200);
    assert.equal((await cache.get('a:1')).cache, 'stale');
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 1);
    assert.equal((await cache.get('a:1')).cache, 'stale', 'still served');
    await assert.rejects(setup(async () => Promise.reject(new Error('boom'))).cache.get('b:1'), /boom/);
  });

  it('ttl 0 keeps nothing; clear() forgets everything', async () => {
    let n = 0;
    const off = setup(async (i) => (n++, decisionFor(i)), 0, 0);
    await off.cache.get('a:1');
    await off.cache.get('a:1');
    assert.equal(n, 2);
    const on = setup(async (i) => (n++, decisionFor(i)));
    await on.cache.get('a:1');
    on.cache.clear();
    assert.equal((await on.cache.get('a:1')).cache, 'miss');
  });

  it('a decision made with a pull secret is kept for that secret only; the webhook-own ones are shared', async () => {
    const secretOf = (registry: string, source: string): PullCredentials => ({
      forRegistry: (r) => (r === registry ? { login: { username: 'u', password: 'p' }, source } : undefined),
    });
    const shopSecret = secretOf('private.example.com', 'secret shop/regcred (aa)');
    const teamSecret = secretOf('private.example.com', 'secret team/regcred (bb)');
    const seen: string[] = [];
    const { cache } = setup(async (image, credentials) => {
      seen.push(`${image} ${credentials?.forRegistry('private.example.com')?.source ?? 'own'}`);
      return decisionFor(image);
    });
    assert.equal((await cache.get('private.example.com/app:1', shopSecret)).cache, 'miss');
    assert.equal((await cache.get('private.example.com/app:1', shopSecret)).cache, 'hit');
    assert.equal((await cache.get('private.example.com/app:1')).cache, 'miss', 'no secret: not the one decided with shop');
    assert.equal((await cache.get('private.example.com/app:1', teamSecret)).cache, 'miss', "team's secret: not shop's");
    // a secret for another registry changes nothing: the webhook's own decision is shared
    assert.equal((await cache.get('private.example.com/app:1', secretOf('other.example.com', 'x'))).cache, 'hit');
    assert.deepEqual(seen, [
      'private.example.com/app:1 secret shop/regcred (aa)',
      'private.example.com/app:1 own',
      'private.example.com/app:1 secret team/regcred (bb)',
    ]);
    assert.equal(decisionKey('not a reference!', shopSecret), 'not a reference!');
  });
});
