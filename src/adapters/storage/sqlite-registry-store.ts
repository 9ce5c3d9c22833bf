/**
 * The embedded registry's metadata in the server's SQLite file (migration 3):
 * blob links, manifests (their bytes included), tags and references. Shares the
 * connection of SqliteStore (either driver); writes are IMMEDIATE transactions as there.
 */
import type { BlobLink, ManifestInventoryEntry, ManifestReference, RegistryStore, StoredManifest } from '../../core/ports.js';
import type { SqliteDatabase } from './sqlite-driver.js';

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: number;
  data: Buffer;
  artifact_type: string | null;
  subject: string | null;
  created_at: string;
}
interface BlobRow {
  digest: string;
  size: number;
  created_at: string;
}
interface InventoryRow {
  digest: string;
  media_type: string;
  subject: string | null;
  created_at: string;
}

const MANIFEST_COLUMNS = 'repository, digest, media_type, size, data, artifact_type, subject, created_at';

function prepare(db: SqliteDatabase) {
  return {
    linkBlob: db.prepare<[string, string, number, string]>(
      `INSERT INTO registry_blobs (repository, digest, size, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (repository, digest) DO UPDATE SET created_at = excluded.created_at`,
    ),
    blobLink: db.prepare<[string, string], BlobRow>(
      'SELECT digest, size, created_at FROM registry_blobs WHERE repository = ? AND digest = ?',
    ),
    unlinkBlob: db.prepare<[string, string]>('DELETE FROM registry_blobs WHERE repository = ? AND digest = ?'),
    blobLinked: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM registry_blobs WHERE digest = ? LIMIT 1'),
    insertManifest: db.prepare<[string, string, string, number, Buffer, string | null, string | null, string]>(
      `INSERT INTO registry_manifests (${MANIFEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (repository, digest) DO UPDATE SET created_at = excluded.created_at`,
    ),
    insertReference: db.prepare<[string, string, string, string]>(
      'INSERT INTO registry_references (repository, manifest, digest, kind) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    upsertTag: db.prepare<[string, string, string, string]>(
      `INSERT INTO registry_tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
    ),
    manifest: db.prepare<[string, string], ManifestRow>(
      `SELECT ${MANIFEST_COLUMNS} FROM registry_manifests WHERE repository = ? AND digest = ?`,
    ),
    tag: db.prepare<[string, string], { digest: string }>('SELECT digest FROM registry_tags WHERE repository = ? AND tag = ?'),
    tagsAfter: db.prepare<[string, string, number], { tag: string }>(
      'SELECT tag FROM registry_tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?',
    ),
    tagsOf: db.prepare<[string, string], { tag: string }>('SELECT tag FROM registry_tags WHERE repository = ? AND digest = ? ORDER BY tag'),
    referencedBy: db.prepare<[string, string], { manifest: string }>(
      'SELECT manifest FROM registry_references WHERE repository = ? AND digest = ? ORDER BY manifest',
    ),
    indexesListing: db.prepare<[string, string], { digest: string; size: number }>(
      `SELECT m.digest, m.size FROM registry_references r JOIN registry_manifests m ON m.repository = r.repository AND m.digest = r.manifest
       WHERE r.repository = ? AND r.digest = ? AND r.kind = 'manifest' ORDER BY m.digest`,
    ),
    anyManifest: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM registry_manifests WHERE repository = ? LIMIT 1'),
    anyBlob: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM registry_blobs WHERE repository = ? LIMIT 1'),
    deleteTag: db.prepare<[string, string]>('DELETE FROM registry_tags WHERE repository = ? AND tag = ?'),
    deleteManifest: db.prepare<[string, string]>('DELETE FROM registry_manifests WHERE repository = ? AND digest = ?'),
    deleteReferences: db.prepare<[string, string]>('DELETE FROM registry_references WHERE repository = ? AND manifest = ?'),
    deleteTagsOf: db.prepare<[string, string]>('DELETE FROM registry_tags WHERE repository = ? AND digest = ?'),
    referrers: db.prepare<[string, string], ManifestRow>(
      `SELECT ${MANIFEST_COLUMNS} FROM registry_manifests WHERE repository = ? AND subject = ? ORDER BY created_at, digest`,
    ),
    repositories: db.prepare<[string, number], { repository: string }>(
      `SELECT repository FROM (SELECT repository FROM registry_manifests UNION SELECT repository FROM registry_blobs)
       WHERE repository > ? ORDER BY repository LIMIT ?`,
    ),
    inventory: db.prepare<[string], InventoryRow>(
      'SELECT digest, media_type, subject, created_at FROM registry_manifests WHERE repository = ? ORDER BY digest',
    ),
    allTags: db.prepare<[string], { tag: string; digest: string }>('SELECT tag, digest FROM registry_tags WHERE repository = ?'),
    allReferences: db.prepare<[string], { manifest: string; digest: string; kind: string }>(
      'SELECT manifest, digest, kind FROM registry_references WHERE repository = ?',
    ),
    blobLinks: db.prepare<[string], BlobRow>('SELECT digest, size, created_at FROM registry_blobs WHERE repository = ? ORDER BY digest'),
  };
}

export class SqliteRegistryStore implements RegistryStore {
  private readonly s: ReturnType<typeof prepare>;

  constructor(private readonly db: SqliteDatabase) {
    this.s = prepare(db);
  }

  async linkBlob(repository: string, digest: string, size: number): Promise<void> {
    this.s.linkBlob.run(repository, digest, size, new Date().toISOString());
  }

  async getBlobLink(repository: string, digest: string): Promise<BlobLink | undefined> {
    const row = this.s.blobLink.get(repository, digest);
    return row && toBlobLink(row);
  }

  async unlinkBlob(repository: string, digest: string): Promise<boolean> {
    return this.s.unlinkBlob.run(repository, digest).changes > 0;
  }

  async isBlobLinked(digest: string): Promise<boolean> {
    return this.s.blobLinked.get(digest) !== undefined;
  }

  async putManifest(m: Omit<StoredManifest, 'createdAt'>, references: readonly ManifestReference[], tag?: string): Promise<void> {
    const s = this.s;
    this.db.immediate(() => {
      const now = new Date().toISOString();
      s.insertManifest.run(m.repository, m.digest, m.mediaType, m.size, m.data, m.artifactType ?? null, m.subject ?? null, now);
      for (const r of references) s.insertReference.run(m.repository, m.digest, r.digest, r.kind);
      if (tag !== undefined) s.upsertTag.run(m.repository, tag, m.digest, now);
    });
  }

  async getManifest(repository: string, digest: string): Promise<StoredManifest | undefined> {
    const row = this.s.manifest.get(repository, digest);
    return row && toManifest(row);
  }

  async resolveTag(repository: string, tag: string): Promise<string | undefined> {
    return this.s.tag.get(repository, tag)?.digest;
  }

  async listTags(repository: string, opts: { last?: string; limit: number }): Promise<string[]> {
    return this.s.tagsAfter.all(repository, opts.last ?? '', opts.limit).map((r) => r.tag);
  }

  async tagsOf(repository: string, digest: string): Promise<string[]> {
    return this.s.tagsOf.all(repository, digest).map((r) => r.tag);
  }

  async referencedBy(repository: string, digest: string): Promise<string[]> {
    return this.s.referencedBy.all(repository, digest).map((r) => r.manifest);
  }

  async indexesListing(repository: string, digest: string): Promise<Array<{ digest: string; size: number }>> {
    return this.s.indexesListing.all(repository, digest);
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return this.s.anyManifest.get(repository) !== undefined || this.s.anyBlob.get(repository) !== undefined;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.s.deleteTag.run(repository, tag).changes > 0;
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const s = this.s;
    return this.db.immediate(() => {
      const removed = s.deleteManifest.run(repository, digest).changes > 0;
      s.deleteReferences.run(repository, digest);
      s.deleteTagsOf.run(repository, digest);
      return removed;
    });
  }

  async referrers(repository: string, subject: string): Promise<StoredManifest[]> {
    return this.s.referrers.all(repository, subject).map(toManifest);
  }

  async listRepositories(opts: { last?: string; limit: number }): Promise<string[]> {
    return this.s.repositories.all(opts.last ?? '', opts.limit).map((r) => r.repository);
  }

  async manifestInventory(repository: string): Promise<ManifestInventoryEntry[]> {
    // one read transaction: a consistent view of the three tables
    return this.db.deferred(() => {
      const entries = new Map<string, ManifestInventoryEntry>();
      for (const row of this.s.inventory.all(repository)) {
        entries.set(row.digest, {
          digest: row.digest,
          mediaType: row.media_type,
          ...(row.subject !== null ? { subject: row.subject } : {}),
          createdAt: new Date(row.created_at),
          tags: [],
          references: [],
        });
      }
      for (const t of this.s.allTags.all(repository)) entries.get(t.digest)?.tags.push(t.tag);
      for (const r of this.s.allReferences.all(repository)) {
        entries.get(r.manifest)?.references.push({ digest: r.digest, kind: r.kind === 'manifest' ? 'manifest' : 'blob' });
      }
      return [...entries.values()];
    });
  }

  async blobLinks(repository: string): Promise<BlobLink[]> {
    return this.s.blobLinks.all(repository).map(toBlobLink);
  }
}

function toBlobLink(row: BlobRow): BlobLink {
  return { digest: row.digest, size: row.size, createdAt: new Date(row.created_at) };
}

function toManifest(row: ManifestRow): StoredManifest {
  return {
    repository: row.repository,
    digest: row.digest,
    mediaType: row.media_type,
    size: row.size,
    data: row.data,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject } : {}),
    createdAt: new Date(row.created_at),
  };
}
