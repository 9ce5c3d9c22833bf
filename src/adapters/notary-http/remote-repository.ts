/** One repository on a Notary server, as the client update and publish use it (the `RemoteRepository` port). */
import type { PublicKey } from '../../core/keys/public-key.js';
import type { RemoteRepository, RoleFile } from '../../core/ports.js';
import { NotaryHttpError, type MetadataSelector, type NotaryClient } from './notary-client.js';

export class NotaryRemoteRepository implements RemoteRepository {
  readonly serverName: string;

  constructor(
    private readonly client: NotaryClient,
    readonly gun: string,
    serverUrl: string,
  ) {
    this.serverName = new URL(serverUrl).host;
  }

  read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    return this.get(role, maxBytes, checksum === undefined ? undefined : { sha256: checksum });
  }

  readRootVersion(version: number, maxBytes: number): Promise<Buffer | undefined> {
    return this.get('root', maxBytes, { version });
  }

  getKey(role: 'timestamp' | 'snapshot'): Promise<PublicKey> {
    return this.client.getKey(this.gun, role);
  }

  rotateKey(role: 'timestamp' | 'snapshot'): Promise<PublicKey> {
    return this.client.rotateKey(this.gun, role);
  }

  publish(files: readonly RoleFile[]): Promise<void> {
    return this.client.publish(this.gun, files);
  }

  deleteRepository(): Promise<void> {
    return this.client.deleteRepository(this.gun);
  }

  private async get(role: string, maxBytes: number, which?: MetadataSelector): Promise<Buffer | undefined> {
    try {
      // the client reads no more than maxBytes + 1 (an endless or oversized body is cut there)
      const bytes = await this.client.getMetadata(this.gun, role, which, { maxBytes });
      // one byte over the limit is enough for the trusted set to refuse the file
      return bytes.length > maxBytes ? bytes.subarray(0, maxBytes + 1) : bytes;
    } catch (err) {
      if (err instanceof NotaryHttpError && err.code === 'METADATA_NOT_FOUND') return undefined;
      throw err;
    }
  }
}
