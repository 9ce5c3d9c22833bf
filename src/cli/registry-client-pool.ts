/**
 * Registry clients shared by the decisions of a long-running enforcement point (the admission
 * webhook): one client per registry and credentials, so that a decision reuses the endpoint
 * found, the TLS context, the kept-alive connections and the tokens of the decisions before it
 * instead of pinging, reading docker's TLS folders and config, and handshaking again.
 *
 * - The key is the registry and a fingerprint of the credentials the caller gives (a Pod's pull
 *   secret; none: the process's own, docker's): a client, and the tokens it holds, only ever
 *   serve the credentials it was opened with.
 * - A decision leases a client and releases it when done. A client unused for `idleMs` is
 *   closed (its connections too); one older than `maxAgeMs` is not leased again (the next
 *   decision opens a new one, reading docker's config and TLS folders again: rotated
 *   credentials and CAs are picked up) and is closed once its last lease is released.
 * - `close()` (a policy reload) retires every client the same way.
 */
import { createHash } from 'node:crypto';
import type { RegistryCredentials } from '../adapters/http/credentials.js';
import type { ImageReference } from '../core/image-reference.js';
import type { RegistryAccess } from './registry-access.js';

/** A client of an image's registry, leased for one decision. */
export interface RegistryLease extends RegistryAccess {
  /** the decision is done with it (call once) */
  release(): void;
}

/** Opens a client of `ref`'s registry with `credentials` (undefined: the process's own). */
export type RegistryOpener = (ref: ImageReference, credentials: RegistryCredentials | undefined) => Promise<RegistryAccess>;

export interface RegistryClientPoolOptions {
  /** a client unused this long is closed (default 30 s) */
  idleMs?: number;
  /** a client this old is not leased again (default 5 min) */
  maxAgeMs?: number;
  /** clients kept at most; past it the longest unused idle one is closed (default 64) */
  maxClients?: number;
  now?: () => number;
}

interface Entry {
  key: string;
  opened: Promise<RegistryAccess>;
  /** once opened */
  access?: RegistryAccess;
  createdAt: number;
  lastUsed: number;
  leases: number;
  retired: boolean;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
}

/** A fingerprint of credentials (never the secret itself as a key). */
export function credentialsFingerprint(credentials: RegistryCredentials | undefined): string {
  if (credentials === undefined) return 'own';
  return createHash('sha256').update(JSON.stringify(credentials)).digest('hex');
}

export class RegistryClientPool {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(
    private readonly open: RegistryOpener,
    opts: RegistryClientPoolOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 30_000;
    this.maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
    this.maxClients = opts.maxClients ?? 64;
    this.now = opts.now ?? Date.now;
  }

  /** The clients kept (leased or idle). */
  get size(): number {
    return this.entries.size;
  }

  /** A client of `ref`'s registry for `credentials`, shared with the other decisions using the same. */
  async lease(ref: ImageReference, credentials?: RegistryCredentials): Promise<RegistryLease> {
    const key = `${ref.domain}\u0000${credentialsFingerprint(credentials)}`;
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry && now - entry.createdAt >= this.maxAgeMs) {
      this.retire(entry);
      entry = undefined;
    }
    if (!entry) {
      this.makeRoom();
      entry = { key, opened: this.open(ref, credentials), createdAt: now, lastUsed: now, leases: 0, retired: false, closed: false };
      const created = entry;
      created.opened.then(
        (access) => void (created.access = access),
        // a client that could not be opened is not kept: the next decision tries again
        () => {
          if (this.entries.get(key) === created) this.entries.delete(key);
        },
      );
      this.entries.set(key, entry);
    }
    entry.leases++;
    entry.lastUsed = now;
    clearTimeout(entry.idleTimer);
    const leased = entry;
    let access: RegistryAccess;
    try {
      access = await leased.opened;
    } catch (err) {
      leased.leases--;
      throw err;
    }
    let released = false;
    return {
      client: access.client,
      repo: ref.path,
      release: () => {
        if (released) return;
        released = true;
        this.release(leased);
      },
    };
  }

  /** Closes every client: at once when idle, else when its last lease is released. */
  close(): void {
    for (const entry of [...this.entries.values()]) this.retire(entry);
  }

  private release(entry: Entry): void {
    entry.leases--;
    entry.lastUsed = this.now();
    if (entry.leases > 0) return;
    if (entry.retired) return this.shut(entry);
    entry.idleTimer = setTimeout(() => {
      if (entry.leases === 0) this.retire(entry);
    }, this.idleMs);
    entry.idleTimer.unref();
  }

  /** Not leased again; closed now when idle, else when its last lease is released. */
  private retire(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.retired = true;
    clearTimeout(entry.idleTimer);
    if (entry.leases === 0) this.shut(entry);
  }

  private shut(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    if (entry.access) entry.access.client.close();
    else entry.opened.then((a) => a.client.close()).catch(() => {});
  }

  /** Below `maxClients`: the longest unused idle client goes. */
  private makeRoom(): void {
    if (this.entries.size < this.maxClients) return;
    const idle = [...this.entries.values()].filter((e) => e.leases === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    if (idle[0]) this.retire(idle[0]);
  }
}
