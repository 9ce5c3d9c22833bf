/**
 * `dct cosign generate-key-pair | import-key-pair | public-key` run through the cobra model
 * as the cosign root will run them: files, modes, texts, the overwrite question, exit codes.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readCosignPrivateKey, readCosignPublicKey } from '../../../src/adapters/cosign/key-file.js';
import { Command, type CommandSpec } from '../../../src/cli/cobra/command.js';
import { find } from '../../../src/cli/cobra/find.js';
import { parseFlags } from '../../../src/cli/cobra/flags.js';
import { cosignKeyCommands, type CosignCommandEnv } from '../../../src/cli/commands/cosign/key-commands.js';
import { isDctError } from '../../../src/core/errors.js';
import { fixturePath } from '../../support/fixtures.js';

interface Ran {
  code: number;
  out: string;
  err: string;
  error?: unknown;
}

/** a stdin that yields `text` then ends */
function stdinOf(text: string): CosignCommandEnv['stdin'] {
  const e = new EventEmitter() as EventEmitter & { isTTY: boolean; resume(): void; pause(): void };
  e.isTTY = false;
  let sent = false;
  e.resume = () => {
    if (sent) return;
    sent = true;
    setImmediate(() => {
      if (text) e.emit('data', Buffer.from(text));
      e.emit('end');
    });
  };
  e.pause = () => undefined;
  return e;
}

async function run(commands: CommandSpec[], args: string[]): Promise<Ran> {
  const root = new Command({ use: 'cosign', short: 'cosign', commands });
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
  try {
    const found = find(root, args);
    const parsed = parseFlags(found.cmd, found.args);
    await found.cmd.spec.run?.({ command: found.cmd, args: parsed.positional, flags: parsed.flags, io, usage: () => undefined });
    return { code: 0, out, err };
  } catch (error) {
    err += `Error: ${(error as Error).message}\n`;
    return { code: 1, out, err, error };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'dct-cosign-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('cosign generate-key-pair', () => {
  it('writes <prefix>.key (0600, encrypted with COSIGN_PASSWORD) and <prefix>.pub, with cosign texts', async () => {
    const prefix = join(dir, 'gen');
    const r = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 's3cret' } }), ['generate-key-pair', '--output-key-prefix', prefix]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, `Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n`);
    assert.equal(r.out, '');
    assert.equal(statSync(`${prefix}.key`).mode & 0o777, 0o600);
    const keyPem = readFileSync(`${prefix}.key`, 'utf8');
    assert.match(keyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const key = readCosignPrivateKey(keyPem, 's3cret');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const pub = readCosignPublicKey(readFileSync(`${prefix}.pub`));
    assert.ok(pub.equals(createPublicKey(key)));
    assert.match(readFileSync(`${prefix}.pub`, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
  });
  it('without COSIGN_PASSWORD and no terminal, the password is read from stdin', async () => {
    const prefix = join(dir, 'piped');
    const r = await run(cosignKeyCommands({ env: {}, stdin: stdinOf('from-stdin') }), [
      'generate-key-pair',
      `--output-key-prefix=${prefix}`,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.ok(readCosignPrivateKey(readFileSync(`${prefix}.key`), 'from-stdin'));
  });
  it('an existing key file is kept when the question is declined, overwritten on y', async () => {
    const prefix = join(dir, 'exists');
    writeFileSync(`${prefix}.key`, 'precious');
    const no = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'x' }, stdin: stdinOf('n\n') }), [
      'generate-key-pair',
      '--output-key-prefix',
      prefix,
    ]);
    assert.equal(no.code, 1);
    assert.ok(isDctError(no.error, 'COSIGN_KEY_FILE_EXISTS'));
    assert.match(
      no.err,
      new RegExp(`WARNING: File ${prefix}.key already exists. Overwrite\\?\nAre you sure you would like to continue\\? \\[y/N\\] `),
    );
    assert.equal(readFileSync(`${prefix}.key`, 'utf8'), 'precious');
    const yes = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'x' }, stdin: stdinOf('y\n') }), [
      'generate-key-pair',
      '--output-key-prefix',
      prefix,
    ]);
    assert.equal(yes.code, 0, yes.err);
    assert.ok(readCosignPrivateKey(readFileSync(`${prefix}.key`), 'x'));
  });
});

describe('cosign import-key-pair', () => {
  for (const file of ['validrsa.key', 'validecp384.key', 'validecpkcs8.key', 'ed25519.key']) {
    it(`${file}: import-cosign-style files that load with the password`, async () => {
      const prefix = join(dir, `imp-${file}`);
      const r = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'hello' } }), [
        'import-key-pair',
        '--key',
        fixturePath('cosign', 'keys', 'import', file),
        '-o',
        prefix,
      ]);
      assert.equal(r.code, 0, r.err);
      const key = readCosignPrivateKey(readFileSync(`${prefix}.key`), 'hello');
      assert.ok(readCosignPublicKey(readFileSync(`${prefix}.pub`)).equals(createPublicKey(key)));
      assert.equal(statSync(`${prefix}.key`).mode & 0o777, 0o600);
    });
  }
  it('--yes overwrites without asking', async () => {
    const prefix = join(dir, 'imp-yes');
    writeFileSync(`${prefix}.key`, 'old');
    const r = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'hello' } }), [
      'import-key-pair',
      '-k',
      fixturePath('cosign', 'keys', 'import', 'validecp256.key'),
      '-o',
      prefix,
      '-y',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^WARNING: File .* already exists\. Overwrite\?\nPrivate key written to /);
  });
  it('a refused key: Error: <cosign text>, exit 1, nothing written', async () => {
    const prefix = join(dir, 'imp-bad');
    const r = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'hello' } }), [
      'import-key-pair',
      '--key',
      fixturePath('cosign', 'keys', 'import', 'invalidecp224.key'),
      '--output-key-prefix',
      prefix,
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Error: error validating ecdsa key: ECDSA curve P-224 not allowed\n');
    assert.throws(() => statSync(`${prefix}.key`));
  });
});

describe('cosign public-key', () => {
  it('prints the public key of an encrypted key file; --outfile writes it', async () => {
    const keyFile = fixturePath('cosign', 'keys', 'encrypted', 'pemsigstorekey.password-hello.key');
    const r = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'hello' } }), ['public-key', '--key', keyFile]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7z9gA/tqa9iHt/f9F3ulyVi4lwqU\nLfHWfhG2mK4eyJ8LDcLstb+VVhxj3pkMjc3fNo+sSfiIY2NLR7c+DG1V4w==\n-----END PUBLIC KEY-----\n',
    );
    const outfile = join(dir, 'out.pub');
    const w = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'hello' } }), ['public-key', '--key', keyFile, '--outfile', outfile]);
    assert.equal(w.err, `Public key written to ${outfile}\n`);
    assert.equal(readFileSync(outfile, 'utf8'), r.out);
  });
  it('a wrong password: COSIGN_KEY_WRONG_PASSWORD, exit 1', async () => {
    const keyFile = fixturePath('cosign', 'keys', 'encrypted', 'pemcosignkey.password-hello.key');
    const r = await run(cosignKeyCommands({ env: { COSIGN_PASSWORD: 'nope' } }), ['public-key', '--key', keyFile]);
    assert.equal(r.code, 1);
    assert.ok(isDctError(r.error, 'COSIGN_KEY_WRONG_PASSWORD'));
    assert.equal(r.out, '');
  });
});
