/**
 * The embedded registry's metadata in PostgreSQL (migration 3): blob links,
 * manifests (their bytes included), tags and references. Shares the pool of
 * PostgresStore. Names, digests and tags are "C"-collated columns, so tag and
 * repository pages come in byte order as with SQLite.
 */
import type pg from 'pg';
import { inTransaction } from './postgres-client.js';
import type { BlobLink, ManifestInventoryEntry, ManifestReference, RegistryStore, StoredManifest } from '../../core/ports.js';

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: string;
  data: Buffer;
  artifact_type: string | null;
  subject: string | null;
  created_at: Date;
}
interface BlobRow {
  digest: string;
  size: string;
  created_at: Date;
}

const MANIFEST_COLUMNS = 'repository, digest, media_type, size, data, artifact_type, subject, created_at';

export class PostgresRegistryStore implements RegistryStore {
  constructor(private readonly pool: pg.Pool) {}

  async linkBlob(repository: string, digest: string, size: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO registry_blobs (repository, digest, size, created_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (repository, digest) DO UPDATE SET created_at = excluded.created_at`,
      [repository, digest, size],
    );
  }

  async getBlobLink(repository: string, digest: string): Promise<BlobLink | undefined> {
    const { rows } = await this.pool.query<BlobRow>(
      'SELECT digest, size, created_at FROM registry_blobs WHERE repository = $1 AND digest = $2',
      [repository, digest],
    );
    return rows[0] && toBlobLink(rows[0]);
  }

  async unlinkBlob(repository: string, digest: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM registry_blobs WHERE repository = $1 AND digest = $2', [repository, digest]);
    return (rowCount ?? 0) > 0;
  }

  async isBlobLinked(digest: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM registry_blobs WHERE digest = $1 LIMIT 1', [digest]);
    return rows.length > 0;
  }

  async putManifest(m: Omit<StoredManifest, 'createdAt'>, references: readonly ManifestReference[], tag?: string): Promise<void> {
    await this.inTransaction(async (client) => {
      await client.query(
        `INSERT INTO registry_manifests (repository, digest, media_type, size, data, artifact_type, subject, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (repository, digest) DO UPDATE SET created_at = excluded.created_at`,
        [m.repository, m.digest, m.mediaType, m.size, m.data, m.artifactType ?? null, m.subject ?? null],
      );
      if (references.length > 0) {
        await client.query(
          `INSERT INTO registry_references (repository, manifest, digest, kind)
           SELECT $1, $2, d, k FROM unnest($3::text[], $4::text[]) AS r(d, k) ON CONFLICT DO NOTHING`,
          [m.repository, m.digest, references.map((r) => r.digest), references.map((r) => r.kind)],
        );
      }
      if (tag !== undefined) {
        await client.query(
          `INSERT INTO registry_tags (repository, tag, digest, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
          [m.repository, tag, m.digest],
        );
      }
    });
  }

  async getManifest(repository: string, digest: string): Promise<StoredManifest | undefined> {
    const { rows } = await this.pool.query<ManifestRow>(
      `SELECT ${MANIFEST_COLUMNS} FROM registry_manifests WHERE repository = $1 AND digest = $2`,
      [repository, digest],
    );
    return rows[0] && toManifest(rows[0]);
  }

  async resolveTag(repository: string, tag: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ digest: string }>('SELECT digest FROM registry_tags WHERE repository = $1 AND tag = $2', [
      repository,
      tag,
    ]);
    return rows[0]?.digest;
  }

  async listTags(repository: string, opts: { last?: string; limit: number }): Promise<string[]> {
    const { rows } = await this.pool.query<{ tag: string }>(
      'SELECT tag FROM registry_tags WHERE repository = $1 AND tag > $2 ORDER BY tag LIMIT $3',
      [repository, opts.last ?? '', opts.limit],
    );
    return rows.map((r) => r.tag);
  }

  async tagsOf(repository: string, digest: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ tag: string }>(
      'SELECT tag FROM registry_tags WHERE repository = $1 AND digest = $2 ORDER BY tag',
      [repository, digest],
    );
    return rows.map((r) => r.tag);
  }

  async referencedBy(repository: string, digest: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ manifest: string }>(
      'SELECT manifest FROM registry_references WHERE repository = $1 AND digest = $2 ORDER BY manifest',
      [repository, digest],
    );
    return rows.map((r) => r.manifest);
  }

  async indexesListing(repository: string, digest: string): Promise<Array<{ digest: string; size: number }>> {
    const { rows } = await this.pool.query<{ digest: string; size: string }>(
      `SELECT m.digest, m.size FROM registry_references r JOIN registry_manifests m ON m.repository = r.repository AND m.digest = r.manifest
       WHERE r.repository = $1 AND r.digest = $2 AND r.kind = 'manifest' ORDER BY m.digest`,
      [repository, digest],
    );
    return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }));
  }

  async repositoryExists(repository: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM registry_manifests WHERE repository = $1
       UNION ALL SELECT 1 FROM registry_blobs WHERE repository = $1 LIMIT 1`,
      [repository],
    );
    return rows.length > 0;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM registry_tags WHERE repository = $1 AND tag = $2', [repository, tag]);
    return (rowCount ?? 0) > 0;
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const { rowCount } = await client.query('DELETE FROM registry_manifests WHERE repository = $1 AND digest = $2', [repository, digest]);
      await client.query('DELETE FROM registry_references WHERE repository = $1 AND manifest = $2', [repository, digest]);
      await client.query('DELETE FROM registry_tags WHERE repository = $1 AND digest = $2', [repository, digest]);
      return (rowCount ?? 0) > 0;
    });
  }

  async referrers(repository: string, subject: string): Promise<StoredManifest[]> {
    const { rows } = await this.pool.query<ManifestRow>(
      `SELECT ${MANIFEST_COLUMNS} FROM registry_manifests WHERE repository = $1 AND subject = $2 ORDER BY created_at, digest`,
      [repository, subject],
    );
    return rows.map(toManifest);
  }

  async listRepositories(opts: { last?: string; limit: number }): Promise<string[]> {
    const { rows } = await this.pool.query<{ repository: string }>(
      `SELECT repository FROM (SELECT repository FROM registry_manifests UNION SELECT repository FROM registry_blobs) AS r
       WHERE repository > $1 ORDER BY repository LIMIT $2`,
      [opts.last ?? '', opts.limit],
    );
    return rows.map((r) => r.repository);
  }

  async manifestInventory(repository: string): Promise<ManifestInventoryEntry[]> {
    // one REPEATABLE READ transaction: a consistent view of the three tables
    return this.inTransaction(async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const manifests = await client.query<{ digest: string; media_type: string; subject: string | null; created_at: Date }>(
        'SELECT digest, media_type, subject, created_at FROM registry_manifests WHERE repository = $1 ORDER BY digest',
        [repository],
      );
      const tags = await client.query<{ tag: string; digest: string }>('SELECT tag, digest FROM registry_tags WHERE repository = $1', [
        repository,
      ]);
      const refs = await client.query<{ manifest: string; digest: string; kind: string }>(
        'SELECT manifest, digest, kind FROM registry_references WHERE repository = $1',
        [repository],
      );
      const entries = new Map<string, ManifestInventoryEntry>();
      for (const row of manifests.rows) {
        entries.set(row.digest, {
          digest: row.digest,
          mediaType: row.media_type,
          ...(row.subject !== null ? { subject: row.subject } : {}),
          createdAt: row.created_at,
          tags: [],
          references: [],
        });
      }
      for (const t of tags.rows) entries.get(t.digest)?.tags.push(t.tag);
      for (const r of refs.rows)
        entries.get(r.manifest)?.references.push({ digest: r.digest, kind: r.kind === 'manifest' ? 'manifest' : 'blob' });
      return [...entries.values()];
    });
  }

  async blobLinks(repository: string): Promise<BlobLink[]> {
    const { rows } = await this.pool.query<BlobRow>(
      'SELECT digest, size, created_at FROM registry_blobs WHERE repository = $1 ORDER BY digest',
      [repository],
    );
    return rows.map(toBlobLink);
  }

  private inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}

function toBlobLink(row: BlobRow): BlobLink {
  return { digest: row.digest, size: Number(row.size), createdAt: row.created_at };
}

function toManifest(row: ManifestRow): StoredManifest {
  return {
    repository: row.repository,
    digest: row.digest,
    mediaType: row.media_type,
    size: Number(row.size),
    data: row.data,
    ...(row.artifact_type !== null ? { artifactType: row.artifact_type } : {}),
    ...(row.subject !== null ? { subject: row.subject } : {}),
    createdAt: row.created_at,
  };
}
