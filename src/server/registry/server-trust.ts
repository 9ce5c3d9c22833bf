/**
 * The server's own trust data, verified as a client verifies it: the
 * repository's TUF files are read from the server's TufStore and go through the
 * trusted set (root signatures and certificates, timestamp, snapshot and
 * targets pins, delegations, expiry). The timestamp is the one the trust API
 * serves (re-signed first when the server holds its key and it is due).
 *
 * Verified repositories are cached per GUN for a short while and dropped when
 * the store reports a change to the GUN.
 */
import { DctError, type DctErrorCode } from '../../core/errors.js';
import { loadRepository } from '../../app/load-repository.js';
import { getCurrentTimestamp } from '../../app/notary-server/server-metadata.js';
import type { KeyService, MetadataSource, TufStore } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';

export interface ServerTrustOptions {
  tuf: TufStore;
  /** with keys, a stale server-managed timestamp is re-signed as the trust API would; without, the stored one is used */
  keys?: KeyService;
  now?: () => Date;
  /** how long a verified repository is reused without a change notice (default 30 s) */
  cacheMs?: number;
}

export type TrustLookup =
  | { state: 'verified'; trusted: TrustedSet }
  | { state: 'absent' }
  /** `code`: the verification's DctError code, when it raised one */
  | { state: 'invalid'; reason: string; code?: DctErrorCode };

/** A MetadataSource over the server's own store for one GUN. */
export function storeSource(tuf: TufStore, gun: string, keys: KeyService | undefined, now: Date): MetadataSource {
  return {
    async read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
      let data: Buffer | undefined;
      if (role === 'timestamp' && keys) data = (await getCurrentTimestamp({ store: tuf, keys, now }, gun))?.data;
      else if (checksum !== undefined) data = (await tuf.getByChecksum(gun, role, checksum))?.data;
      else data = (await tuf.getCurrent(gun, role))?.data;
      return data && data.length > maxBytes ? data.subarray(0, maxBytes + 1) : data;
    },
  };
}

export class ServerTrust {
  private readonly cache = new Map<string, { lookup: TrustLookup; until: number }>();
  private readonly loading = new Map<string, Promise<TrustLookup>>();
  /** bumped by every invalidation: a load that started before one is not cached */
  private generation = 0;
  private readonly now: () => Date;
  private readonly cacheMs: number;

  constructor(private readonly opts: ServerTrustOptions) {
    this.now = opts.now ?? (() => new Date());
    this.cacheMs = opts.cacheMs ?? 30_000;
  }

  /** The verified repository of `gun`, whether it has none, or why it does not verify. */
  lookup(gun: string): Promise<TrustLookup> {
    const now = this.now();
    const hit = this.cache.get(gun);
    if (hit && now.getTime() < hit.until) return Promise.resolve(hit.lookup);
    const pending = this.loading.get(gun);
    if (pending) return pending;
    const load = this.load(gun, now).finally(() => {
      if (this.loading.get(gun) === load) this.loading.delete(gun);
    });
    this.loading.set(gun, load);
    return load;
  }

  /** Forgets what is cached for a GUN (its trust data changed). */
  invalidate(gun: string): void {
    this.generation++;
    this.cache.delete(gun);
    this.loading.delete(gun);
  }

  private async load(gun: string, now: Date): Promise<TrustLookup> {
    const generation = this.generation;
    let lookup: TrustLookup;
    if (!(await this.opts.tuf.getCurrent(gun, 'root'))) lookup = { state: 'absent' };
    else {
      try {
        const { trusted } = await loadRepository(storeSource(this.opts.tuf, gun, this.opts.keys, now), { gun, now });
        lookup = { state: 'verified', trusted };
      } catch (err) {
        lookup = {
          state: 'invalid',
          reason: err instanceof Error ? err.message : String(err),
          ...(err instanceof DctError ? { code: err.code } : {}),
        };
      }
    }
    if (generation !== this.generation) return lookup;
    if (this.cache.size >= 10_000) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(gun, { lookup, until: now.getTime() + this.cacheMs });
    return lookup;
  }
}
