/**
 * `dct server`'s resource limits as settings: defaults, environment and
 * flags, and refusal of values that are not whole positive numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDctError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/server/config.js';

describe('resource limit settings', () => {
  it('defaults: 10 GiB blobs, 128/64 upload sessions per repository/client, 15 min upload expiry, 2 min idle connections, 2048/128 connections', () => {
    const c = loadConfig({ env: {}, flags: {} });
    assert.deepEqual(
      [
        c.maxBlobBytes,
        c.maxUploadsPerRepository,
        c.maxUploadsPerClient,
        c.uploadExpiryMs,
        c.idleTimeoutMs,
        c.maxConnections,
        c.maxConnectionsPerClient,
      ],
      [10 * 1024 ** 3, 128, 64, 900_000, 120_000, 2048, 128],
    );
  });

  it('environment < flags', () => {
    const env = {
      DCT_MAX_BLOB_BYTES: '1048576',
      DCT_MAX_UPLOADS_PER_REPOSITORY: '5',
      DCT_MAX_UPLOADS_PER_CLIENT: '6',
      DCT_UPLOAD_EXPIRY_MS: '60000',
      DCT_IDLE_TIMEOUT_MS: '5000',
      DCT_MAX_CONNECTIONS: '100',
      DCT_MAX_CONNECTIONS_PER_CLIENT: '10',
    };
    const c = loadConfig({ env, flags: { maxConnections: 200 } });
    assert.deepEqual(
      [
        c.maxBlobBytes,
        c.maxUploadsPerRepository,
        c.maxUploadsPerClient,
        c.uploadExpiryMs,
        c.idleTimeoutMs,
        c.maxConnections,
        c.maxConnectionsPerClient,
      ],
      [1048576, 5, 6, 60000, 5000, 200, 10],
    );
  });

  it('zero, negative, fractional, non-numeric and over-long timer values are INVALID_CONFIG', () => {
    const bad: Array<Record<string, number>> = [
      { maxBlobBytes: 0 },
      { maxUploadsPerRepository: -1 },
      { maxUploadsPerClient: 1.5 },
      { uploadExpiryMs: Number.NaN },
      { idleTimeoutMs: 2 ** 31 },
      { maxConnections: 0 },
      { maxConnectionsPerClient: -5 },
    ];
    for (const flags of bad) {
      assert.throws(
        () => loadConfig({ env: {}, flags }),
        (err: unknown) => isDctError(err, 'INVALID_CONFIG'),
        JSON.stringify(flags),
      );
    }
    assert.throws(
      () => loadConfig({ env: { DCT_MAX_BLOB_BYTES: '10GiB' }, flags: {} }),
      (err: unknown) => isDctError(err, 'INVALID_CONFIG'),
    );
  });
});
