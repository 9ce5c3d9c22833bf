/**
 * notary-server's atomic update (spec §5.4; `N:server/handlers/validation.go`
 * validateUpdate, `N:server/handlers/default.go` atomicUpdateHandler): checks
 * every uploaded file as an untrusting server must, then returns the files to
 * store together — uploaded root, uploaded targets roles (shallowest first),
 * the uploaded or a server-generated snapshot, and a server-generated timestamp.
 *
 * Order of checks, and so which error wins, follows notary: per-part role name
 * (INVALID_ROLE) and envelope (MALFORMED_JSON); root; targets roles; snapshot;
 * timestamp; finally versions against storage (VERSION_CONFLICT, which the HTTP
 * layer answers as notary's `VERSION`, the answer notary's storage gives).
 */
import { createHash } from 'node:crypto';
import { GO_MAX_JSON_DEPTH, jsonNestingExceeds } from '../../core/canonical-json.js';
import { CoreError, DctError } from '../../core/errors.js';
import { GoTime } from '../../core/go-time.js';
import type { FileUpdate, KeyService, StoredFile, TufStore } from '../../core/ports.js';
import { validRootKeys } from '../../core/trust/root-validation.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
import { getOwn } from '../../core/tuf/json-reader.js';
import { parseMetadata, readJsonDocument, type JsonDocument, type Metadata } from '../../core/tuf/metadata.js';
import type { Root } from '../../core/tuf/root.js';
import { isTargetsRole, isValidRoleName } from '../../core/tuf/roles.js';
import type { Snapshot } from '../../core/tuf/snapshot.js';
import type { Timestamp } from '../../core/tuf/timestamp.js';
import { verifyThreshold } from '../../core/tuf/verify.js';
import { importedRootHistory, versionFloor } from './imported-history.js';
import { heldSigners, parseStored, signSnapshot, signTimestamp } from './server-signing.js';
import {
  badHierarchy,
  badRoot,
  badSnapshot,
  expiredText,
  invalidRole,
  invalidUpdate,
  malformedJson,
  notaryText,
  UpdateValidationError,
  validationError,
} from './update-errors.js';
import { TargetsChain } from './validate-targets.js';

export interface UpdateContext {
  gun: string;
  now: Date;
  store: TufStore;
  keys: KeyService;
}

export interface UploadedFile {
  /** the role name (multipart `filename`, `.json` already stripped) */
  role: string;
  data: Buffer;
}

