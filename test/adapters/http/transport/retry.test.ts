import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DctError } from '../../../../src/core/errors.js';
import { backoffDelay, isTransient, retry, retryAfterMs } from '../../../../src/adapters/http/transport/retry.js';
import { response, scripted } from './fake.js';

const get = { method: 'GET', url: new URL('http://registry.test/v2/') };
const networkError = (code: string) => new DctError('NETWORK_ERROR', `GET x: ${code}`, { cause: Object.assign(new Error(code), { code }) });

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('retry', () => {
  it('waits what Retry-After says, then the back-off, and hands up the answer that is not transient', async () => {
    const { waits, sleep } = recorder();
    const bottom = scripted(response(429, { 'Retry-After': '2' }), response(503), response(200));
    const res = await retry({ retries: 4, backoffMs: 100, jitter: false, sleep })(bottom)(get);
    assert.equal(res.status, 200);
    assert.deepEqual(waits, [2000, 200]);
    assert.equal(bottom.sent.length, 3);
  });

  it('does not wait a Retry-After longer than allowed: the answer goes up as it is', async () => {
    const { waits, sleep } = recorder();
    const bottom = scripted(response(503, { 'Retry-After': '3600' }), response(200));
    const res = await retry({ retries: 4, sleep })(bottom)(get);
    assert.equal(res.status, 503);
    assert.deepEqual(waits, []);
  });

  it('stops at once on answers and errors that are not transient', async () => {
    const { waits, sleep } = recorder();
    const notFound = scripted(response(404), response(200));
    assert.equal((await retry({ retries: 4, sleep })(notFound)(get)).status, 404);
    assert.equal(notFound.sent.length, 1);
    const tls = scripted(() => {
      throw networkError('CERT_HAS_EXPIRED');
    });
    await assert.rejects(retry({ retries: 4, sleep })(tls)(get), /CERT_HAS_EXPIRED/);
    assert.equal(tls.sent.length, 1);
    assert.deepEqual(waits, []);
  });

  it('retries network errors and timeouts, up to `retries` times, GET and HEAD only unless told', async () => {
    const { waits, sleep } = recorder();
    const reset = scripted(() => {
      throw networkError('ECONNRESET');
    });
    await assert.rejects(retry({ retries: 2, backoffMs: 10, jitter: false, sleep })(reset)(get), /ECONNRESET/);
    assert.equal(reset.sent.length, 3);
    assert.deepEqual(waits, [10, 20]);
    const post = scripted(response(503), response(200));
    assert.equal((await retry({ retries: 2, sleep })(post)({ ...get, method: 'POST' })).status, 503);
    assert.equal(post.sent.length, 1);
    const told = scripted(response(503), response(200));
    assert.equal((await retry({ retries: 2, sleep })(told)({ ...get, method: 'PUT', retry: true })).status, 200);
    const never = scripted(response(503), response(200));
    assert.equal((await retry({ retries: 2, sleep })(never)({ ...get, retry: false })).status, 503);
  });

  it('one rule for transient failures', () => {
    assert.equal(isTransient(new DctError('TIMEOUT', 'x')), true);
    assert.equal(isTransient(networkError('ECONNREFUSED')), true);
    assert.equal(isTransient(networkError('ERR_TLS_CERT_ALTNAME_INVALID')), false);
    assert.equal(isTransient(networkError('DEPTH_ZERO_SELF_SIGNED_CERT')), false);
    assert.equal(isTransient(new DctError('RESPONSE_TOO_LARGE', 'x')), false);
    assert.equal(isTransient(new Error('x')), false);
  });

  it('reads Retry-After as seconds or a date; jitter stays within half and all of the back-off', () => {
    assert.equal(retryAfterMs('7'), 7000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(backoffDelay(2, { backoffMs: 100, random: () => 0 }), 200);
    assert.equal(backoffDelay(2, { backoffMs: 100, random: () => 0.999 }), 400);
    assert.equal(backoffDelay(20, { backoffMs: 100, maxBackoffMs: 1000, jitter: false }), 1000);
  });
});
