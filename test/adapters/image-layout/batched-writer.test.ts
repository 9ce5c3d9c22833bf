/**
 * BatchedWriter: chunks written in batches (one writev each) land in the file exactly,
 * from the start position on, whatever their sizes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BatchedWriter } from '../../../src/adapters/image-layout/files.js';

const work = mkdtempSync(join(tmpdir(), 'dct-batched-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('BatchedWriter', () => {
  it('writes every chunk in order after the given position, small and large chunks alike', async () => {
    const file = join(work, 'f');
    const head = Buffer.from('kept prefix');
    writeFileSync(file, head);
    const chunks = [1, 7, 65_536, 3, 300_000, 1, 2 * 1024 * 1024 + 5, 10, 4096].map((n) => randomBytes(n));
    const fh = await open(file, 'r+');
    try {
      const w = new BatchedWriter(fh, head.length, 100_000);
      for (const c of chunks) await w.write(c);
      // Uint8Array views of a larger buffer too
      const big = randomBytes(1000);
      await w.write(new Uint8Array(big.buffer, big.byteOffset + 10, 500));
      chunks.push(big.subarray(10, 510));
      await w.flush();
    } finally {
      await fh.close();
    }
    assert.ok(readFileSync(file).equals(Buffer.concat([head, ...chunks])));
  });
});
