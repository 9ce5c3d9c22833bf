/**
 * A repository on a Notary server as a `MetadataSource`: current roles, or by the checksum a parent pins.
 *
 * Sizes follow notary's httpstore: a response that declares more than `maxBytes`
 * (Content-Length) fails with RESPONSE_TOO_LARGE ("trust server returned a bad
 * response."); a longer body without a declared length is cut after `maxBytes + 1`
 * bytes, which the trusted set then refuses as too large — or, when `maxBytes` reaches
 * the client's own limit for the role, fails with RESPONSE_TOO_LARGE. Nothing beyond
 * that is read.
 */
import type { MetadataSource } from '../../core/ports.js';
import { NotaryHttpError, type NotaryClient } from './notary-client.js';

export class NotaryServerSource implements MetadataSource {
  constructor(
    private readonly client: NotaryClient,
    readonly gun: string,
  ) {}

  async read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    try {
      const bytes = await this.client.getMetadata(this.gun, role, checksum !== undefined ? { sha256: checksum } : undefined, { maxBytes });
      // (the client already stops at maxBytes + 1 unless its own, lower limit applied)
      return bytes.length > maxBytes ? bytes.subarray(0, maxBytes + 1) : bytes;
    } catch (err) {
      if (err instanceof NotaryHttpError && err.code === 'METADATA_NOT_FOUND') return undefined;
      throw err;
    }
  }
}
