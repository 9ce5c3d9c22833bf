/**
 * One repository of the trust server's own store as a `MetadataSource`: current roles, or the
 * version a parent pins by checksum. Remembers the bytes and store times of what it served
 * (the dashboard's "last change" and the instant expired data was valid at).
 */
import type { MetadataSource, TufStore } from '../../core/ports.js';

export class StoreMetadataSource implements MetadataSource {
  /** bytes served, in order */
  readonly served: Buffer[] = [];
  /** the latest store time of a file served */
  latest: Date | undefined;

  constructor(
    private readonly store: TufStore,
    private readonly gun: string,
  ) {}

  async read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    const file = checksum ? await this.store.getByChecksum(this.gun, role, checksum) : await this.store.getCurrent(this.gun, role);
    if (!file) return undefined;
    this.served.push(file.data);
    if (!this.latest || file.createdAt > this.latest) this.latest = file.createdAt;
    return file.data.length > maxBytes ? file.data.subarray(0, maxBytes + 1) : file.data;
  }
}
