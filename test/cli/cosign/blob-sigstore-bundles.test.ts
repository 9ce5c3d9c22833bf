/**
 * `dct cosign verify-blob` on real Sigstore bundles (sigstore-js fixtures), through the
 * Sigstore bundle verifier the command wires behind its offline keyed check: keyless identity
 * flags, the trusted root (`--trusted-root` or the one dct ships), tlog entries checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from '../../../src/cli/cobra/command.js';
import { find } from '../../../src/cli/cobra/find.js';
import { parseFlags } from '../../../src/cli/cobra/flags.js';
import { cosignBlobCommands } from '../../../src/cli/commands/cosign/blob-commands.js';
import { isDctError } from '../../../src/core/errors.js';
import { fixturePath } from '../../support/fixtures.js';

async function verifyBlob(args: string[]): Promise<{ code: number; err: string; error?: unknown }> {
  const root = new Command({ use: 'cosign', short: 'cosign', commands: cosignBlobCommands({ env: {} }) });
  let err = '';
  const io = { out: () => undefined, err: (s: string) => (err += s) };
  try {
    const found = find(root, ['verify-blob', ...args]);
    const parsed = parseFlags(found.cmd, found.args);
    await found.cmd.spec.run?.({ command: found.cmd, args: parsed.positional, flags: parsed.flags, io, usage: () => undefined });
    return { code: 0, err };
  } catch (error) {
    return { code: 1, err: `${err}Error: ${(error as Error).message}\n`, error };
  }
}

const client = (f: string) => fixturePath('cosign', 'sigstore-js', 'client-fixtures', f);
const verifyFx = (f: string) => fixturePath('cosign', 'sigstore-js', 'verify-fixtures', f);

describe('verify-blob on sigstore-js bundles', () => {
  it('v0.3 message signature, Fulcio identity brian@dehamer.com, client trusted root: Verified OK', async () => {
    const r = await verifyBlob([
      '--bundle',
      client('v0.3-messageSignature-withSigningCert.sigstore.json'),
      '--certificate-identity',
      'brian@dehamer.com',
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
      '--trusted-root',
      client('trusted_root.json'),
      client('artifact.txt'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, 'Verified OK\n');
  });
  it('the same bundle, another identity: refused (SIGSTORE_IDENTITY_MISMATCH), no Verified OK', async () => {
    const r = await verifyBlob([
      '--bundle',
      client('v0.3-messageSignature-withSigningCert.sigstore.json'),
      '--certificate-identity',
      'mallory@example.com',
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
      '--trusted-root',
      client('trusted_root.json'),
      client('artifact.txt'),
    ]);
    assert.equal(r.code, 1);
    assert.ok(isDctError(r.error, 'SIGSTORE_IDENTITY_MISMATCH'), r.err);
    assert.ok(!r.err.includes('Verified OK'));
  });
  it('Rekor v2 + TSA bundle with the production root dct ships (no --trusted-root): Verified OK; another blob: refused', async () => {
    const args = ['--bundle', verifyFx('v0.3-messageSignature-TLOG_HASHEDREKORDV002.sigstore.json'), '--certificate-identity-regexp', '.*'];
    const ok = await verifyBlob([...args, '--certificate-oidc-issuer-regexp', '.*', verifyFx('artifact.txt')]);
    assert.equal(ok.code, 0, ok.err);
    const tampered = await verifyBlob([...args, '--certificate-oidc-issuer-regexp', '.*', client('trusted_root.json')]);
    assert.equal(tampered.code, 1);
    assert.ok(isDctError(tampered.error, 'SIGSTORE_ARTIFACT_MISMATCH'), tampered.err);
  });
  it('a keyless bundle checked with --key: refused', async () => {
    const r = await verifyBlob([
      '--bundle',
      client('v0.3-messageSignature-withSigningCert.sigstore.json'),
      '--key',
      client('key-1.pub'),
      '--trusted-root',
      client('trusted_root.json'),
      client('artifact.txt'),
    ]);
    assert.equal(r.code, 1);
    assert.ok(isDctError(r.error), r.err);
  });
});
