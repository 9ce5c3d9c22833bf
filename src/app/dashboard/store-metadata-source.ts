/**
 * One repository of the trust server's own store as a `MetadataSource`: current roles, or the
 * version a parent pins by checksum. Remembers the bytes and store times of what it served
 * (the dashboard's "last change" and the instant expired data was valid at).
 *
 * A source made with `replaying` serves again what that earlier source served for the same
 * request (role, and pinned checksum or none), and reads the store only for the rest: a second
 * pass over a repository verifies the very bytes the first pass read.
 */
import type { MetadataSource, StoredFile, TufStore } from '../../core/ports.js';

export class StoreMetadataSource implements MetadataSource {
  /** bytes served, in order */
  readonly served: Buffer[] = [];
  /** the latest store time of a file served */
  latest: Date | undefined;
  /** what was served, by request */
  private readonly files = new Map<string, StoredFile>();

  constructor(
    private readonly store: TufStore,
    private readonly gun: string,
    private readonly replaying?: StoreMetadataSource,
  ) {}

  async read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    const request = `${role}\u0000${checksum ?? ''}`;
    const file =
      this.replaying?.files.get(request) ??
      (checksum ? await this.store.getByChecksum(this.gun, role, checksum) : await this.store.getCurrent(this.gun, role));
    if (!file) return undefined;
    this.files.set(request, file);
    this.served.push(file.data);
    if (!this.latest || file.createdAt > this.latest) this.latest = file.createdAt;
    return file.data.length > maxBytes ? file.data.subarray(0, maxBytes + 1) : file.data;
  }
}
