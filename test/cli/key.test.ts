import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FileKeyStore } from '../../src/adapters/keystore/file-keystore.js';
import { PROJECT_ROOT } from '../support/fixtures.js';

const run = promisify(execFile);
const dct = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
  });

describe('dct key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generate stores an encrypted 0600 key that decrypts with the env passphrase', async () => {
    const { stdout } = await dct(
      { NOTARY_TARGETS_PASSPHRASE: 'targets-pass-1' },
      'key',
      'generate',
      '-r',
      'targets',
      '-g',
      'example.com/a/b',
      '-d',
      dir,
    );
    const keyId = /keyID: ([0-9a-f]{64})$/m.exec(stdout)?.[1];
    assert.ok(keyId, stdout);
    const store = new FileKeyStore(dir);
    const loaded = await store.load(keyId, 'targets-pass-1');
    assert.equal(loaded.publicKey.id, keyId);
    assert.equal(loaded.gun, 'example.com/a/b');
    assert.equal(statSync(loaded.path).mode & 0o777, 0o600);
    await assert.rejects(store.load(keyId, 'wrong-pass'), (err: { code?: string }) => err.code === 'WRONG_PASSPHRASE');
  });

  it('generate without a passphrase source fails with a clear error naming the variables', async () => {
    await assert.rejects(dct({}, 'key', 'generate', '-r', 'targets/ci', '-d', dir), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /NOTARY_DELEGATION_PASSPHRASE/);
      assert.match(err.stderr, /PASSPHRASE_REQUIRED/);
      return true;
    });
  });

  it('list shows role, gun and ID as a table and as JSON', async () => {
    const { stdout } = await dct({}, 'key', 'list', '-d', dir, '--format', 'json');
    const keys = JSON.parse(stdout) as Array<{ role: string; gun: string | null; keyId: string }>;
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.role, 'targets');
    const table = await dct({}, 'key', 'list', '-d', dir);
    assert.match(table.stdout, /^targets\s+example\.com\/a\/b\s+[0-9a-f]{64}\s+.*private$/m);
  });
});