/** Validates an atomic update and returns the files to store in one transaction. */
export async function validateUpdate(ctx: UpdateContext, uploads: ReadonlyArray<UploadedFile>): Promise<FileUpdate[]> {
  const { parts, rootHistory, carriedTimestamp } = readUploads(uploads);
  const stored = new StoredCurrent(ctx.store, ctx.gun);
  const result: FileUpdate[] = [];

  // Root: the uploaded one (rotation rules against the stored one), or the stored one.
  const storedRootFile = await stored.get('root');
  const storedRoot = storedRootFile ? { md: fromStorage(storedRootFile, 'root'), bytes: storedRootFile.data } : undefined;
  const rootUpload = parts.get('root');
  let root: { md: Metadata<Root>; bytes: Buffer };
  // a first publish may carry the repository's history (imported-history.ts)
  const imported = storedRoot || !rootUpload ? undefined : importedRootHistory(ctx.gun, ctx.now, rootHistory, rootUpload);
  const floor = imported && imported.files.length > 0 ? versionFloor(carriedTimestamp) : 0;
  if (rootUpload) {
    root = validateRoot(ctx, storedRoot?.md.signed ?? imported?.previous, rootUpload);
    result.push(...(imported?.files ?? []));
    result.push({ role: 'root', version: rootUpload.version, data: rootUpload.data });
  } else if (storedRoot) {
    root = storedRoot;
  } else {
    throw validationError('no pre-existing root and no root provided in update.');
  }

  // Targets and delegations, with ancestors from storage where needed.
  const chain = new TargetsChain(root.md.signed, ctx.now, (role) => stored.get(role));
  const targetsUploads = new Map([...parts].filter(([role]) => isTargetsRole(role)));
  for (const role of await chain.validateUploads(targetsUploads)) {
    const part = parts.get(role)!;
    result.push({ role, version: part.version, data: part.data });
  }
  /** every root/targets file this update loaded, as notary's builder holds them */
  const loaded = new Map<string, Buffer>([['root', root.bytes]]);
  for (const [role, t] of chain.loaded) loaded.set(role, t.bytes);

  // Snapshot: the uploaded one must pin what it covers; else the server makes one.
  let snapshotBytes: Buffer;
  const snapshotUpload = parts.get('snapshot');
  if (snapshotUpload) {
    await validateSnapshot(ctx, root.md.signed, loaded, snapshotUpload);
    snapshotBytes = snapshotUpload.data;
    result.push({ role: 'snapshot', version: snapshotUpload.version, data: snapshotBytes });
  } else {
    const prevFile = await stored.get('snapshot');
    const prev = prevFile ? fromStorage(prevFile, 'snapshot').signed : undefined;
    // notary GenerateSnapshot: a first snapshot needs targets (InitSnapshot)
    if (!prev && !chain.loaded.has('targets')) throw validationError('targets must be loaded first');
    const signers = await withKeyService(() => heldSigners(ctx.keys, ctx.gun, root.md.signed, 'snapshot'));
    if (!signers) {
      throw badHierarchy('snapshot', 'no snapshot was included in update and server does not hold current snapshot key for repository');
    }
    const version = !prev && floor > 0 ? floor + 1 : undefined;
    const generated = await withKeyService(() =>
      signSnapshot({ now: ctx.now, prev, refreshed: loaded, signers, ...(version !== undefined ? { version } : {}) }),
    );
    snapshotBytes = generated.data;
    result.push({ role: 'snapshot', ...generated });
  }

  // Timestamp: always the server's (an uploaded one was dropped by readUploads).
  const prevTsFile = await stored.get('timestamp');
  const prevTs = prevTsFile ? fromStorage(prevTsFile, 'timestamp').signed : undefined;
  const tsSigners = await withKeyService(() => heldSigners(ctx.keys, ctx.gun, root.md.signed, 'timestamp'));
  if (!tsSigners) throw badRoot('no  timestamp keys exist on the server'); // sic: two spaces, as notary
  const tsVersion = !prevTs && floor > 0 ? { version: floor + 1 } : {};
  const timestamp = await withKeyService(() =>
    signTimestamp({ now: ctx.now, prev: prevTs, snapshot: snapshotBytes, signers: tsSigners, ...tsVersion }),
  );
  result.push({ role: 'timestamp', ...timestamp });

  // Versions only increase: what notary's storage refuses, refused here with a clearer message.
  for (const file of result) {
    const current = await stored.get(file.role);
    if (current && current.version >= file.version) {
      throw new DctError(
        'VERSION_CONFLICT',
        `${file.role} version ${file.version} is not newer than the stored version ${current.version}`,
      );
    }
  }
  return result;
}

interface Part {
  data: Buffer;
  /** the parse of `data`, made once by the envelope check */
  doc: JsonDocument;
  /** `signed.version` as the envelope check read it */
  version: number;
}

/**
 * §5.4 step 1, per part in order: a valid role name (INVALID_ROLE), an envelope
 * whose `signed` has `_type`, `expires` and `version` (MALFORMED_JSON). A role
 * sent twice: the last one wins (earlier roots are kept as the history a first publish
 * may carry). A `timestamp` part is not stored (its version may set a first publish's floor).
 */
