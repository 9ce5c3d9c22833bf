/**
 * A bundle's files of one repository served as a trust server would serve them, so that
 * `verify-bundle` runs the client update itself, offline: `<role>.json` for current
 * metadata (whatever checksum is asked: the update checks every hash against its pin)
 * and `<v>.root.json` for the root chain. Only files whose bytes matched the manifest are
 * given; nothing can be written.
 */
import { DctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { RemoteRepository } from '../../core/ports.js';
import { servedName } from '../../core/trust-bundle/manifest.js';

export class BundleRemote implements RemoteRepository {
  readonly serverName = 'the trust bundle';

  /** `files`: served name (`targets/releases.json`, `2.root.json`) → bytes */
  constructor(private readonly files: ReadonlyMap<string, Buffer>) {}

  async read(role: string, maxBytes: number): Promise<Buffer | undefined> {
    return this.files.get(servedName(role))?.subarray(0, maxBytes + 1);
  }

  async readRootVersion(version: number, maxBytes: number): Promise<Buffer | undefined> {
    return this.files.get(servedName('root', version))?.subarray(0, maxBytes + 1);
  }

  getKey(): Promise<PublicKey> {
    return Promise.reject(readOnly());
  }
  rotateKey(): Promise<PublicKey> {
    return Promise.reject(readOnly());
  }
  publish(): Promise<void> {
    return Promise.reject(readOnly());
  }
  deleteRepository(): Promise<void> {
    return Promise.reject(readOnly());
  }
}

function readOnly(): DctError {
  return new DctError('INVALID_ARGUMENT', 'a trust bundle is read-only');
}
