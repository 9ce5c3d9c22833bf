/** A repository on a Notary server as a `MetadataSource`: current roles, or by the checksum a parent pins. */
import type { MetadataSource } from '../../core/ports.js';
import { NotaryHttpError, type NotaryClient } from './notary-client.js';

export class NotaryServerSource implements MetadataSource {
  constructor(
    private readonly client: NotaryClient,
    readonly gun: string,
  ) {}

  async read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    try {
      const bytes = await this.client.getMetadata(this.gun, role, checksum !== undefined ? { sha256: checksum } : undefined);
      // as MetadataDirectory: one byte over the limit is enough for the trusted set to refuse it
      return bytes.length > maxBytes ? bytes.subarray(0, maxBytes + 1) : bytes;
    } catch (err) {
      if (err instanceof NotaryHttpError && err.code === 'METADATA_NOT_FOUND') return undefined;
      throw err;
    }
  }
}