function readUploads(uploads: ReadonlyArray<UploadedFile>): { parts: Map<string, Part>; rootHistory: Part[]; carriedTimestamp?: Part } {
  const parts = new Map<string, Part>();
  const rootHistory: Part[] = [];
  let carriedTimestamp: Part | undefined;
  for (const { role, data } of uploads) {
    if (!isValidRoleName(role)) throw invalidRole(role);
    const doc = parseUpload(role, data);
    const version = envelopeVersion(role, doc.value);
    if (role === 'timestamp') carriedTimestamp = { data, doc, version };
    else {
      const earlier = role === 'root' ? parts.get('root') : undefined;
      if (earlier) rootHistory.push(earlier);
      parts.set(role, { data, doc, version });
    }
  }
  return { parts, rootHistory, ...(carriedTimestamp ? { carriedTimestamp } : {}) };
}

function parseUpload(role: string, data: Buffer): JsonDocument {
  let doc: JsonDocument;
  try {
    doc = readJsonDocument(data, role);
  } catch (err) {
    throw malformedJson(role, 'not valid JSON', err);
  }
  // as notary-server's Go reads it: deeper than encoding/json's limit is malformed
  if (jsonNestingExceeds(doc.text, GO_MAX_JSON_DEPTH)) throw malformedJson(role, 'not valid JSON: exceeded max depth');
  return doc;
}

function envelopeVersion(role: string, doc: unknown): number {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc) || !isObject(doc['signed'])) throw malformedJson(role, 'not a metadata envelope with a "signed" object');
  const signed = doc['signed'];
  const sigs = doc['signatures'];
  if (typeof signed['_type'] !== 'string') throw malformedJson(role, '"signed" has no string "_type"');
  if (typeof signed['expires'] !== 'string') throw malformedJson(role, '"signed" has no "expires" time');
  try {
    GoTime.parse(signed['expires']);
  } catch (err) {
    throw malformedJson(role, `"expires" is not an RFC 3339 time`, err);
  }
  const version = signed['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) throw malformedJson(role, '"signed" has no integer "version"');
  if (sigs !== undefined && sigs !== null && (!Array.isArray(sigs) || !sigs.every(isObject))) {
    throw malformedJson(role, '"signatures" is not a list of signature objects');
  }
  return version;
}

/**
 * notary: version = stored or stored + 1 (1 counts as stored when there is
 * none), then `ValidateRoot` (certificates for this GUN, signed by the stored
 * root's threshold and by its own), version ≥ stored, not expired.
 */
function validateRoot(ctx: UpdateContext, previous: Root | undefined, upload: Part): { md: Metadata<Root>; bytes: Buffer } {
  const current = previous?.version ?? 1;
  if (upload.version !== current && upload.version !== current + 1) {
    throw badRoot(`Root modifications must increment the version. Current ${current}, new ${upload.version}`);
  }
  try {
    const md = parseMetadata(upload.data, 'root', upload.doc);
    const ownKeys = validRootKeys(md.signed, ctx.gun, ctx.now, true);
    if (previous) {
      let oldKeys;
      try {
        oldKeys = validRootKeys(previous, ctx.gun, ctx.now, false);
      } catch {
        throw new CoreError(
          'CERTIFICATE_VALIDATION_FAILED',
          'could not validate the path to a trusted root: could not retrieve trusted certs from previous root role data',
        );
      }
      try {
        verifyThreshold(md, { keys: oldKeys, keyids: Object.keys(oldKeys), threshold: previous.roles['root']!.threshold }, 'root');
      } catch {
        throw new CoreError(
          'ROOT_ROTATION_FAILED',
          'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates',
        );
      }
    }
    try {
      verifyThreshold(md, { keys: ownKeys, keyids: Object.keys(ownKeys), threshold: md.signed.roles['root']!.threshold }, 'root');
    } catch {
      throw new CoreError(
        'CERTIFICATE_VALIDATION_FAILED',
        'could not validate the path to a trusted root: failed to validate integrity of roots',
      );
    }
    if (md.signed.version < current)
      throw new CoreError('VERSION_ROLLBACK', `version ${md.signed.version} is lower than current version ${current}`);
    if (md.signed.expires.isBefore(ctx.now)) throw new CoreError('EXPIRED', expiredText('root', md.signed.expires));
    return { md, bytes: upload.data };
  } catch (err) {
    throw badRoot(notaryText(err), err);
  }
}

