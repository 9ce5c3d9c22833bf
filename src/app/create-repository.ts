/**
 * Use cases: initialise a notary repository (notary `client.initialize` +
 * the first publish's signing) and sign a later targets change.
 *
 * Pure apart from randomness: no fs, network or clock — `now` and the
 * server's timestamp (and, if server-managed, snapshot) public key are given.
 * The returned files are the exact bytes to upload in one atomic publish.
 */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type { JsonValue } from '../core/canonical-json.js';
import { CoreError } from '../core/errors.js';
import { createRootCertificate, ROOT_CERTIFICATE_VALIDITY_MS } from '../core/keys/certificate.js';
import { PublicKey } from '../core/keys/public-key.js';
import { KeySigner, type Signer } from '../core/keys/signer.js';
import { defaultExpires } from '../core/tuf/common.js';
import { fileMetaOf, type FileMeta } from '../core/tuf/file-meta.js';
import { Metadata } from '../core/tuf/metadata.js';
import { Root } from '../core/tuf/root.js';
import { Snapshot } from '../core/tuf/snapshot.js';
import { Targets } from '../core/tuf/targets.js';

/** What a target entry records: its size, digests (raw bytes by algorithm) and optional custom JSON. */
export interface TargetInput {
  length: number;
  hashes: Record<string, Buffer>;
  custom?: JsonValue;
}

/** A private key signed with in process, or any `Signer` (remote signer, KMS…). */
export type SigningKey = KeyObject | Signer;

export interface CreateRepositoryInput {
  gun: string;
  now: Date;
  /** the root private key (ECDSA P-256 or RSA): it self-signs the root certificate */
  rootKey: KeyObject;
  targetsKey: SigningKey;
  /** the client-held snapshot key; absent → the snapshot is server-managed */
  snapshotKey?: SigningKey;
  /** the server's snapshot public key (`GET snapshot.key`); required when `snapshotKey` is absent */
  serverSnapshotKey?: PublicKey;
  /** the server's timestamp public key (`GET timestamp.key`) */
  timestampKey: PublicKey;
  /** initial targets of the top-level `targets` role, by name */
  targets?: Readonly<Record<string, TargetInput>>;
  /** 16 bytes for the certificate serial; random when absent (tests may pin it) */
  certificateSerial?: Buffer;
  /**
   * A root certificate to use instead of a new self-signed one (notary `init --rootcert`):
   * PEM of one certificate, for `rootKey`'s public key (KEY_MISMATCH otherwise).
   */
  rootCertificatePem?: string;
}

/** A publishable upload: role name → exact file bytes, in upload order. */
export interface PublishFile {
  role: string;
  bytes: Buffer;
}

export interface RepositoryKeys {
  /** the root role key: the `ecdsa-x509`/`rsa-x509` certificate key (TUF ID used in metadata) */
  root: PublicKey;
  rootCertificatePem: string;
  targets: PublicKey;
  snapshot: PublicKey;
  timestamp: PublicKey;
  /** true when the server holds the snapshot key */
  serverManagedSnapshot: boolean;
}

export interface RepositoryState {
  gun: string;
  root: Metadata<Root>;
  targets: Metadata<Targets>;
  /** absent when the snapshot is server-managed */
  snapshot?: Metadata<Snapshot>;
}

export interface CreatedRepository extends RepositoryState {
  keys: RepositoryKeys;
  /** serialized file bytes by role (`snapshot` only when client-managed) */
  bytes: { root: Buffer; targets: Buffer; snapshot?: Buffer };
  /** root, targets and (if client-managed) snapshot, ready for `publish` */
  files: PublishFile[];
}

function isSigner(key: SigningKey): key is Signer {
  return typeof (key as Signer).sign === 'function' && (key as Signer).publicKey instanceof PublicKey;
}

/** A signer for a plain (non-certificate) key: the public key is derived from the private one. */
export function signerFor(key: SigningKey): Signer {
  if (isSigner(key)) return key;
  return new KeySigner(key, PublicKey.fromKeyObject(createPublicKey(key)));
}

