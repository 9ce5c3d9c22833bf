/**
 * A notary-0.7 fixture case as a `TrustRepository`: its `server/` folder as the
 * remote (current, by checksum, by version), an in-memory cache, no keys, and
 * the clock pinned to the day the fixtures were made (their timestamps expire
 * two weeks later).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { DctError } from '../../../src/core/errors.js';
import type { PublicKey } from '../../../src/core/keys/public-key.js';
import type { KeyRing, MetadataCache, RemoteRepository, RoleFile } from '../../../src/core/ports.js';
import { fixturePath } from '../../support/fixtures.js';

export const FIXTURE_NOW = new Date('2026-11-23T12:00:00Z');

export function fixtureGun(caseName: string): string {
  return /GUN: `([^`]+)`/.exec(readFileSync(fixturePath('notary-0.7', caseName, 'README.md'), 'utf8'))![1]!;
}

export class MemoryCache implements MetadataCache {
  readonly files = new Map<string, Buffer>();
  async read(role: string): Promise<Buffer | undefined> {
    return this.files.get(role);
  }
  async write(files: readonly RoleFile[]): Promise<void> {
    for (const f of files) this.files.set(f.role, f.bytes);
  }
  async clear(): Promise<void> {
    this.files.clear();
  }
}

export class FixtureRemote implements RemoteRepository {
  readonly serverName = '127.0.0.1:14443';
  constructor(private readonly dir: string) {}

  async read(role: string, _maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    const current = join(this.dir, `${role}.json`);
    if (checksum !== undefined) {
      const byChecksum = join(this.dir, 'by-checksum', `${role}.${checksum}.json`);
      if (existsSync(byChecksum)) return readFileSync(byChecksum);
      if (existsSync(current)) {
        const bytes = readFileSync(current);
        if (createHash('sha256').update(bytes).digest('hex') === checksum) return bytes;
      }
      return undefined;
    }
    return existsSync(current) ? readFileSync(current) : undefined;
  }
  async readRootVersion(version: number): Promise<Buffer | undefined> {
    const file = join(this.dir, 'versions', `${version}.root.json`);
    return existsSync(file) ? readFileSync(file) : undefined;
  }
  getKey(): Promise<PublicKey> {
    return Promise.reject(new DctError('INVALID_OPERATION', 'fixture repositories are read-only'));
  }
  rotateKey(): Promise<PublicKey> {
    return this.getKey();
  }
  publish(): Promise<void> {
    return Promise.reject(new DctError('INVALID_OPERATION', 'fixture repositories are read-only'));
  }
  deleteRepository(): Promise<void> {
    return this.publish();
  }
}

export const NO_KEYS: KeyRing = {
  list: async () => [],
  has: async () => false,
  unlock: async () => undefined,
  generate: () => Promise.reject(new DctError('INVALID_OPERATION', 'no key ring')),
};

export function fixtureRepository(caseName: string, now = FIXTURE_NOW): TrustRepository {
  return new TrustRepository({
    gun: fixtureGun(caseName),
    cache: new MemoryCache(),
    keyRing: NO_KEYS,
    remote: new FixtureRemote(fixturePath('notary-0.7', caseName, 'server')),
    now: () => now,
  });
}
