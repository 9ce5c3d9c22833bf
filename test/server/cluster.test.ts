/**
 * `dct server --workers 2`: two processes on one port and one SQLite file.
 * A write through either worker is seen at once through the other (the
 * primary relays invalidations of the read caches), and SIGTERM stops all.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { run } from '../support/reference-stack.js';

describe('dct server --workers 2', { skip: interopSkip(missingTool('notary')) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-cluster-'));
  let server: ChildProcess;
  let url = '';

  before(async () => {
    server = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(PROJECT_ROOT, 'src/cli/main.ts'),
        'server',
        '--workers',
        '2',
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        dir,
        '--storage',
        `sqlite:${join(dir, 'dct.db')}`,
        '--log-level',
        'warn',
        '--writes-per-second',
        '1000',
      ],
      { cwd: PROJECT_ROOT, env: { ...process.env, DCT_SERVER_KEY_PASSPHRASE: 'cluster-test' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`dct server did not start: ${out}`)), 30_000);
      server.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /dct server listening on (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      server.once('exit', (code) => reject(new Error(`dct server exited with ${code}: ${out}`)));
    });
  });

  after(async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('every publish is visible to the next read, whichever worker answers', { timeout: 120_000 }, async () => {
    const env = {
      ...process.env,
      NOTARY_ROOT_PASSPHRASE: 'rootpass123',
      NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
      NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
    };
    const notary = (...args: string[]) =>
      run('notary', ['-s', url, '--tlscacert', join(dir, 'tls', 'ca.crt'), '-d', join(dir, 'trust'), ...args], { env });
    const gun = 'example.com/cluster/app';
    writeFileSync(join(dir, 'payload'), 'payload\n');
    await notary('init', '-p', gun);
    for (let i = 1; i <= 5; i++) {
      await notary('add', '-p', gun, `v${i}`, join(dir, 'payload'));
      const { stdout } = await notary('list', gun);
      const tags = stdout.split('\n').filter((l) => /^v\d/.test(l)).length;
      assert.equal(tags, i, `after publishing v${i}:\n${stdout}`);
    }
  });

  it('SIGTERM stops the primary and its workers', { timeout: 30_000 }, async () => {
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