function copyTarget(input: TargetInput, name: string): FileMeta {
  if (!Number.isSafeInteger(input.length) || input.length < 0) {
    throw new CoreError('INVALID_METADATA', `target ${JSON.stringify(name)}: length must be a non-negative integer`);
  }
  const hashes: Record<string, Buffer> = {};
  for (const [alg, digest] of Object.entries(input.hashes)) hashes[alg] = Buffer.from(digest);
  if (!hashes['sha256'] && !hashes['sha512']) {
    throw new CoreError('INVALID_METADATA', `target ${JSON.stringify(name)}: needs a sha256 or sha512 hash`);
  }
  const meta: FileMeta = { length: input.length, hashes };
  if (input.custom !== undefined) meta.custom = input.custom;
  return meta;
}

/** File meta for a target from its content: sha256 + sha512 + length (as `notary add` records). */
export function targetFromContent(content: Uint8Array, custom?: JsonValue): TargetInput {
  const meta = fileMetaOf(content);
  return custom === undefined ? { length: meta.length, hashes: meta.hashes } : { length: meta.length, hashes: meta.hashes, custom };
}

/** Builds and signs root v1, targets v1 and (client-managed) snapshot v1 of a new repository. */
export async function createRepository(input: CreateRepositoryInput): Promise<CreatedRepository> {
  const { gun, now } = input;
  if (gun.length === 0) throw new CoreError('INVALID_METADATA', 'a GUN is required');
  if (!input.snapshotKey && !input.serverSnapshotKey) {
    throw new CoreError(
      'SIGNING_KEYS_UNAVAILABLE',
      'a snapshot key is required: give snapshotKey, or serverSnapshotKey for a server-managed snapshot',
    );
  }

  const rootCertificatePem =
    input.rootCertificatePem ??
    createRootCertificate({
      privateKey: input.rootKey,
      gun,
      notBefore: now,
      notAfter: new Date(now.getTime() + ROOT_CERTIFICATE_VALIDITY_MS),
      serial: input.certificateSerial ?? randomBytes(16),
    });
  const rootPublic = PublicKey.fromCertificatePem(rootCertificatePem);
  if (input.rootCertificatePem !== undefined && rootPublic.canonicalId !== PublicKey.fromKeyObject(createPublicKey(input.rootKey)).id) {
    throw new CoreError('KEY_MISMATCH', 'the root certificate is not for the root key');
  }
  const rootSigner = new KeySigner(input.rootKey, rootPublic);
  const targetsSigner = signerFor(input.targetsKey);
  const snapshotSigner = input.snapshotKey ? signerFor(input.snapshotKey) : undefined;
  const snapshotPublic = snapshotSigner ? snapshotSigner.publicKey : (input.serverSnapshotKey as PublicKey);

  const keys: RepositoryKeys = {
    root: rootPublic,
    rootCertificatePem,
    targets: targetsSigner.publicKey,
    snapshot: snapshotPublic,
    timestamp: input.timestampKey,
    serverManagedSnapshot: !snapshotSigner,
  };

  const roleKeys: Record<string, PublicKey> = {};
  for (const key of [keys.root, keys.targets, keys.snapshot, keys.timestamp]) roleKeys[key.id] = key;
  const root = new Root(1, defaultExpires('root', now), roleKeys, {
    root: { keyids: [keys.root.id], threshold: 1 },
    snapshot: { keyids: [keys.snapshot.id], threshold: 1 },
    targets: { keyids: [keys.targets.id], threshold: 1 },
    timestamp: { keyids: [keys.timestamp.id], threshold: 1 },
  });
  root.assertValidStructure();

  const targetMap: Record<string, FileMeta> = {};
  for (const [name, t] of Object.entries(input.targets ?? {})) targetMap[name] = copyTarget(t, name);
  const targets = new Targets('targets', 1, defaultExpires('targets', now), targetMap);

  const rootMd = await new Metadata(root, []).sign([rootSigner]);
  const targetsMd = await new Metadata(targets, []).sign([targetsSigner]);
  const rootBytes = rootMd.serialize();
  const targetsBytes = targetsMd.serialize();

  const created: CreatedRepository = {
    gun,
    root: rootMd,
    targets: targetsMd,
    keys,
    bytes: { root: rootBytes, targets: targetsBytes },
    files: [
      { role: 'root', bytes: rootBytes },
      { role: 'targets', bytes: targetsBytes },
    ],
  };
  if (snapshotSigner) {
    const snapshot = new Snapshot(1, defaultExpires('snapshot', now), {
      root: fileMetaOf(rootBytes),
      targets: fileMetaOf(targetsBytes),
    });
    const snapshotMd = await new Metadata(snapshot, []).sign([snapshotSigner]);
    const snapshotBytes = snapshotMd.serialize();
    created.snapshot = snapshotMd;
    created.bytes.snapshot = snapshotBytes;
    created.files.push({ role: 'snapshot', bytes: snapshotBytes });
  }
  return created;
}

