/**
 * `dct sigstore …` through the real CLI: the protocol's digest-or-path rule, usage errors,
 * and that the network commands (sign-bundle, update-trusted-root) fail fast with their
 * codes when the services cannot be reached (there is no network here).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { countingServer } from '../support/counting-server.js';
import { fixturePath, PROJECT_ROOT } from '../support/fixtures.js';
import { signingConfigAt } from '../support/signing-config.js';

const work = mkdtempSync(join(tmpdir(), 'dct-sigstore-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const CASES = fixturePath('sigstore-conformance', 'bundle-verify');
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const A_TXT_DIGEST = `sha256:${createHash('sha256')
  .update(readFileSync(join(CASES, 'a.txt')))
  .digest('hex')}`;

function dct(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'sigstore', ...args],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: work, XDG_CACHE_HOME: join(work, 'cache') },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const happy = ['--bundle', join(CASES, 'happy-path-v0.3', 'bundle.sigstore.json')];
const identity = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];

describe('dct sigstore verify-bundle', () => {
  it('a digest argument verifies; a file of that very name is read as the artifact instead (the protocol rule)', async () => {
    const ok = await dct(['verify-bundle', ...happy, ...identity, A_TXT_DIGEST]);
    assert.equal(ok.code, 0, ok.stderr);
    // an existing file named like the digest is a path: its bytes are not a.txt's
    const dir = mkdtempSync(join(work, 'digest-named-'));
    const named = join(dir, A_TXT_DIGEST);
    writeFileSync(named, 'other bytes');
    const asPath = await dct(['verify-bundle', ...happy, ...identity, named]);
    assert.notEqual(asPath.code, 0);
    assert.match(asPath.stderr, /\[SIGSTORE_ARTIFACT_MISMATCH\]/);
    copyFileSync(join(CASES, 'a.txt'), named);
    assert.equal((await dct(['verify-bundle', ...happy, ...identity, named])).code, 0);
  });

  it('usage: no policy, a missing bundle, a bad digest, --staging without a staging root', async () => {
    const noPolicy = await dct(['verify-bundle', ...happy, A_TXT_DIGEST]);
    assert.match(noPolicy.stderr, /\[SIGSTORE_POLICY_INVALID\]/);
    const missing = await dct(['verify-bundle', '--bundle', join(work, 'none.json'), ...identity, A_TXT_DIGEST]);
    assert.match(missing.stderr, /\[FILE_NOT_FOUND\]/);
    const shortDigest = await dct(['verify-bundle', ...happy, ...identity, 'sha256:abc']);
    assert.match(shortDigest.stderr, /\[FILE_NOT_FOUND\]/); // not a digest by the rule, so a path, and no such file
    const staging = await dct(['verify-bundle', '--staging', ...happy, ...identity, A_TXT_DIGEST]);
    assert.match(staging.stderr, /--staging needs the staging trusted root.*\[SIGSTORE_TRUSTED_ROOT_INVALID\]/);
    for (const r of [noPolicy, missing, shortDigest, staging]) assert.notEqual(r.code, 0);
  });

  it('--staging with a staging --trusted-root verifies a staging bundle', async () => {
    const c = join(CASES, 'rekor2-happy-path');
    const r = await dct([
      'verify-bundle',
      '--staging',
      '--bundle',
      join(c, 'bundle.sigstore.json'),
      ...identity,
      '--trusted-root',
      join(c, 'trusted_root.json'),
      join(CASES, 'a.txt'),
    ]);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('dct sigstore: the refreshed root in the cache replaces the shipped one', () => {
  it('with a (staging) root in $XDG_CACHE_HOME/dct/sigstore, a staging bundle verifies without --trusted-root and a production one does not', async () => {
    const cached = join(work, 'cache', 'dct', 'sigstore');
    mkdirSync(cached, { recursive: true });
    copyFileSync(join(CASES, 'rekor2-happy-path', 'trusted_root.json'), join(cached, 'trusted_root.json'));
    try {
      const staging = await dct([
        'verify-bundle',
        '--bundle',
        join(CASES, 'rekor2-happy-path', 'bundle.sigstore.json'),
        ...identity,
        A_TXT_DIGEST,
      ]);
      assert.equal(staging.code, 0, staging.stderr);
      const production = await dct(['verify-bundle', ...happy, ...identity, A_TXT_DIGEST]);
      assert.notEqual(production.code, 0);
      assert.match(production.stderr, /\[SIGSTORE_[A-Z_]+\]/);
    } finally {
      rmSync(join(cached, 'trusted_root.json'));
    }
  });
});

describe('dct sigstore sign-bundle / update-trusted-root without the network', () => {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const token = `${part({ alg: 'RS256' })}.${part({ iss: 'https://issuer.example', sub: 'me@example.com', email: 'me@example.com', email_verified: true })}.c2ln`;

  it('sign-bundle with a signing config whose services cut every connection: one attempt, [SIGSTORE_SIGNING_FAILED], no bundle written', async () => {
    const dead = await countingServer('reset');
    try {
      const config = join(work, 'signing_config.json');
      writeFileSync(config, JSON.stringify(signingConfigAt(dead.url)));
      const out = join(work, 'out.sigstore.json');
      const r = await dct(['sign-bundle', '--identity-token', token, '--bundle', out, '--signing-config', config, join(CASES, 'a.txt')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\[SIGSTORE_SIGNING_FAILED\]/);
      assert.ok(!r.stderr.includes(token), 'the token is not echoed');
      assert.equal(dead.connections, 1, 'no retries against a dead Fulcio');
      assert.equal(existsSync(out), false);
    } finally {
      await dead.close();
    }
  });

  it('sign-bundle with an unreadable signing config or a non-JWT token: [SIGSTORE_SIGNING_CONFIG_INVALID]', async () => {
    const bad = join(work, 'bad-config.json');
    writeFileSync(bad, '{');
    const r1 = await dct([
      'sign-bundle',
      '--identity-token',
      token,
      '--bundle',
      join(work, 'x.json'),
      '--signing-config',
      bad,
      join(CASES, 'a.txt'),
    ]);
    assert.match(r1.stderr, /\[SIGSTORE_SIGNING_CONFIG_INVALID\]/);
    const r2 = await dct(['sign-bundle', '--identity-token', 'nope', '--bundle', join(work, 'x.json'), join(CASES, 'a.txt')]);
    assert.match(r2.stderr, /\[SIGSTORE_SIGNING_CONFIG_INVALID\]/);
  });

  it('update-trusted-root against a mirror that cuts every connection: one attempt, [SIGSTORE_TUF_UPDATE_FAILED]', async () => {
    const dead = await countingServer('reset');
    try {
      const r = await dct(['update-trusted-root', '--mirror', dead.url]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\[SIGSTORE_TUF_UPDATE_FAILED\]/);
      assert.equal(dead.connections, 1, 'no retries against a dead mirror');
    } finally {
      await dead.close();
    }
  });
});
