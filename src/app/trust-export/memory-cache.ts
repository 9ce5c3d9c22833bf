/**
 * A metadata cache held in memory, over an optional read-only base (a trust dir's cache,
 * a bundle): the client update reads through it and its writes stay in memory, so an
 * export or a bundle check runs the client's own update without touching any disk.
 */
import type { MetadataCache, MetadataSource, RoleFile } from '../../core/ports.js';

export class MemoryCache implements MetadataCache {
  private readonly files = new Map<string, Buffer>();

  constructor(
    private readonly base?: MetadataSource,
    seed: readonly RoleFile[] = [],
  ) {
    for (const f of seed) this.files.set(f.role, f.bytes);
  }

  async read(role: string, maxBytes: number): Promise<Buffer | undefined> {
    const own = this.files.get(role);
    if (own) return own.subarray(0, maxBytes + 1);
    return this.base?.read(role, maxBytes);
  }

  async write(files: readonly RoleFile[]): Promise<void> {
    for (const f of files) this.files.set(f.role, f.bytes);
  }

  async clear(): Promise<void> {
    this.files.clear();
  }
}
