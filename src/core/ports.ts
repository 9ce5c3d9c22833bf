/** Interfaces the core and the use cases need from the outside world (implemented in adapters). */

/** Where a repository's metadata files come from: a trust server, a cache, a folder. */
export interface MetadataSource {
  /**
   * The bytes of `role`'s current metadata, or undefined when there is none.
   * `checksum` is the sha256 hex a parent pins (servers serve `<role>.<sha256>.json`);
   * implementations must not return more than `maxBytes` bytes.
   */
  read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined>;
}
