/** Interfaces the core and the use cases need from the outside world (implemented in adapters). */
import type { KeyObject } from 'node:crypto';
import type { PublicKey } from './keys/public-key.js';
import type { Signer } from './keys/signer.js';

/** Where a repository's metadata files come from: a trust server, a cache, a folder. */
export interface MetadataSource {
  /**
   * The bytes of `role`'s current metadata, or undefined when there is none.
   * `checksum` is the sha256 hex a parent pins (servers serve `<role>.<sha256>.json`);
   * implementations return at most `maxBytes + 1` bytes: one byte over the limit
   * is enough for the caller to refuse the file without reading the rest.
   */
  read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined>;
}

// ---------------------------------------------------------------------------
// Trust server ports (notary-server's storage and trust service)
// ---------------------------------------------------------------------------

/** One stored metadata file: exactly the bytes a client uploaded (or the server signed). */
export interface StoredFile {
  gun: string;
  role: string;
  version: number;
  data: Buffer;
  /** lower-case hex sha256 of `data` */
  sha256: string;
  createdAt: Date;
}

export interface FileUpdate {
  role: string;
  version: number;
  data: Buffer;
}

/** A changefeed record (notary `Change`): written for every stored timestamp and every deletion. */
export interface ChangeRecord {
  id: number;
  createdAt: Date;
  gun: string;
  version: number;
  /** hex sha256 of the timestamp stored, '' for deletions */
  sha256: string;
  category: 'update' | 'deletion';
}

/** A repository holding trust data, as `TufStore.listRepositories` lists it. */
export interface RepositoryListing {
  gun: string;
  /** when its latest file was stored */
  updatedAt: Date;
}

/**
 * Storage of TUF files per repository (notary's `tuf_files` and `changefeed`).
 * Implementations: SQLite (embedded default) and PostgreSQL (several replicas).
 */
