/**
 * The blocks of a token-signing certificate bundle (`rootcertbundle`): the same blocks, in the
 * same order, as the lazy regular expression that read it before, and linear in the text's
 * length however many BEGIN lines lack their END (that expression searched the rest of the
 * text for each one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundleBlocks } from '../../../src/server/auth/bearer-auth.js';
import { pemText } from '../../core/pem-text-arbitrary.js';
import { checkProperty } from '../../property/property-support.js';
import { runWithin } from '../../support/hang-guard.js';

/** Hang guard, not a timing assertion: linear reading takes well under a second; the regex took minutes. */
const HANG_GUARD_MS = 30_000;

/** The reader before pem-spans.ts, as the oracle. */
function regexBlocks(pem: string): Array<{ type: string; pem: string }> {
  return [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => ({ type: m[1] as string, pem: m[0] }));
}

describe('trust bundle PEM blocks', () => {
  it('are the blocks the lazy regular expression found, in order', async () => {
    await checkProperty(
      'bundleBlocks equals the regex reader',
      [pemText],
      (text) => assert.deepEqual(bundleBlocks(text), regexBlocks(text)),
      {
        numRuns: 3000,
      },
    );
  });

  it('a bundle of 60,000 BEGIN lines without END is refused for holding no key, not a stalled server start', async () => {
    const calls = new URL('./trust-bundle-attack-calls.ts', import.meta.url);
    for (const text of ['-----BEGIN CERTIFICATE-----\n'.repeat(60_000), '-----BEGIN PUBLIC KEY-----'.repeat(60_000)]) {
      const r = await runWithin(HANG_GUARD_MS, calls, 'trustBundleKeys', [text]);
      assert.ok('threw' in r, JSON.stringify(r));
      assert.match(r.threw.message, /no CERTIFICATE or PUBLIC KEY block/);
    }
  });
});
