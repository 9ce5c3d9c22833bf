/**
 * Which trusted root dct uses (a named file, else a refreshed cache, else the shipped
 * production root), the checks a root must pass, and that a refresh through TUF fails fast
 * with SIGSTORE_TUF_UPDATE_FAILED when the repository cannot be reached (no network here).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkTrustedRoot,
  loadTrustedRoot,
  locateTrustedRoot,
  refreshTrustedRoot,
  shippedTrustedRootPath,
  shippedTufRootPath,
  sigstoreCacheDir,
} from '../../../src/adapters/sigstore/trusted-root.js';
import { isDctError } from '../../../src/core/errors.js';
import { countingServer } from '../../support/counting-server.js';
import { fixturePath } from '../../support/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'dct-trusted-root-'));
after(() => rmSync(work, { recursive: true, force: true }));

const PRODUCTION = fixturePath('sigstore-conformance', 'trusted-roots', 'trusted_root.production.json');

async function refusedWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => isDctError(err) && err.code === code);
}

describe('the shipped roots', () => {
  it('assets/sigstore holds the production trusted root and TUF root, byte for byte', () => {
    assert.deepEqual(readFileSync(shippedTrustedRootPath()), readFileSync(PRODUCTION));
    assert.deepEqual(
      readFileSync(shippedTufRootPath()),
      readFileSync(fixturePath('sigstore-conformance', 'trusted-roots', 'tuf-root.production.json')),
    );
  });
});

describe('locating and loading the trusted root', () => {
  it('a named file wins', async () => {
    const file = fixturePath('cosign', 'oci-attestation', 'trusted_root_pgi.json');
    assert.deepEqual(await locateTrustedRoot(file, { cacheDir: work }), { path: file, source: 'file' });
    assert.deepEqual(await loadTrustedRoot(file, { cacheDir: work }), JSON.parse(readFileSync(file, 'utf8')));
  });

  it('without one and without a refreshed cache: the shipped production root', async () => {
    const empty = join(work, 'empty');
    assert.deepEqual(await locateTrustedRoot(undefined, { cacheDir: empty }), { path: shippedTrustedRootPath(), source: 'shipped' });
    assert.deepEqual(await loadTrustedRoot(undefined, { cacheDir: empty }), JSON.parse(readFileSync(PRODUCTION, 'utf8')));
  });

  it('a refreshed root in the cache is preferred; a broken one is passed over for the shipped root', async () => {
    const cache = join(work, 'cache');
    mkdirSync(cache, { recursive: true });
    const pgi = readFileSync(fixturePath('cosign', 'oci-attestation', 'trusted_root_pgi.json'), 'utf8');
    writeFileSync(join(cache, 'trusted_root.json'), pgi);
    assert.equal((await locateTrustedRoot(undefined, { cacheDir: cache })).source, 'cache');
    assert.deepEqual(await loadTrustedRoot(undefined, { cacheDir: cache }), JSON.parse(pgi));
    writeFileSync(join(cache, 'trusted_root.json'), '{"tlogs": 5');
    assert.deepEqual(await loadTrustedRoot(undefined, { cacheDir: cache }), JSON.parse(readFileSync(PRODUCTION, 'utf8')));
  });

  it('a missing or non-JSON named file is SIGSTORE_TRUSTED_ROOT_INVALID', async () => {
    await refusedWith(loadTrustedRoot(join(work, 'nope.json')), 'SIGSTORE_TRUSTED_ROOT_INVALID');
    writeFileSync(join(work, 'bad.json'), 'not json');
    await refusedWith(loadTrustedRoot(join(work, 'bad.json')), 'SIGSTORE_TRUSTED_ROOT_INVALID');
  });

  it('the cache lives in $XDG_CACHE_HOME/dct/sigstore, else ~/.cache/dct/sigstore', () => {
    assert.equal(sigstoreCacheDir({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/dct/sigstore');
    assert.match(sigstoreCacheDir({}), /\/\.cache\/dct\/sigstore$/);
  });
});

describe('checkTrustedRoot', () => {
  const production = JSON.parse(readFileSync(PRODUCTION, 'utf8')) as { tlogs: Array<{ publicKey: { validFor?: unknown } }> };
  const refused = (root: unknown, reason: RegExp) =>
    assert.throws(
      () => checkTrustedRoot(root),
      (err: unknown) => isDctError(err, 'SIGSTORE_TRUSTED_ROOT_INVALID') && reason.test(err.message),
    );

  it('the production root passes', () => checkTrustedRoot(production));

  it('a log key with a validity interval but no start is refused; no interval at all, or a null end, is open-ended', () => {
    const noStart = structuredClone(production);
    noStart.tlogs[0]!.publicKey.validFor = { end: '2030-01-01T00:00:00Z' };
    refused(noStart, /tlogs\[0\]\.publicKey\.validFor has no valid "start"/);
    const noInterval = structuredClone(production);
    delete noInterval.tlogs[0]!.publicKey.validFor;
    checkTrustedRoot(noInterval);
    const nullEnd = structuredClone(production);
    nullEnd.tlogs[0]!.publicKey.validFor = { start: '2021-01-12T11:53:27Z', end: null };
    checkTrustedRoot(nullEnd);
  });

  it('wrong shapes are refused with the entry named', () => {
    refused([], /not a JSON object/);
    refused({ tlogs: {} }, /"tlogs" is not a list/);
    refused({ ctlogs: [{}] }, /ctlogs\[0\] has no publicKey/);
    refused({ certificateAuthorities: [{ certChain: { certificates: [] } }] }, /certificateAuthorities\[0\]\.certChain has 0/);
    refused({ tlogs: Array.from({ length: 1000 }, () => ({})) }, /1000 entries/);
  });
});

describe('refreshTrustedRoot (TUF)', () => {
  it('a repository that cuts every connection is tried once: SIGSTORE_TUF_UPDATE_FAILED, the cache left without a root', async () => {
    const cacheDir = join(work, 'refresh');
    const mirror = await countingServer('reset');
    try {
      await assert.rejects(
        refreshTrustedRoot({ mirrorURL: mirror.url, cacheDir, timeoutMs: 2000 }),
        (err: unknown) => isDctError(err, 'SIGSTORE_TUF_UPDATE_FAILED') && err.message.includes(`127.0.0.1:${mirror.port}`),
      );
      assert.equal(mirror.connections, 1, 'one attempt, no retries');
    } finally {
      await mirror.close();
    }
    assert.equal(existsSync(join(cacheDir, 'trusted_root.json')), false);
    assert.equal((await locateTrustedRoot(undefined, { cacheDir })).source, 'shipped');
  });

  // the test's own limit is a hang detector: without the time limit the refresh would wait for ever
  it('a repository that never answers is cut off by the time limit, after one request', { timeout: 30_000 }, async (t) => {
    const mirror = await countingServer('silent', t.signal);
    try {
      await refusedWith(
        refreshTrustedRoot({ mirrorURL: mirror.url, cacheDir: join(work, 'hang'), timeoutMs: 500 }),
        'SIGSTORE_TUF_UPDATE_FAILED',
      );
      assert.equal(mirror.requests, 1, 'one request, no retries');
    } finally {
      await mirror.close();
    }
  });
});
