/**
 * `dct server` settings that mirror notary-server's `caching.max_age`: defaults,
 * file < environment < flags, range checks, and the headers they produce.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDctError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/server/config.js';
import { cacheHeaders, metadataCaching, metadataResponse } from '../../src/server/responses.js';

describe('cache max age settings (notary caching.max_age)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("notary's defaults: current metadata 5 minutes (must-revalidate), consistent metadata 30 days", () => {
    const c = loadConfig({ env: {}, flags: {} });
    assert.equal(c.cacheMaxAgeCurrent, 300);
    assert.equal(c.cacheMaxAgeConsistent, 2592000);
    const caching = metadataCaching(c.cacheMaxAgeCurrent, c.cacheMaxAgeConsistent);
    assert.deepEqual(caching.current, { 'Cache-Control': 'public, max-age=300, s-maxage=300, must-revalidate' });
    assert.deepEqual(caching.consistent, { 'Cache-Control': 'public, max-age=2592000, s-maxage=2592000' });
  });

  it('file < environment < flags', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ cacheMaxAgeCurrent: 60, cacheMaxAgeConsistent: 31536000 }));
    assert.deepEqual(
      [loadConfig({ file, env: {}, flags: {} })].map((c) => [c.cacheMaxAgeCurrent, c.cacheMaxAgeConsistent])[0],
      [60, 31536000],
    );
    const env = { DCT_CACHE_MAX_AGE_CURRENT: '0', DCT_CACHE_MAX_AGE_CONSISTENT: '86400' };
    const fromEnv = loadConfig({ file, env, flags: {} });
    assert.deepEqual([fromEnv.cacheMaxAgeCurrent, fromEnv.cacheMaxAgeConsistent], [0, 86400]);
    const fromFlags = loadConfig({ file, env, flags: { cacheMaxAgeConsistent: 3600 } });
    assert.deepEqual([fromFlags.cacheMaxAgeCurrent, fromFlags.cacheMaxAgeConsistent], [0, 3600]);
  });

  it('0 turns caching off as notary does (no-store and Pragma), on 200 metadata answers', () => {
    assert.deepEqual(cacheHeaders(0, true), { 'Cache-Control': 'max-age=0, no-cache, no-store', Pragma: 'no-cache' });
    const res = metadataResponse(Buffer.from('{}'), new Date(0), metadataCaching(0, 0).current);
    assert.equal(res.headers['Cache-Control'], 'max-age=0, no-cache, no-store');
    assert.equal(res.headers['Pragma'], 'no-cache');
    assert.equal(res.headers['Content-Length'], 2);
  });

  it('refuses negative, fractional and over-a-year ages, and non-numbers from the environment', () => {
    const refused = (flags: Record<string, unknown>, env: Record<string, string> = {}) =>
      assert.throws(
        () => loadConfig({ env, flags }),
        (err: unknown) =>
          isDctError(err, 'INVALID_CONFIG') &&
          /--cache-max-age-(current|consistent) must be a whole number of seconds from 0/.test(err.message),
      );
    refused({ cacheMaxAgeCurrent: -1 });
    refused({ cacheMaxAgeConsistent: 1.5 });
    refused({ cacheMaxAgeConsistent: 365 * 24 * 3600 + 1 });
    refused({}, { DCT_CACHE_MAX_AGE_CURRENT: 'soon' });
    assert.equal(loadConfig({ env: {}, flags: { cacheMaxAgeConsistent: 365 * 24 * 3600 } }).cacheMaxAgeConsistent, 31536000);
  });
});

describe('read cache budget (--read-cache-max-bytes)', () => {
  it('32 MiB by default; environment and flags set it; 0 turns it off; anything but a whole number of bytes is refused', () => {
    assert.equal(loadConfig({ env: {}, flags: {} }).readCacheMaxBytes, 32 * 1024 * 1024);
    assert.equal(loadConfig({ env: { DCT_READ_CACHE_MAX_BYTES: '1000' }, flags: {} }).readCacheMaxBytes, 1000);
    assert.equal(loadConfig({ env: { DCT_READ_CACHE_MAX_BYTES: '1000' }, flags: { readCacheMaxBytes: 0 } }).readCacheMaxBytes, 0);
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(
        () => loadConfig({ env: {}, flags: { readCacheMaxBytes: bad } }),
        (err: unknown) => isDctError(err, 'INVALID_CONFIG') && /--read-cache-max-bytes must be a whole number of bytes/.test(err.message),
      );
    }
    assert.throws(
      () => loadConfig({ env: { DCT_READ_CACHE_MAX_BYTES: 'lots' }, flags: {} }),
      (err: unknown) => isDctError(err, 'INVALID_CONFIG'),
    );
  });
});

describe('the data folder holds the default storage (--data-dir)', () => {
  it('--data-dir D alone puts the SQLite file in D; a storage named anywhere (even the default text) is kept', () => {
    assert.equal(loadConfig({ env: {}, flags: {} }).storage, 'sqlite:.dct/dct.db');
    assert.equal(loadConfig({ env: {}, flags: { dataDir: '/srv/dct' } }).storage, 'sqlite:/srv/dct/dct.db');
    assert.equal(loadConfig({ env: { DCT_DATA_DIR: 'state' }, flags: {} }).storage, 'sqlite:state/dct.db');
    assert.equal(loadConfig({ env: {}, flags: { dataDir: '/srv/dct', storage: 'sqlite:.dct/dct.db' } }).storage, 'sqlite:.dct/dct.db');
    assert.equal(loadConfig({ env: { DCT_STORAGE: 'sqlite::memory:' }, flags: { dataDir: '/srv/dct' } }).storage, 'sqlite::memory:');
  });
});
