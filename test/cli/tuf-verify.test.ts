import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fixturePath, notaryCases, PROJECT_ROOT } from '../support/fixtures.js';

const run = promisify(execFile);
const dct = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], { cwd: PROJECT_ROOT });

const gunOf = (c: string) => /GUN: `([^`]+)`/.exec(readFileSync(fixturePath('notary-0.7', c, 'README.md'), 'utf8'))![1]!;

describe('dct tuf verify', () => {
  for (const c of notaryCases()) {
    it(`${c}: prints exactly what the real \`notary list\` printed`, async () => {
      const { stdout } = await dct(
        'tuf',
        'verify',
        fixturePath('notary-0.7', c, 'server'),
        '--gun',
        gunOf(c),
        '--at',
        '2026-11-24T00:00:00Z',
      );
      assert.equal(stdout, readFileSync(fixturePath('notary-0.7', c, 'notary-list.txt'), 'utf8'));
    });
  }

  it('--format json lists targets with digests', async () => {
    const { stdout } = await dct(
      'tuf',
      'verify',
      fixturePath('notary-0.7', 'targets-only', 'server'),
      '--gun',
      gunOf('targets-only'),
      '--at',
      '2026-11-24T00:00:00Z',
      '--format',
      'json',
    );
    const doc = JSON.parse(stdout) as { targets: { name: string }[]; versions: Record<string, number> };
    assert.deepEqual(
      doc.targets.map((t) => t.name),
      ['v1', 'v2'],
    );
    assert.equal(doc.versions.timestamp, 1);
  });

  it('refuses expired trust data with a stable code and exit 1', async () => {
    await assert.rejects(
      dct(
        'tuf',
        'verify',
        fixturePath('notary-0.7', 'targets-only', 'server'),
        '--gun',
        gunOf('targets-only'),
        '--at',
        '2027-01-01T00:00:00Z',
      ),
      (err: { code: number; stderr: string }) => err.code === 1 && /timestamp expired at .*\[EXPIRED\]/.test(err.stderr),
    );
  });

  it('refuses metadata for another GUN', async () => {
    await assert.rejects(
      dct(
        'tuf',
        'verify',
        fixturePath('notary-0.7', 'targets-only', 'server'),
        '--gun',
        'docker.io/library/x',
        '--at',
        '2026-11-24T00:00:00Z',
      ),
      (err: { code: number; stderr: string }) => err.code === 1 && /CERTIFICATE_VALIDATION_FAILED/.test(err.stderr),
    );
  });
});
