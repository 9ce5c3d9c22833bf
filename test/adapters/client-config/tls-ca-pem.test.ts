/**
 * The CERTIFICATE blocks of docker's `tls/<host>/*.crt` files: the same blocks, in the same
 * order, as the lazy regular expression that read them before, and linear in the text's length
 * however many BEGIN lines lack their END (that expression searched the rest of the text for
 * each one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateBlockTexts } from '../../../src/adapters/client-config/docker-tls-files.js';
import { pemText } from '../../core/pem-text-arbitrary.js';
import { checkProperty } from '../../property/property-support.js';
import { runWithin } from '../../support/hang-guard.js';

/** Hang guard, not a timing assertion: linear reading takes well under a second; the regex took minutes. */
const HANG_GUARD_MS = 30_000;

/** The reader before pem-spans.ts, as the oracle. */
const regexBlocks = (text: string): string[] =>
  [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0]);

describe('CA certificate file PEM blocks', () => {
  it('are the blocks the lazy regular expression found, in order', async () => {
    await checkProperty(
      'certificateBlockTexts equals the regex reader',
      [pemText],
      (text) => assert.deepEqual(certificateBlockTexts(text), regexBlocks(text)),
      { numRuns: 3000 },
    );
  });

  it('a ca.crt of 60,000 BEGIN lines without END holds no certificate, read in linear time', async () => {
    const calls = new URL('./tls-ca-attack-calls.ts', import.meta.url);
    for (const text of [
      '-----BEGIN CERTIFICATE-----\n'.repeat(60_000),
      '-----BEGIN CERTIFICATE-----'.repeat(60_000) + '-----END OTHER-----',
    ]) {
      assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'caCertificateCount', [text]), { returned: 0 });
    }
  });
});
