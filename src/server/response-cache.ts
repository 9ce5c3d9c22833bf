/**
 * Prepared responses of the read path, per repository. A hit costs no JSON, no
 * crypto and no database round trip. Entries for current metadata are dropped
 * when the store reports a change to the repository (in this process or, with
 * PostgreSQL, in any replica): all of them, since a deleted and re-created
 * repository reuses versions. Bounded by total body bytes (least recently used out,
 * approximately: a hit moves its entry to the young end only once it has aged into
 * the older half, so that a hot entry costs one map lookup per hit).
 */
import type { PreparedResponse } from './responses.js';

export class ResponseCache {
  private readonly entries = new Map<string, { gun: string; res: PreparedResponse; seq: number }>();
  private readonly byGun = new Map<string, Set<string>>();
  private bytes = 0;
  /** insertion counter: an entry's `seq` tells how recently it was (re)inserted */
  private seq = 0;

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  get(key: string, now: number): PreparedResponse | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.res.validUntil !== undefined && now >= hit.res.validUntil) {
      this.delete(key);
      return undefined;
    }
    // refresh recency (Map keeps insertion order) once the entry has aged into the older half
    if (hit.seq < this.seq - (this.entries.size >> 1)) {
      this.entries.delete(key);
      hit.seq = ++this.seq;
      this.entries.set(key, hit);
    }
    return hit.res;
  }

  set(key: string, gun: string, res: PreparedResponse): void {
    this.delete(key);
    this.entries.set(key, { gun, res, seq: ++this.seq });
    let keys = this.byGun.get(gun);
    if (!keys) this.byGun.set(gun, (keys = new Set()));
    keys.add(key);
    this.bytes += res.body.length;
    while (this.bytes > this.maxBytes && this.entries.size > 1) {
      this.delete(this.entries.keys().next().value as string);
    }
  }

  /** Forgets every entry of a repository. */
  invalidate(gun: string): void {
    for (const key of [...(this.byGun.get(gun) ?? [])]) this.delete(key);
  }

  private delete(key: string): void {
    const hit = this.entries.get(key);
    if (!hit) return;
    this.entries.delete(key);
    this.bytes -= hit.res.body.length;
    const keys = this.byGun.get(hit.gun);
    keys?.delete(key);
    if (keys && keys.size === 0) this.byGun.delete(hit.gun);
  }
}
