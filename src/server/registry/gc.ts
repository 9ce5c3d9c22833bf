/**
 * Garbage collection of the embedded registry (`dct server gc`), mark and sweep:
 *
 * - a manifest is kept when a tag points at it, when trust data signs it, when
 *   it was pushed within the grace period, when a kept index lists it, or when
 *   its subject is kept (referrers: signatures, SBOMs…); every other manifest
 *   is removed;
 * - a blob link (repository → blob) is removed when no remaining manifest of
 *   the repository references the blob and it is older than the grace period;
 * - a blob file is removed when no repository links it any more and it is
 *   older than the grace period; upload sessions idle for longer are removed.
 *
 * "Signed" errs on the side of keeping: every sha256 listed by the current
 * version of any targets role stored for the repository's GUN — under this
 * registry's name and under any other host name the trust data was pushed
 * with (`<host>/<repository>`) — counts, whether or not it still verifies, so
 * expired or half-revoked trust data never gets a signed image deleted.
 *
 * Safe to run while the server serves: the grace period covers pushes in
 * progress (blobs first, manifests last), pushing the same content again
 * refreshes its time, and removals re-check what they remove.
 */
import type { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import type { ManifestInventoryEntry, RegistryStore, TufStore } from '../../core/ports.js';

export interface GcOptions {
  store: RegistryStore;
  blobs: FsBlobStore;
  tuf: TufStore;
  /** the registry's public name: GUNs are `<registryName>/<repository>` */
  registryName: string;
  now: Date;
  /** nothing younger than this is removed (default 1 hour) */
  graceMs?: number;
  /** report what would be removed, remove nothing */
  dryRun?: boolean;
}

export interface GcReport {
  repositories: number;
  manifestsKept: number;
  /** manifests kept only because trust data signs them */
  signedKept: Array<{ repository: string; digest: string }>;
  manifestsRemoved: Array<{ repository: string; digest: string }>;
  blobLinksRemoved: Array<{ repository: string; digest: string }>;
  blobsRemoved: Array<{ digest: string; size: number }>;
  bytesFreed: number;
  uploadsRemoved: number;
}

export const DEFAULT_GC_GRACE_MS = 3600_000;

export async function collectGarbage(opts: GcOptions): Promise<GcReport> {
  const { store, blobs, tuf, now } = opts;
  const cutoff = now.getTime() - (opts.graceMs ?? DEFAULT_GC_GRACE_MS);
  const young = (d: Date) => d.getTime() > cutoff;
  const report: GcReport = {
    repositories: 0,
    manifestsKept: 0,
    signedKept: [],
    manifestsRemoved: [],
    blobLinksRemoved: [],
    blobsRemoved: [],
    bytesFreed: 0,
    uploadsRemoved: 0,
  };
  const gunsByRepository = await otherGuns(tuf);
  /** digest → repositories still linking it after this run */
  const remainingLinks = new Map<string, number>();

  for await (const repository of allRepositories(store)) {
    report.repositories++;
    const inventory = await store.manifestInventory(repository);
    const guns = new Set([`${opts.registryName}/${repository}`, ...(gunsByRepository.get(repository) ?? [])]);
    const signed = new Set<string>();
    for (const gun of guns) for (const d of await signedDigests(tuf, gun)) signed.add(d);

    const kept = markManifests(inventory, signed, young);
    for (const m of inventory) {
      if (kept.has(m.digest)) {
        report.manifestsKept++;
        if (signed.has(m.digest) && m.tags.length === 0 && !young(m.createdAt)) report.signedKept.push({ repository, digest: m.digest });
        continue;
      }
      if (!opts.dryRun) {
        // re-checked: tagged or pushed again since the inventory was taken → keep
        const current = await store.getManifest(repository, m.digest);
        if (!current || young(current.createdAt) || (await store.tagsOf(repository, m.digest)).length > 0) continue;
        await store.deleteManifest(repository, m.digest);
      }
      report.manifestsRemoved.push({ repository, digest: m.digest });
    }

    const referenced = new Set<string>();
    for (const m of inventory) if (kept.has(m.digest)) for (const r of m.references) referenced.add(r.digest);
    for (const link of await store.blobLinks(repository)) {
      let remove = !referenced.has(link.digest) && !young(link.createdAt);
      if (remove && !opts.dryRun) {
        const fresh = await store.getBlobLink(repository, link.digest);
        remove = fresh !== undefined && !young(fresh.createdAt) && (await store.referencedBy(repository, link.digest)).length === 0;
        if (remove) await store.unlinkBlob(repository, link.digest);
      }
      if (remove) report.blobLinksRemoved.push({ repository, digest: link.digest });
      else remainingLinks.set(link.digest, (remainingLinks.get(link.digest) ?? 0) + 1);
    }
  }

  for await (const blob of blobs.list()) {
    if (young(blob.modifiedAt) || (remainingLinks.get(blob.digest) ?? 0) > 0) continue;
    if (!opts.dryRun) {
      if (await store.isBlobLinked(blob.digest)) continue;
      const fresh = await blobs.stat(blob.digest);
      if (!fresh || young(fresh.modifiedAt)) continue;
      await blobs.delete(blob.digest);
    }
    report.blobsRemoved.push({ digest: blob.digest, size: blob.size });
    report.bytesFreed += blob.size;
  }

  for await (const upload of blobs.uploads()) {
    if (young(upload.modifiedAt)) continue;
    if (!opts.dryRun) await blobs.cancel(upload.id);
    report.uploadsRemoved++;
  }
  return report;
}

/** The manifests to keep: roots (tagged, signed, young), what kept indexes list, and referrers of kept manifests. */
function markManifests(
  inventory: readonly ManifestInventoryEntry[],
  signed: ReadonlySet<string>,
  young: (d: Date) => boolean,
): Set<string> {
  const byDigest = new Map(inventory.map((m) => [m.digest, m]));
  const kept = new Set<string>();
  const queue: string[] = [];
  const keep = (digest: string) => {
    if (kept.has(digest) || !byDigest.has(digest)) return;
    kept.add(digest);
    queue.push(digest);
  };
  for (const m of inventory) if (m.tags.length > 0 || signed.has(m.digest) || young(m.createdAt)) keep(m.digest);
  for (;;) {
    while (queue.length > 0) {
      const m = byDigest.get(queue.pop() as string) as ManifestInventoryEntry;
      for (const r of m.references) if (r.kind === 'manifest') keep(r.digest);
    }
    const before = kept.size;
    for (const m of inventory) if (m.subject !== undefined && kept.has(m.subject)) keep(m.digest);
    if (kept.size === before) return kept;
  }
}

async function* allRepositories(store: RegistryStore): AsyncGenerator<string> {
  let last: string | undefined;
  for (;;) {
    const page = await store.listRepositories({ ...(last !== undefined ? { last } : {}), limit: 500 });
    yield* page;
    if (page.length < 500) return;
    last = page[page.length - 1];
  }
}

/** repository path → every GUN `<host>/<path>` the changefeed has seen for it (trust data pushed under another host name). */
async function otherGuns(tuf: TufStore): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  let changeId = 0;
  for (;;) {
    const page = await tuf.changes({ changeId, records: 1000 });
    for (const c of page) {
      const slash = c.gun.indexOf('/');
      if (slash <= 0) continue;
      const path = c.gun.slice(slash + 1);
      let set = out.get(path);
      if (!set) out.set(path, (set = new Set()));
      set.add(c.gun);
    }
    if (page.length < 1000) return out;
    changeId = (page[page.length - 1] as { id: number }).id;
  }
}

