/**
 * `dct cosign sign-blob` → `dct cosign verify-blob` for every key type cosign takes, in the
 * Sigstore bundle form and the bare-signature / legacy-bundle form (offline:
 * `--tlog-upload=false`, `--insecure-ignore-tlog`), and each refusal with its own code:
 * tampered blob, foreign key, wrong password, truncated bundle, missing tlog entry.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command, type CommandSpec } from '../../../src/cli/cobra/command.js';
import { find } from '../../../src/cli/cobra/find.js';
import { parseFlags } from '../../../src/cli/cobra/flags.js';
import { cosignBlobCommands } from '../../../src/cli/commands/cosign/blob-commands.js';
import { cosignKeyCommands, type CosignCommandEnv } from '../../../src/cli/commands/cosign/key-commands.js';
import { isDctError } from '../../../src/core/errors.js';
import { fixturePath } from '../../support/fixtures.js';

interface Ran {
  code: number;
  out: string;
  err: string;
  error?: unknown;
}

function stdinOf(data: Buffer): CosignCommandEnv['stdin'] {
  const e = new EventEmitter() as EventEmitter & { isTTY: boolean; resume(): void; pause(): void };
  e.isTTY = false;
  let sent = false;
  e.resume = () => {
    if (sent) return;
    sent = true;
    setImmediate(() => {
      if (data.length > 0) e.emit('data', data);
      e.emit('end');
    });
  };
  e.pause = () => undefined;
  return e;
}

async function cosign(args: string[], env: Record<string, string> = { COSIGN_PASSWORD: PASSWORD }, stdin = Buffer.alloc(0)): Promise<Ran> {
  const deps = { env, stdin: stdinOf(stdin) };
  const commands: CommandSpec[] = [...cosignKeyCommands(deps), ...cosignBlobCommands(deps)];
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

function ok(r: Ran): Ran {
  assert.equal(r.code, 0, r.err);
  return r;
}

function refusedWith(r: Ran, code: string): void {
  assert.equal(r.code, 1, `expected a refusal, got exit 0: ${r.err}`);
  assert.ok(isDctError(r.error), `not a DctError: ${String(r.error)}`);
  assert.equal(r.error.code, code, r.err);
  assert.ok(!r.err.includes('Verified OK'));
  assert.match(r.err, /Error: .+\n$/);
}

const PASSWORD = 'correct horse';
const dir = mkdtempSync(join(tmpdir(), 'dct-cosign-blobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const blob = join(dir, 'artifact.txt');
const tampered = join(dir, 'tampered.txt');
writeFileSync(blob, 'hello, world!\n');
writeFileSync(tampered, 'hello, world?\n');

/** key type → cosign key-pair prefix (generated: P-256; imported fixtures: the others) */
const KEYS: Record<string, string | undefined> = {
  'ECDSA P-256 (generate-key-pair)': undefined,
  'ECDSA P-384': 'validecp384.key',
  'ECDSA P-521': 'validecp521.key',
  'RSA 2048 (PKCS#1)': 'validrsa.key',
  Ed25519: 'ed25519.key',
};
const prefixes = new Map<string, string>();

before(async () => {
  let i = 0;
  for (const [name, fixture] of Object.entries(KEYS)) {
    const prefix = join(dir, `key${i++}`);
    if (fixture)
      ok(await cosign(['import-key-pair', '--key', fixturePath('cosign', 'keys', 'import', fixture), '--output-key-prefix', prefix]));
    else ok(await cosign(['generate-key-pair', '--output-key-prefix', prefix]));
    prefixes.set(name, prefix);
  }
});

