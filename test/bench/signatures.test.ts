/**
 * `npm run bench:signatures` works (its figures are the bench's, not checked here): the
 * options and the command template; the in-process verification path it measures accepts
 * a cosign-style signature and refuses a tampered payload, a foreign key, another digest
 * and another payload type (a bench of a path that cannot fail would measure nothing); a
 * short whole run against docker-registry with skopeo standing in for the dct command
 * prints its RESULT lines and says that this command does not verify.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_DCT_COMMAND, expandCommand, makeSignatures, parseArgs, verifyCosignStyle } from '../../bench/signatures.bench.js';
import { onPath } from '../../bench/server/processes.js';
import { PROJECT_ROOT } from '../support/fixtures.js';

describe('bench:signatures', () => {
  it('options and the command template', () => {
    assert.deepEqual(parseArgs([]), { json: false, rounds: 15, signatures: 1000, skipProcess: false, dctCommand: DEFAULT_DCT_COMMAND });
    assert.equal(parseArgs(['--rounds', '3', '--signatures', '10', '--skip-process', '--json']).signatures, 10);
    assert.throws(() => parseArgs(['--rounds', '0']), /positive integer/);
    assert.throws(() => parseArgs(['--what']), /unknown option --what/);
    assert.throws(() => parseArgs(['--dct-command', ' ']), /--dct-command needs a value/);
    assert.deepEqual(expandCommand(DEFAULT_DCT_COMMAND, { dct: ['node', 'main.js'], key: '/k.pub', image: 'r/i:v1', node: 'node' }), [
      'node',
      'main.js',
      'cosign',
      'verify',
      '--key',
      '/k.pub',
      '--insecure-ignore-tlog=true',
      '--allow-http-registry',
      'r/i:v1',
    ]);
    assert.throws(() => expandCommand('{dct} verify {image}', { key: 'k', image: 'i', node: 'n' }), /needs the built CLI/);
  });

  it("the measured verification path is cosign's check, and refuses what it must", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const [good] = makeSignatures(1, privateKey);
    assert.ok(good);
    await verifyCosignStyle(good, publicKey);
    await assert.rejects(verifyCosignStyle(good, other.publicKey), { code: 'COSIGN_SIGNATURE_INVALID' });
    const tampered = Buffer.from(good.payload.toString().replace('cosign container image signature', 'cosign container image signaturE'));
    await assert.rejects(verifyCosignStyle({ ...good, payload: tampered }, publicKey), { code: 'COSIGN_SIGNATURE_INVALID' });
    await assert.rejects(verifyCosignStyle({ ...good, digest: `sha256:${'0'.repeat(64)}` }, publicKey), { code: 'COSIGN_DIGEST_MISMATCH' });
    const notJson = Buffer.from('not json');
    await assert.rejects(
      verifyCosignStyle(
        { payload: notJson, signature: sign('sha256', notJson, privateKey).toString('base64'), digest: good.digest },
        publicKey,
      ),
      { code: 'COSIGN_INVALID_PAYLOAD' },
    );
  });

  const missing = ['docker-registry', 'skopeo'].filter((b) => !onPath(b));
  it(
    'a short whole run (skopeo standing in for the dct command)',
    { skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false, timeout: 120_000 },
    async () => {
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [
            '--import',
            'tsx',
            join(PROJECT_ROOT, 'bench', 'signatures.bench.ts'),
            '--rounds',
            '2',
            '--signatures',
            '20',
            '--dct-command',
            'skopeo inspect --raw --tls-verify=false docker://{image}',
          ],
          { cwd: PROJECT_ROOT, timeout: 110_000 },
          (err, out, errOut) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
        );
      });
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      assert.match(stdout, /^RESULT signatures\.process\.vs-skopeo ratio=\d+\.\d{3}$/m);
      assert.match(stdout, /^RESULT signatures\.node-start\.vs-skopeo ratio=\d+\.\d{3}$/m);
      assert.match(stdout, /^RESULT signatures\.crypto\.vs-limit ratio=\d+\.\d{3}$/m);
      assert.match(stdout, /WARNING: the dct command also succeeds on an unsigned image: it does not verify signatures/);
    },
  );
});