/** Every `sha256:<hex>` the current version of any targets role of `gun` lists (not verified: only ever keeps more). */
export async function signedDigests(tuf: TufStore, gun: string): Promise<Set<string>> {
  const out = new Set<string>();
  if (!(await tuf.getCurrent(gun, 'root'))) return out;
  const roles = new Set<string>(['targets']);
  const snapshot = await tuf.getCurrent(gun, 'snapshot');
  const meta = signedPart(snapshot?.data)?.['meta'];
  if (meta && typeof meta === 'object')
    for (const role of Object.keys(meta)) if (role === 'targets' || role.startsWith('targets/')) roles.add(role);
  const queue = [...roles];
  while (queue.length > 0) {
    const role = queue.shift() as string;
    const signed = signedPart((await tuf.getCurrent(gun, role))?.data);
    if (!signed) continue;
    const targets = signed['targets'];
    if (targets && typeof targets === 'object') {
      for (const entry of Object.values(targets as Record<string, unknown>)) {
        const sha = (entry as { hashes?: { sha256?: unknown } } | null)?.hashes?.sha256;
        if (typeof sha === 'string') {
          const hex = Buffer.from(sha, 'base64').toString('hex');
          if (hex.length === 64) out.add(`sha256:${hex}`);
        }
      }
    }
    const delegated = (signed['delegations'] as { roles?: unknown } | undefined)?.roles;
    if (Array.isArray(delegated)) {
      for (const r of delegated) {
        const name = (r as { name?: unknown } | null)?.name;
        if (typeof name === 'string' && !roles.has(name)) {
          roles.add(name);
          queue.push(name);
        }
      }
    }
  }
  return out;
}

function signedPart(data: Buffer | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  try {
    const doc = JSON.parse(data.toString('utf8')) as { signed?: unknown };
    return typeof doc.signed === 'object' && doc.signed !== null ? (doc.signed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
