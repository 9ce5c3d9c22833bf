/**
 * The Sigstore client conformance suite's bundle-verification cases
 * (`../shared/fixtures/sigstore-conformance/bundle-verify/`), every one in both of the
 * harness's input modes (PATH: the artifact file; DIGEST: `sha256:<hex>`), through the same
 * function `dct sigstore verify-bundle` calls, with the arguments the harness would pass.
 * A case ending in `_fail` must be refused (with a SIGSTORE_* code), every other must verify.
 * A few run through the real CLI as well, from the suite's working directory with relative
 * paths, judged by exit status as the harness judges.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { verifyBundleFiles, type VerifyBundleRequest } from '../../src/adapters/sigstore/conformance-client.js';
import { isDctError } from '../../src/core/errors.js';
import { fixturePath, PROJECT_ROOT } from '../support/fixtures.js';

const SUITE = fixturePath('sigstore-conformance');
const CASES = readdirSync(join(SUITE, 'bundle-verify'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/** no refreshed root in it: the shipped production root is what "no --trusted-root" means here */
const cacheDir = mkdtempSync(join(tmpdir(), 'dct-sigstore-cache-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

type Mode = 'PATH' | 'DIGEST';

/** The harness's arguments for one case (test/client.py's order), relative to the suite's working directory. */
function harnessArgs(c: string, mode: Mode): { request: VerifyBundleRequest; argv: string[] } {
  const dir = `bundle-verify/${c}`;
  const has = (f: string) => existsSync(join(SUITE, dir, f));
  const artifactPath = has('artifact') ? `${dir}/artifact` : 'bundle-verify/a.txt';
  const artifact =
    mode === 'PATH'
      ? artifactPath
      : `sha256:${createHash('sha256')
          .update(readFileSync(join(SUITE, artifactPath)))
          .digest('hex')}`;
  const read = (f: string) => readFileSync(join(SUITE, dir, f), 'utf8').trim();
  const request: VerifyBundleRequest = { bundlePath: `${dir}/bundle.sigstore.json`, artifact, cwd: SUITE, cacheDir };
  const argv = ['verify-bundle', '--bundle', request.bundlePath];
  if (has('key.pub')) {
    request.keyPath = `${dir}/key.pub`;
    argv.push('--key', request.keyPath);
  } else {
    request.identity = has('identity') ? read('identity') : DEFAULT_IDENTITY;
    request.issuer = has('issuer') ? read('issuer') : DEFAULT_ISSUER;
    argv.push('--certificate-identity', request.identity, '--certificate-oidc-issuer', request.issuer);
  }
  if (has('trusted_root.json')) {
    request.trustedRootPath = `${dir}/trusted_root.json`;
    argv.push('--trusted-root', request.trustedRootPath);
  }
  argv.push(artifact);
  return { request, argv };
}

interface Verdict {
  verified: boolean;
  code?: string;
  reason?: string;
}

async function verdictOf(c: string, mode: Mode): Promise<Verdict> {
  try {
    await verifyBundleFiles(harnessArgs(c, mode).request);
    return { verified: true };
  } catch (err) {
    assert.ok(isDctError(err), `${c} ${mode}: not a DctError but ${String(err)}`);
    return { verified: false, code: err.code, reason: err.message };
  }
}

describe('Sigstore conformance: bundle-verify cases (PATH and DIGEST)', () => {
  it('the suite has its 70 cases', () => assert.equal(CASES.length, 70));

  it('every case gives its expected verdict in both modes', async (t) => {
    const rows: string[] = [];
    const wrong: string[] = [];
    for (const c of CASES) {
      const expectPass = !c.endsWith('_fail');
      for (const mode of ['PATH', 'DIGEST'] as const) {
        const v = await verdictOf(c, mode);
        const ok = v.verified === expectPass;
        if (!ok) wrong.push(`${mode}-${c}: ${v.verified ? 'verified' : `${v.code} ${v.reason}`}`);
        if (!v.verified) assert.match(v.code ?? '', /^SIGSTORE_/, `${mode}-${c} refused with ${v.code}`);
        rows.push(`${ok ? 'ok  ' : 'BAD '} ${mode.padEnd(6)} ${c.padEnd(58)} ${v.verified ? 'verified' : `refused ${v.code}`}`);
      }
    }
    t.diagnostic('verdicts (expected: _fail refused, others verified)');
    for (const row of rows) t.diagnostic(row);
    assert.deepEqual(wrong, []);
  });

  // the checks dct adds on top of @sigstore/verify, each named after the case that needs it
  const refusedWith = async (c: string, code: string, reason: RegExp) => {
    for (const mode of ['PATH', 'DIGEST'] as const) {
      const v = await verdictOf(c, mode);
      assert.equal(v.verified, false, `${mode}-${c} must be refused`);
      assert.equal(v.code, code, `${mode}-${c}: ${v.reason}`);
      assert.match(v.reason ?? '', reason);
    }
  };

  it('trust-root-tlog-missing-validity-start_fail: a log key whose validFor lacks its start refuses the trusted root', () =>
    refusedWith(
      'trust-root-tlog-missing-validity-start_fail',
      'SIGSTORE_TRUSTED_ROOT_INVALID',
      /tlogs\[1\]\.publicKey\.validFor has no valid "start"/,
    ));

  it('bundle-with-root-cert_fail: a bundle chain that carries a self-signed root is refused for that reason', () =>
    refusedWith('bundle-with-root-cert_fail', 'SIGSTORE_CERTIFICATE_INVALID', /self-signed root/));

  it('message-digest-mismatch_fail: the message digest must be the artifact digest', () =>
    refusedWith('message-digest-mismatch_fail', 'SIGSTORE_ARTIFACT_MISMATCH', /message digest sha256:a1cf/));

  it('managed-key-no-key_fail: a key-signed bundle under an identity policy is refused', () =>
    refusedWith('managed-key-no-key_fail', 'SIGSTORE_IDENTITY_MISMATCH', /signed with a public key/));

  it('managed-key-wrong-key_fail: a key that is not the signing key is refused', () =>
    refusedWith('managed-key-wrong-key_fail', 'SIGSTORE_KEY_MISMATCH', /public key/));

  it('bundle-malformed-json_fail: truncated JSON is refused at parse time', () =>
    refusedWith('bundle-malformed-json_fail', 'SIGSTORE_BUNDLE_MALFORMED', /not JSON/));

  it('rekor2-no-inclusion-proof_fail: refused offline, nothing fetched', () =>
    refusedWith('rekor2-no-inclusion-proof_fail', 'SIGSTORE_BUNDLE_MALFORMED', /invalid bundle/));
});

describe('Sigstore conformance: the real CLI as the harness drives it', () => {
  const tsx = pathToFileURL(join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
  const main = join(PROJECT_ROOT, 'src', 'cli', 'main.ts');
  const cli = (argv: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', tsx, main, 'sigstore', ...argv],
        { cwd: SUITE, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cacheDir, XDG_CACHE_HOME: cacheDir }, timeout: 60_000 },
        (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
      );
    });

  const cases: Array<[string, Mode]> = [
    ['happy-path-v0.3', 'PATH'],
    ['happy-path-intoto-in-dsse-v3', 'DIGEST'],
    ['managed-key-happy-path', 'DIGEST'],
    ['rekor2-happy-path', 'PATH'],
    ['trust-root-tlog-missing-validity-start_fail', 'PATH'],
    ['bundle-malformed-json_fail', 'DIGEST'],
    ['wrong-material_fail', 'PATH'],
    ['checkpoint-wrong-roothash_fail', 'DIGEST'],
  ];
  for (const [c, mode] of cases) {
    it(`${mode}-${c}: exit status ${c.endsWith('_fail') ? 'non-zero, reason and code on stderr' : '0'}`, async () => {
      const { code, stderr } = await cli(harnessArgs(c, mode).argv);
      if (c.endsWith('_fail')) {
        assert.notEqual(code, 0, stderr);
        assert.match(stderr, /^dct: .+ \[SIGSTORE_[A-Z_]+\]$/m);
      } else {
        assert.equal(code, 0, stderr);
        assert.match(stderr, /^Verified OK: /m);
      }
    });
  }
});

describe('Sigstore conformance: cases that need the network (skipped here)', () => {
  const skipped: Array<[string, string]> = [
    [
      'test_sign_* (sign-bundle, with and without --in-toto)',
      "needs a live OIDC token from the suite's public bucket, then Fulcio, Rekor and a TSA online",
    ],
    ['test_verify_cpython_release_bundles', 'needs a CPython release-tracker checkout in $GITHUB_WORKSPACE'],
    ['bundle-verify cases under --staging', 'the harness skips bundle-verify under --staging'],
  ];
  for (const [name, reason] of skipped) it(name, { skip: reason }, () => undefined);
});
