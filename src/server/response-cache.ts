/**
 * Prepared responses of the read path, per repository. A hit costs no JSON, no
 * crypto and no database round trip. Entries for current metadata are dropped
 * when the store reports a change to the repository (in this process or, with
 * PostgreSQL, in any replica): all of them, since a deleted and re-created
 * repository reuses versions.
 *
 * Bounded by bytes: each entry is charged its body, its strings and a fixed
 * overhead for the objects that hold it (measured with heap snapshots), so the
 * memory the cache takes stays near `maxBytes` however many repositories are
 * read. Least recently used out, approximately: a hit moves its entry to the
 * young end only once it has aged into the older half, so that a hot entry
 * costs one map lookup per hit. An entry is the response itself (no wrapper
 * object; metadata headers share one object shape), and a repository's entries
 * are chained through the entries themselves: no set per repository.
 */
import type { PreparedResponse } from './responses.js';

/**
 * 32 MiB: about 29,000 timestamps of 500 bytes (see ENTRY_OVERHEAD_BYTES);
 * `--read-cache-max-bytes`. A server that has read 100,000 repositories then
 * stays under 200 MB of RSS (bench:server); the rest of the growth from 62 MB idle
 * is garbage the collector has not reclaimed yet and the allocator's arenas.
 */
export const DEFAULT_READ_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * What one entry takes beyond its body and its key: the entry, its headers and
 * Last-Modified, the body's Buffer and ArrayBuffer objects, its GUN, the slots
 * of two maps. Measured with a heap snapshot of a server holding 100,000
 * timestamps (489-byte bodies, 33-character keys): 1,170 bytes each. The
 * process's RSS grows by about 1.6 times what the cache is charged (the
 * garbage collector's headroom, the allocator's slack).
 */
export const ENTRY_OVERHEAD_BYTES = 640;

/**
 * `body` in memory of its own: a slice of a larger buffer (node's shared pool, a
 * request body) would keep all of that alive as long as the entry lives.
 * (Copying small bodies into a shared pool was tried: the pool's other users
 * interleave, and a cache of 49 MB of bodies kept 136 MB of pool buffers.)
 */
function ownBytes(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  return Buffer.from(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

class Entry implements PreparedResponse {
  readonly gun: string;
  readonly status: number;
  readonly headers: Record<string, string | number>;
  readonly body: Buffer;
  readonly validUntil: number | undefined;
  seq = 0;
  /** the neighbours among the entries of the same repository */
  prevOfGun: Entry | undefined = undefined;
  nextOfGun: Entry | undefined = undefined;

  constructor(
    readonly key: string,
    gun: string,
    res: PreparedResponse,
    readonly cost: number,
  ) {
    // the GUN as a piece of the key when the key holds it (it usually does): a slice of the
    // request's path would keep the whole path alive
    const at = key.indexOf(gun);
    this.gun = at < 0 ? gun : key.slice(at, at + gun.length);
    this.status = res.status;
    this.headers = res.headers;
    this.body = ownBytes(res.body);
    this.validUntil = res.validUntil;
  }
}

/** The bytes an entry is charged: its body, its key (one byte a character: keys are Latin-1) and the fixed overhead. */
export function entryCost(key: string, res: PreparedResponse): number {
  return res.body.length + key.length + ENTRY_OVERHEAD_BYTES;
}

export interface ResponseCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  evictions: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  /** GUN → the first of its entries (the rest are chained through `nextOfGun`) */
  private readonly byGun = new Map<string, Entry>();
  private bytes = 0;
  private evictions = 0;
  /** insertion counter: an entry's `seq` tells how recently it was (re)inserted */
  private seq = 0;

  constructor(readonly maxBytes = DEFAULT_READ_CACHE_MAX_BYTES) {}

  get(key: string, now: number): PreparedResponse | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.validUntil !== undefined && now >= hit.validUntil) {
      this.delete(hit);
      return undefined;
    }
    // refresh recency (Map keeps insertion order) once the entry has aged into the older half
    if (hit.seq < this.seq - (this.entries.size >> 1)) {
      this.entries.delete(key);
      hit.seq = ++this.seq;
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Caches `res` (a compact copy of it) unless it alone is larger than the whole budget. */
  set(key: string, gun: string, res: PreparedResponse): void {
    const old = this.entries.get(key);
    if (old) this.delete(old);
    const cost = entryCost(key, res);
    if (cost > this.maxBytes) return;
    while (this.bytes + cost > this.maxBytes) {
      this.delete(this.entries.values().next().value as Entry);
      this.evictions++;
    }
    const entry = new Entry(key, gun, res, cost);
    entry.seq = ++this.seq;
    this.entries.set(key, entry);
    const first = this.byGun.get(gun);
    if (first) {
      entry.nextOfGun = first;
      first.prevOfGun = entry;
    }
    this.byGun.set(entry.gun, entry);
    this.bytes += cost;
  }

  /** Forgets every entry of a repository. */
  invalidate(gun: string): void {
    let entry = this.byGun.get(gun);
    while (entry) {
      const next: Entry | undefined = entry.nextOfGun;
      this.delete(entry);
      entry = next;
    }
  }

  stats(): ResponseCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, maxBytes: this.maxBytes, evictions: this.evictions };
  }

  private delete(entry: Entry): void {
    this.entries.delete(entry.key);
    this.bytes -= entry.cost;
    const { prevOfGun: prev, nextOfGun: next } = entry;
    if (prev) prev.nextOfGun = next;
    else if (next) this.byGun.set(entry.gun, next);
    else this.byGun.delete(entry.gun);
    if (next) next.prevOfGun = prev;
    entry.prevOfGun = entry.nextOfGun = undefined;
  }
}