for (const name of Object.keys(KEYS)) {
  describe(name, () => {
    const p = () => prefixes.get(name) as string;
    it('--bundle: sign-blob writes a v0.3 bundle, verify-blob says Verified OK', async () => {
      const bundle = `${p()}.sigstore.json`;
      const s = ok(await cosign(['sign-blob', '--key', `${p()}.key`, '--bundle', bundle, '--tlog-upload=false', blob]));
      assert.equal(s.err, `Using payload from: ${blob}\nWrote bundle to file ${bundle}\n`);
      assert.equal(statSync(bundle).mode & 0o777, 0o600);
      const json = JSON.parse(readFileSync(bundle, 'utf8')) as { mediaType: string; messageSignature?: unknown };
      assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.ok(json.messageSignature);
      const v = ok(await cosign(['verify-blob', '--key', `${p()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', blob]));
      assert.equal(
        v.err,
        'WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.\nVerified OK\n',
      );
      refusedWith(
        await cosign(['verify-blob', '--key', `${p()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', tampered]),
        'COSIGN_BLOB_DIGEST_MISMATCH',
      );
      refusedWith(await cosign(['verify-blob', '--key', `${p()}.pub`, '--bundle', bundle, blob]), 'COSIGN_TLOG_REQUIRED');
    });
    it('--signature: the legacy form (--new-bundle-format=false) round-trips; stdout carries the base64 signature', async () => {
      const sig = `${p()}.sig`;
      const s = ok(
        await cosign([
          'sign-blob',
          '--key',
          `${p()}.key`,
          '--new-bundle-format=false',
          '--output-signature',
          sig,
          '--tlog-upload=false',
          blob,
        ]),
      );
      assert.equal(s.err, `Using payload from: ${blob}\nWrote signature to file ${sig}\n`);
      assert.match(readFileSync(sig, 'utf8'), /^[A-Za-z0-9+/]+=*$/);
      const printed = ok(await cosign(['sign-blob', '--key', `${p()}.key`, '--new-bundle-format=false', '--tlog-upload=false', blob]));
      assert.match(printed.out, /^[A-Za-z0-9+/]+=*\n$/);
      const verifyArgs = ['verify-blob', '--key', `${p()}.pub`, '--new-bundle-format=false', '--insecure-ignore-tlog'];
      assert.match(ok(await cosign([...verifyArgs, '--signature', sig, blob])).err, /Verified OK\n$/);
      // the signature given as its base64 text on the command line
      assert.match(ok(await cosign([...verifyArgs, '--signature', printed.out.trim(), blob])).err, /Verified OK\n$/);
      refusedWith(await cosign([...verifyArgs, '--signature', sig, tampered]), 'COSIGN_BLOB_SIGNATURE_INVALID');
      refusedWith(
        await cosign(['verify-blob', '--key', `${p()}.pub`, '--new-bundle-format=false', '--signature', sig, blob]),
        'COSIGN_TLOG_REQUIRED',
      );
    });
    it('legacy --bundle (--new-bundle-format=false): {base64Signature, cert} round-trips', async () => {
      const legacy = `${p()}.legacy.json`;
      ok(await cosign(['sign-blob', '--key', `${p()}.key`, '--new-bundle-format=false', '--bundle', legacy, '--tlog-upload=false', blob]));
      const json = JSON.parse(readFileSync(legacy, 'utf8')) as { base64Signature: string; cert: string };
      assert.equal(Buffer.from(json.cert, 'base64').toString(), readFileSync(`${p()}.pub`, 'utf8'));
      ok(await cosign(['verify-blob', '--key', `${p()}.pub`, '--bundle', legacy, '--insecure-ignore-tlog', blob]));
      refusedWith(
        await cosign(['verify-blob', '--key', `${p()}.pub`, '--bundle', legacy, '--insecure-ignore-tlog', tampered]),
        'COSIGN_BLOB_SIGNATURE_INVALID',
      );
    });
  });
}

describe('refusals', () => {
  const p256 = () => prefixes.get('ECDSA P-256 (generate-key-pair)') as string;
  const p384 = () => prefixes.get('ECDSA P-384') as string;
  it('a foreign key: COSIGN_BLOB_SIGNATURE_INVALID (bundle and signature forms)', async () => {
    const bundle = join(dir, 'foreign.sigstore.json');
    const sig = join(dir, 'foreign.sig');
    ok(await cosign(['sign-blob', '--key', `${p256()}.key`, '--bundle', bundle, '--tlog-upload=false', blob]));
    ok(
      await cosign([
        'sign-blob',
        '--key',
        `${p256()}.key`,
        '--new-bundle-format=false',
        '--output-signature',
        sig,
        '--tlog-upload=false',
        blob,
      ]),
    );
    const other = join(dir, 'other');
    ok(await cosign(['generate-key-pair', '--output-key-prefix', other]));
    refusedWith(
      await cosign(['verify-blob', '--key', `${other}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', blob]),
      'COSIGN_BLOB_SIGNATURE_INVALID',
    );
    refusedWith(
      await cosign([
        'verify-blob',
        '--key',
        `${other}.pub`,
        '--signature',
        sig,
        '--new-bundle-format=false',
        '--insecure-ignore-tlog',
        blob,
      ]),
      'COSIGN_BLOB_SIGNATURE_INVALID',
    );
    // a key of another type
    refusedWith(
      await cosign(['verify-blob', '--key', `${p384()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', blob]),
      'COSIGN_BLOB_SIGNATURE_INVALID',
    );
  });
  it('a wrong password: COSIGN_KEY_WRONG_PASSWORD, no bundle written', async () => {
    const bundle = join(dir, 'wrongpw.sigstore.json');
    const r = await cosign(['sign-blob', '--key', `${p256()}.key`, '--bundle', bundle, '--tlog-upload=false', blob], {
      COSIGN_PASSWORD: 'wrong',
    });
    refusedWith(r, 'COSIGN_KEY_WRONG_PASSWORD');
    assert.throws(() => statSync(bundle));
  });
  it('a truncated bundle: COSIGN_BUNDLE_MALFORMED; a bundle whose signature was cut: refused too', async () => {
    const bundle = join(dir, 'whole.sigstore.json');
    ok(await cosign(['sign-blob', '--key', `${p256()}.key`, '--bundle', bundle, '--tlog-upload=false', blob]));
    const text = readFileSync(bundle, 'utf8');
    const cut = join(dir, 'truncated.sigstore.json');
    for (const at of [1, Math.floor(text.length / 2), text.length - 1]) {
      writeFileSync(cut, text.slice(0, at));
      refusedWith(
        await cosign(['verify-blob', '--key', `${p256()}.pub`, '--bundle', cut, '--insecure-ignore-tlog', blob]),
        'COSIGN_BUNDLE_MALFORMED',
      );
    }
    const json = JSON.parse(text) as { messageSignature: { signature: string } };
    json.messageSignature.signature = json.messageSignature.signature.slice(0, 40);
    writeFileSync(cut, JSON.stringify(json));
    refusedWith(
      await cosign(['verify-blob', '--key', `${p256()}.pub`, '--bundle', cut, '--insecure-ignore-tlog', blob]),
      'COSIGN_BLOB_SIGNATURE_INVALID',
    );
    const { messageSignature: _drop, ...noContent } = JSON.parse(text) as Record<string, unknown>;
    writeFileSync(cut, JSON.stringify(noContent));
    refusedWith(
      await cosign(['verify-blob', '--key', `${p256()}.pub`, '--bundle', cut, '--insecure-ignore-tlog', blob]),
      'COSIGN_BUNDLE_MALFORMED',
    );
  });
  it('the blob from stdin (-) on both sides; the blob given as its sha256: digest', async () => {
    const bundle = join(dir, 'stdin.sigstore.json');
    const s = ok(
      await cosign(['sign-blob', '--key', `${p256()}.key`, '--bundle', bundle, '--tlog-upload=false', '-'], undefined, readFileSync(blob)),
    );
    assert.equal(s.err, `Wrote bundle to file ${bundle}\n`);
    ok(await cosign(['verify-blob', '--key', `${p256()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', blob]));
    ok(
      await cosign(
        ['verify-blob', '--key', `${p256()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', '-'],
        undefined,
        readFileSync(blob),
      ),
    );
    refusedWith(
      await cosign(
        ['verify-blob', '--key', `${p256()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', '-'],
        undefined,
        readFileSync(tampered),
      ),
      'COSIGN_BLOB_DIGEST_MISMATCH',
    );
    const digest = (f: string) => `sha256:${createHash('sha256').update(readFileSync(f)).digest('hex')}`;
    const byDigest = await cosign(['verify-blob', '--key', `${p256()}.pub`, '--bundle', bundle, '--insecure-ignore-tlog', digest(blob)]);
    assert.match(ok(byDigest).err, /Verified OK\n$/);
    const wrongDigest = await cosign([
      'verify-blob',
      '--key',
      `${p256()}.pub`,
      '--bundle',
      bundle,
      '--insecure-ignore-tlog',
      digest(tampered),
    ]);
    assert.equal(wrongDigest.code, 1);
    assert.ok(isDctError(wrongDigest.error), wrongDigest.err);
    assert.ok(!wrongDigest.err.includes('Verified OK'));
  });
  it('sign-blob with the new bundle format needs --bundle (cosign text)', async () => {
    const r = await cosign(['sign-blob', '--key', `${p256()}.key`, '--tlog-upload=false', blob]);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Error: must specify --bundle with --new-bundle-format\n');
  });
  it('verify-blob without a key or bundle: cosign text', async () => {
    const r = await cosign(['verify-blob', blob]);
    refusedWith(r, 'COSIGN_FLAGS_INVALID');
    assert.equal(
      r.err,
      'Error: provide a key with --key or --sk, a certificate to verify against with --certificate, or a bundle with --bundle\n',
    );
  });
  it('keyless verification without identity flags: COSIGN_FLAGS_INVALID', async () => {
    const bundle = join(dir, 'whole.sigstore.json');
    refusedWith(await cosign(['verify-blob', '--bundle', bundle, blob]), 'COSIGN_FLAGS_INVALID');
  });
  it('signing with an unreachable Rekor (--rekor-url) fails fast: COSIGN_TLOG_UPLOAD_FAILED, after the privacy statement', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const bundle = join(dir, 'rekor.sigstore.json');
    const r = await cosign([
      'sign-blob',
      '--key',
      `${p256()}.key`,
      '--bundle',
      bundle,
      '--yes',
      '--rekor-url',
      `http://127.0.0.1:${port}`,
      blob,
    ]);
    refusedWith(r, 'COSIGN_TLOG_UPLOAD_FAILED');
    assert.match(r.err, /By typing 'y', you attest that/);
    assert.match(
      r.err,
      new RegExp(`Error: signing ${blob}: signing bundle: uploading to the transparency log http://127\\.0\\.0\\.1:${port}`),
    );
    assert.throws(() => statSync(bundle));
  });
  it('the tlog question declined: nothing signed', async () => {
    const r = await cosign([
      'sign-blob',
      '--key',
      `${p256()}.key`,
      '--bundle',
      join(dir, 'declined.json'),
      '--rekor-url',
      'http://127.0.0.1:9',
      blob,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Are you sure you would like to continue\? \[y\/N\] Error: upload to tlog: user declined the prompt\n$/);
  });
  it('keyless sign-blob without an identity token: COSIGN_IDENTITY_TOKEN_REQUIRED', async () => {
    refusedWith(
      await cosign(
        [
          'sign-blob',
          '--bundle',
          join(dir, 'keyless.json'),
          '--yes',
          '--fulcio-url',
          'http://127.0.0.1:9',
          '--rekor-url',
          'http://127.0.0.1:9',
          blob,
        ],
        {},
      ),
      'COSIGN_IDENTITY_TOKEN_REQUIRED',
    );
  });
});
