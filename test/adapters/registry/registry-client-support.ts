/**
 * Shared by the RegistryClient tests
 * (test/adapters/registry/registry-client-*.test.ts): digests and descriptors
 * of test bytes, a Writable that collects what it is given, an error matcher by
 * code (and message), and the scripted registry
 * (test/adapters/registry/fake-registry.ts) with the clients made against it,
 * fresh for each test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, beforeEach } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../../src/adapters/registry/registry-client.js';
import { OCI_MEDIA_TYPES, type Descriptor } from '../../../src/core/oci/index.js';
import { FakeRegistry } from './fake-registry.js';

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const desc = (b: Buffer, mediaType: string = OCI_MEDIA_TYPES.layerGzip): Descriptor => ({
  mediaType,
  digest: sha256(b),
  size: b.length,
});

export class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function code(expected: string, message?: RegExp) {
  return (err: { code?: string; message: string }) => {
    assert.equal(err.code, expected, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

// ---------------------------------------------------------------------------
// the scripted registry each test runs against (set in its `beforeEach`)

export let reg: FakeRegistry;
export let sleeps: number[];
export const clients: RegistryClient[] = [];

/** A client of the scripted registry: quick retries, and back-off sleeps recorded in `sleeps` instead of slept. */
export const client = (opts: RegistryClientOptions = {}) => {
  const c = new RegistryClient(reg.host, {
    endpoint: reg.url,
    retries: 3,
    backoffMs: 10,
    random: () => 0,
    sleep: async (ms) => void sleeps.push(ms),
    ...opts,
  });
  clients.push(c);
  return c;
};

/** Called in a suite: a fresh scripted registry before each test; its clients closed and the registry stopped after it. */
export function useScriptedRegistry(): void {
  beforeEach(async () => {
    reg = await new FakeRegistry().start();
    sleeps = [];
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await reg.stop();
  });
}