/**
 * An uploaded snapshot: signed by the root's snapshot keys, not expired, and
 * pinning every file this update loaded (notary validateChecksumsFromSnapshot).
 * Stricter than notary (which accepts it, spec F:client-traffic/3b-1, leaving
 * the repository unreadable): every other targets role it pins must be bytes
 * the server holds, and lengths must match too.
 */
async function validateSnapshot(ctx: UpdateContext, root: Root, loaded: ReadonlyMap<string, Buffer>, upload: Part): Promise<void> {
  let snapshot: Snapshot;
  try {
    const md = parseMetadata(upload.data, 'snapshot', upload.doc);
    const spec = root.roles['snapshot']!;
    verifyThreshold(md, { keys: root.keys, keyids: spec.keyids, threshold: spec.threshold }, 'snapshot');
    if (md.signed.expires.isBefore(ctx.now)) throw new CoreError('EXPIRED', expiredText('snapshot', md.signed.expires));
    snapshot = md.signed;
  } catch (err) {
    throw badSnapshot(notaryText(err), err);
  }
  for (const [role, data] of loaded) checkPin(data, getOwn(snapshot.meta, role), role);
  for (const [role, meta] of Object.entries(snapshot.meta)) {
    if (loaded.has(role) || !isTargetsRole(role)) continue;
    const sha256 = meta.hashes['sha256'];
    const file = sha256 ? await ctx.store.getByChecksum(ctx.gun, role, sha256.toString('hex')) : await ctx.store.getCurrent(ctx.gun, role);
    if (!file) throw badSnapshot(`snapshot pins ${role} content that was never uploaded`);
    checkPin(file.data, meta, role);
  }
}

/** notary `CheckHashes` messages, plus the length clients rely on. */
function checkPin(bytes: Buffer, meta: FileMeta | undefined, role: string): void {
  let checked = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const expected = meta?.hashes[alg];
    if (!expected) continue;
    checked++;
    if (!createHash(alg).update(bytes).digest().equals(expected)) {
      throw badSnapshot(`${alg} checksum for ${role} did not match: expected ${expected.toString('hex')}`);
    }
  }
  if (checked === 0) throw badSnapshot(`no checksums for supported algorithms were provided for ${role}`);
  if (meta!.length !== bytes.length) throw badSnapshot(`length for ${role} did not match: expected ${meta!.length}, got ${bytes.length}`);
}

/** notary: key-service failures while generating are ErrValidation with the error text (F:client-traffic/3a-1). */
async function withKeyService<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UpdateValidationError) throw err;
    throw validationError(notaryText(err), err);
  }
}

/** Stored files that no longer parse make the update fail without a validation detail (as notary). */
function fromStorage(file: StoredFile, role: 'root'): Metadata<Root>;
function fromStorage(file: StoredFile, role: 'snapshot'): Metadata<Snapshot>;
function fromStorage(file: StoredFile, role: 'timestamp'): Metadata<Timestamp>;
function fromStorage(file: StoredFile, role: 'root' | 'snapshot' | 'timestamp'): Metadata {
  try {
    return parseStored(file, role);
  } catch (err) {
    throw invalidUpdate((err as Error).message, err);
  }
}

/** The current stored file per role, read once per update. */
class StoredCurrent {
  private readonly files = new Map<string, Promise<StoredFile | undefined>>();

  constructor(
    private readonly store: TufStore,
    private readonly gun: string,
  ) {}

  get(role: string): Promise<StoredFile | undefined> {
    let file = this.files.get(role);
    if (!file) {
      file = this.store.getCurrent(this.gun, role);
      this.files.set(role, file);
    }
    return file;
  }
}