export interface TufStore {
  /** the highest stored version of `role` */
  getCurrent(gun: string, role: string): Promise<StoredFile | undefined>;
  getByVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined>;
  getByChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined>;
  /**
   * Stores all files in one transaction, or none: fails with a DctError of code
   * `VERSION_CONFLICT` when any (gun, role) already has a version ≥ the new one.
   * A stored `timestamp` appends an `update` change record.
   */
  updateMany(gun: string, files: readonly FileUpdate[]): Promise<void>;
  /** Removes every version of every role of `gun`; records a `deletion` change when anything was removed. */
  deleteRepository(gun: string): Promise<boolean>;
  /**
   * Changefeed page: with records > 0, up to `records` entries with id > `changeId`
   * (ascending); with records < 0, the |records| entries just before `changeId`
   * (or the latest when changeId < 0), still in ascending order. `gun` filters.
   */
  changes(opts: { gun?: string; changeId: number; records: number }): Promise<ChangeRecord[]>;
  /**
   * The repositories holding any file, ascending by GUN in byte order, those after `after`
   * (exclusive) only, at most `limit` (a page of a walk over every repository).
   */
  listRepositories(opts: { after?: string; limit: number }): Promise<RepositoryListing[]>;
  /**
   * Calls `listener(gun)` after any process (this one or a replica) changed `gun`;
   * returns an unsubscribe function. Lets read caches stay correct across replicas.
   */
  watch(listener: (gun: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A server-held private key as stored: the private part encrypted at rest. */
export interface StoredPrivateKey {
  keyId: string;
  gun: string;
  role: string;
  /** 'ecdsa' | 'ed25519' | 'rsa' */
  algorithm: string;
  /** the TUF public key JSON (`{"keytype":…,"keyval":{…}}`) */
  publicKey: string;
  /** opaque encrypted private key (format owned by the key service) */
  encryptedPrivateKey: string;
  createdAt: Date;
  /** null until the key first signed (notary-signer's "pending" keys) */
  lastUsed: Date | null;
}

/** Where a key service keeps its keys (the same database as the TUF files, another table). */
export interface PrivateKeyStore {
  putKey(key: StoredPrivateKey): Promise<void>;
  getKey(keyId: string): Promise<StoredPrivateKey | undefined>;
  /** an unused key for (gun, role, algorithm), if one is pending */
  findUnusedKey(gun: string, role: string, algorithm: string): Promise<StoredPrivateKey | undefined>;
  markUsed(keyId: string, when: Date): Promise<void>;
  deleteKey(keyId: string): Promise<void>;
}

/**
 * The trust service (notary's `signed.CryptoService` / notary-signer): creates
 * and holds the server-managed timestamp and snapshot keys and signs with them.
 * Embedded in the server by default, or remote (`dct signer`, mutual TLS).
 */
export interface KeyService {
  /** Creates a key (or returns a pending unused one) for a repository's role. */
  createKey(gun: string, role: 'timestamp' | 'snapshot', algorithm?: string): Promise<PublicKey>;
  /** The public key and owner of a held key, or undefined when not held. */
  getKey(keyId: string): Promise<{ publicKey: PublicKey; gun: string; role: string } | undefined>;
  /** A signer for a held key (its first signature marks it used), or undefined. */
  signer(keyId: string): Promise<Signer | undefined>;
}

// ---------------------------------------------------------------------------
// Client ports (notary's client: remote store, local cache, key store)
// ---------------------------------------------------------------------------

/** A file to upload or cache: a role's exact metadata bytes. */
export interface RoleFile {
  role: string;
  bytes: Buffer;
}

/**
 * The local copy of one repository's metadata (`<trust dir>/tuf/<gun>/metadata/`,
 * the layout docker and notary share): the exact bytes last verified.
 */
export interface MetadataCache extends MetadataSource {
  /** replaces each file atomically (a reader sees the old or the new bytes) */
  write(files: readonly RoleFile[]): Promise<void>;
  /** removes every cached file of the repository */
  clear(): Promise<void>;
}

/**
 * One repository on a Notary server. Reads return undefined for a 404; transport
 * failures raise DctErrors with codes NETWORK_ERROR, TIMEOUT or SERVER_UNAVAILABLE
 * (what a client may fall back to its cache for); anything else is fatal.
 */
export interface RemoteRepository extends MetadataSource {
  /** how the server is named in messages (notary: the URL host with its port) */
  readonly serverName: string;
  readRootVersion(version: number, maxBytes: number): Promise<Buffer | undefined>;
  /** the server-held key of a role (created on first request) */
  getKey(role: 'timestamp' | 'snapshot'): Promise<PublicKey>;
  rotateKey(role: 'timestamp' | 'snapshot'): Promise<PublicKey>;
  /** one atomic multipart update */
  publish(files: readonly RoleFile[]): Promise<void>;
  deleteRepository(): Promise<void>;
}

/** A private key the client holds, as listed (nothing decrypted). */
export interface HeldKey {
  /** the canonical key ID (the file name docker and notary use) */
  keyId: string;
  role: string;
  gun?: string;
}

/**
 * The client's private keys (docker/notary `<trust dir>/private/`), by canonical
 * key ID. Implementations ask for passphrases as they need them.
 */
export interface KeyRing {
  list(): Promise<HeldKey[]>;
  has(keyId: string): Promise<boolean>;
  /** the decrypted private key, or undefined when not held */
  unlock(keyId: string): Promise<KeyObject | undefined>;
  /** creates and stores a new ECDSA P-256 key (notary and docker make no other kind) */
  generate(role: string, gun?: string): Promise<{ keyId: string; privateKey: KeyObject }>;
}

/** What a passphrase is asked for (notary's `passphrase.Retriever` arguments). */
export interface PassphraseRequest {
  role: string;
  keyId: string;
  gun?: string;
  /** true when choosing the passphrase of a key being created */
  isNew: boolean;
  /** 0 on the first request for a key, n after n wrong passphrases */
  attempt?: number;
}

/** Where passphrases for private key files come from (environment, a terminal). */
export interface PassphraseSource {
  get(request: PassphraseRequest): Promise<string>;
  /** whether asking again after a wrong passphrase may give another answer (a person at a prompt) */
  canRetry?(request: PassphraseRequest): boolean;
}

/**
 * Unlocking an encrypted key file as notary does: the empty passphrase first, then
 * passphrases asked of a source (again after a wrong one while it can retry).
 * `unlock` throws a WRONG_PASSPHRASE DctError for a wrong passphrase.
 */
export type KeyUnlocker = <T>(
  request: Omit<PassphraseRequest, 'attempt' | 'isNew'>,
  unlock: (passphrase: string) => T | Promise<T>,
) => Promise<T>;

/** Where new private keys are written (docker/notary `<trust dir>/private/`); returns the canonical key ID. */
export interface PrivateKeySaver {
  save(opts: { privateKey: KeyObject; role: string; gun?: string; passphrase: string }): Promise<string>;
}

// ---------------------------------------------------------------------------
// Embedded registry ports (`dct server`'s OCI distribution API)
// ---------------------------------------------------------------------------

/** A manifest as the embedded registry keeps it: exactly the bytes pushed. */
export interface StoredManifest {
  repository: string;
  /** `sha256:<hex>` of `data` */
  digest: string;
  mediaType: string;
  size: number;
  data: Buffer;
  /** the artifact type a referrers answer lists (OCI 1.1: `artifactType`, else the config's media type) */
  artifactType?: string;
  /** OCI 1.1: the digest of the manifest this one refers to */
  subject?: string;
  /** when it was (last) pushed: pushing the same bytes again refreshes it */
  createdAt: Date;
}

/** What a manifest points at, kept so deletion and garbage collection know what is in use. */
export interface ManifestReference {
  digest: string;
  /** `blob` (config, layers: must be linked to the repository) or `manifest` (an index's children) */
  kind: 'blob' | 'manifest';
}

/** A manifest with what points at it and what it points at (garbage collection's view). */
export interface ManifestInventoryEntry {
  digest: string;
  mediaType: string;
  subject?: string;
  createdAt: Date;
  tags: string[];
  references: ManifestReference[];
}

/** A blob linked to a repository (pushed or mounted there). */
export interface BlobLink {
  digest: string;
  size: number;
  /** when it was (last) pushed or mounted */
  createdAt: Date;
}

/**
 * The embedded registry's metadata (the blobs themselves live on disk): which
 * blobs each repository may serve, its manifests (bytes included), tags and
 * referrers. Implemented next to the TUF files, in SQLite and PostgreSQL.
 * Repository names are registry paths (`team/app`), not GUNs.
 */
export interface RegistryStore {
  /** Records that `repository` holds the blob (idempotent; refreshes its time). */
  linkBlob(repository: string, digest: string, size: number): Promise<void>;
  getBlobLink(repository: string, digest: string): Promise<BlobLink | undefined>;
  unlinkBlob(repository: string, digest: string): Promise<boolean>;
  /** Whether any repository links the blob (a file nobody links may be collected). */
  isBlobLinked(digest: string): Promise<boolean>;
  /**
   * Stores a manifest (the same bytes again only refresh its time) with what it
   * references, and points `tag` at it when given — all in one transaction.
   */
  putManifest(manifest: Omit<StoredManifest, 'createdAt'>, references: readonly ManifestReference[], tag?: string): Promise<void>;
  getManifest(repository: string, digest: string): Promise<StoredManifest | undefined>;
  /** the digest `tag` points at */
  resolveTag(repository: string, tag: string): Promise<string | undefined>;
  /** tags in lexical (byte) order after `last`, at most `limit` */
  listTags(repository: string, opts: { last?: string; limit: number }): Promise<string[]>;
  /** the tags pointing at a manifest */
  tagsOf(repository: string, digest: string): Promise<string[]>;
  /** the manifests of `repository` that reference `digest` (indexes listing it, manifests using it as a blob) */
  referencedBy(repository: string, digest: string): Promise<string[]>;
  /** the indexes of `repository` that list `digest` among their manifests, with their sizes (manifests using it as a blob left out) */
  indexesListing(repository: string, digest: string): Promise<Array<{ digest: string; size: number }>>;
  /** Whether the repository holds any manifest or blob. */
  repositoryExists(repository: string): Promise<boolean>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Removes a manifest, its references and every tag pointing at it. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  /** manifests of `repository` whose subject is `subject`, oldest first */
  referrers(repository: string, subject: string): Promise<StoredManifest[]>;
  /** repositories in lexical order after `last`, at most `limit` */
  listRepositories(opts: { last?: string; limit: number }): Promise<string[]>;
  /** every manifest of a repository with its tags and references (garbage collection) */
  manifestInventory(repository: string): Promise<ManifestInventoryEntry[]>;
  /** every blob linked to a repository (garbage collection) */
  blobLinks(repository: string): Promise<BlobLink[]>;
}