export interface UpdateTargetsInput {
  now: Date;
  targetsKey: SigningKey;
  /** client-held snapshot key: the snapshot is re-signed too; absent → left to the server */
  snapshotKey?: SigningKey;
  /** targets to add or replace */
  add?: Readonly<Record<string, TargetInput>>;
  /** target names to remove */
  remove?: readonly string[];
}

export interface UpdatedTargets {
  targets: Metadata<Targets>;
  snapshot?: Metadata<Snapshot>;
  /** targets (+ snapshot) bytes, ready for `publish` */
  files: PublishFile[];
}

/**
 * Adds/removes targets of the top-level `targets` role and re-signs it with
 * version+1 and a fresh expiry (notary: now + 3 years); with a snapshot key,
 * also re-signs the snapshot (version+1), carrying over its other entries and
 * refreshing `targets` (and `root`, from `state.root`'s bytes).
 */
export async function updateTargets(state: RepositoryState, input: UpdateTargetsInput): Promise<UpdatedTargets> {
  const { now } = input;
  const current = state.targets.signed;
  const targetMap: Record<string, FileMeta> = current.targets.toRecord();
  for (const name of input.remove ?? []) delete targetMap[name];
  for (const [name, t] of Object.entries(input.add ?? {})) targetMap[name] = copyTarget(t, name);
  const targets = new Targets(current.roleName, current.version + 1, defaultExpires('targets', now), targetMap, current.delegations);
  const targetsSigner = signerFor(input.targetsKey);
  assertRoleKey(state.root.signed, 'targets', targetsSigner.publicKey);
  const targetsMd = await new Metadata(targets, []).sign([targetsSigner]);
  const targetsBytes = targetsMd.serialize();
  const result: UpdatedTargets = { targets: targetsMd, files: [{ role: 'targets', bytes: targetsBytes }] };

  if (input.snapshotKey) {
    const snapshotSigner = signerFor(input.snapshotKey);
    assertRoleKey(state.root.signed, 'snapshot', snapshotSigner.publicKey);
    const previous = state.snapshot?.signed;
    const meta: Record<string, FileMeta> = { ...(previous?.meta ?? {}) };
    meta['root'] = fileMetaOf(state.root.raw ?? state.root.serialize());
    meta['targets'] = fileMetaOf(targetsBytes);
    const snapshot = new Snapshot((previous?.version ?? 0) + 1, defaultExpires('snapshot', now), meta);
    const snapshotMd = await new Metadata(snapshot, []).sign([snapshotSigner]);
    result.snapshot = snapshotMd;
    result.files.push({ role: 'snapshot', bytes: snapshotMd.serialize() });
  }
  return result;
}

function assertRoleKey(root: Root, role: string, key: PublicKey): void {
  if (!root.roles[role]?.keyids.includes(key.id)) {
    throw new CoreError('SIGNING_KEYS_UNAVAILABLE', `key ${key.id} is not a ${role} key of this repository`);
  }
}
