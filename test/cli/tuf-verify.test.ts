import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('names the folder when it is not there, is a file, or holds no root.json', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dct-tuf-verify-'));
    try {
      const cases: Array<[string, RegExp]> = [
        [join(empty, 'nope'), /nope: no such folder; give the folder that holds root\.json.*\[IO_ERROR\]/],
        [fixturePath('notary-0.7', 'targets-only', 'server', 'root.json'), /root\.json is not a folder: .*\[IO_ERROR\]/],
        [empty, /holds no root\.json: give the folder .*\[MISSING_METADATA\]/],
      ];
      for (const [dir, expected] of cases) {
        await assert.rejects(dct('tuf', 'verify', dir, '--gun', 'example.com/x'), (err: { code: number; stderr: string }) => {
          assert.equal(err.code, 1);
          assert.match(err.stderr, expected);
          return true;
        });
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
