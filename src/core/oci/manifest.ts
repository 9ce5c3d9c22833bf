/**
 * Image manifests and indexes (OCI image spec v1.1; docker image manifest v2 schema 2
 * and manifest lists), parsed and validated from their raw bytes. The bytes are kept as
 * they are and the digest is the sha256 of exactly those bytes: a manifest is never
 * re-serialised (that would change its digest).
 */
import { digestOf, parseDigest } from './digest.js';
import { parseDescriptor, type Descriptor } from './descriptor.js';
import { ociError } from './oci-error.js';
import {
  DOCKER_MEDIA_TYPES,
  OCI_MEDIA_TYPES,
  isImageManifestMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  isValidMediaType,
  mediaTypeOfContentType,
} from './media-types.js';

/** 4 MiB, as containerd and the distribution spec's recommended minimum. */
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

interface ManifestCommon {
  /** the media type of the document (its `mediaType` field, else the declared Content-Type, else inferred) */
  mediaType: string;
  /** `oci` or `docker` (schema 2) */
  format: 'oci' | 'docker';
  /** `sha256:` of `bytes` */
  digest: string;
  /** `bytes.length` */
  size: number;
  /** the manifest exactly as served or read; never re-serialised */
  bytes: Buffer;
  schemaVersion: 2;
  annotations?: Record<string, string>;
  /** OCI 1.1 */
  artifactType?: string;
  /** OCI 1.1: the manifest this one refers to (referrers) */
  subject?: Descriptor;
}

export interface ImageManifest extends ManifestCommon {
  kind: 'manifest';
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex extends ManifestCommon {
  kind: 'index';
  manifests: Descriptor[];
}

export type Manifest = ImageManifest | ImageIndex;

export interface ParseManifestOptions {
  /** the `Content-Type` it was served with (parameters ignored); used when the document has no `mediaType` */
  contentType?: string;
  /** default 4 MiB */
  maxBytes?: number;
  /** checked before parsing: SIZE_MISMATCH / DIGEST_MISMATCH (the digest in its own algorithm) */
  expected?: { digest?: string; size?: number };
  /** names the manifest in messages (e.g. `registry.example.com/app:1`) */
  name?: string;
}

type Json = Record<string, unknown>;

/**
 * Parses manifest bytes into an image manifest or an index. Fails with
 * MANIFEST_TOO_LARGE, DIGEST_MISMATCH / SIZE_MISMATCH (against `expected`),
 * UNSUPPORTED_MANIFEST (docker schema 1, an unknown media type) or INVALID_MANIFEST
 * (not JSON, schemaVersion ≠ 2, bad descriptors, a `mediaType` that contradicts the
 * Content-Type or the document's shape).
 */
export function parseManifest(input: Uint8Array, opts: ParseManifestOptions = {}): Manifest {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const name = opts.name ?? 'the manifest';
  const max = opts.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  if (bytes.length > max)
    throw ociError('MANIFEST_TOO_LARGE', `${name} has ${bytes.length} bytes, more than the ${max} allowed for a manifest`);
  if (opts.expected?.size !== undefined && bytes.length !== opts.expected.size) {
    throw ociError('SIZE_MISMATCH', `${name} has ${bytes.length} bytes, not the ${opts.expected.size} expected`);
  }
  const digest = digestOf(bytes);
  if (opts.expected?.digest !== undefined) {
    const { algorithm } = parseDigest(opts.expected.digest);
    const got = algorithm === 'sha256' ? digest : digestOf(bytes, algorithm);
    if (got !== opts.expected.digest)
      throw ociError('DIGEST_MISMATCH', `${name} hashes to ${got}, not to the expected ${opts.expected.digest}: refusing it`);
  }
  const invalid = (why: string) => ociError('INVALID_MANIFEST', `${name} is not a valid manifest: ${why}`);

  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw ociError('INVALID_MANIFEST', `${name} is not valid JSON: ${(err as Error).message.slice(0, 200)}`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('the top level is not a JSON object');
  const doc = json as Json;

  const declared = mediaTypeOfContentType(opts.contentType);
  const field = doc['mediaType'];
  if (field !== undefined && field !== null && (typeof field !== 'string' || !isValidMediaType(field)))
    throw invalid('mediaType is not a media type');
  const fieldType = typeof field === 'string' ? field : undefined;

  if (doc['schemaVersion'] === 1 || (fieldType !== undefined && isSchema1MediaType(fieldType)) || isSchema1MediaType(declared)) {
    throw ociError(
      'UNSUPPORTED_MANIFEST',
      `${name} is a docker schema 1 manifest, which dct does not support (it has no stable digest): push the image again with a current docker, buildx or skopeo`,
    );
  }
  if (fieldType !== undefined && declared !== '' && isManifestMediaType(declared) && declared !== fieldType) {
    throw invalid(`it was served as ${declared} but says it is ${fieldType}`);
  }
  const hasManifests = doc['manifests'] !== undefined;
  const hasImageFields = doc['config'] !== undefined || doc['layers'] !== undefined;
  let mediaType = fieldType ?? (isManifestMediaType(declared) ? declared : undefined);
  if (mediaType === undefined) {
    if (hasManifests && !hasImageFields) mediaType = OCI_MEDIA_TYPES.index;
    else if (hasImageFields && !hasManifests) mediaType = OCI_MEDIA_TYPES.manifest;
    else throw invalid('it has no mediaType and its fields do not tell an image manifest from an index');
  }
  if (!isManifestMediaType(mediaType)) {
    throw ociError(
      'UNSUPPORTED_MANIFEST',
      `${name} has the media type ${mediaType.slice(0, 100)}, which is not an image manifest or index dct supports`,
    );
  }
  if (doc['schemaVersion'] !== 2) throw invalid(`schemaVersion is ${JSON.stringify(doc['schemaVersion'] ?? null)}, not 2`);
  const format: 'oci' | 'docker' = mediaType.startsWith('application/vnd.docker.') ? 'docker' : 'oci';

  const common: ManifestCommon = { mediaType, format, digest, size: bytes.length, bytes, schemaVersion: 2 };
  const annotations = doc['annotations'];
  if (annotations !== undefined && annotations !== null) {
    if (typeof annotations !== 'object' || Array.isArray(annotations) || !Object.values(annotations).every((v) => typeof v === 'string')) {
      throw invalid('annotations must be an object of strings');
    }
    common.annotations = Object.fromEntries(Object.entries(annotations as Record<string, string>));
  }
  const artifactType = doc['artifactType'];
  if (artifactType !== undefined && artifactType !== null) {
    if (typeof artifactType !== 'string' || !isValidMediaType(artifactType)) throw invalid('artifactType is not a media type');
    common.artifactType = artifactType;
  }
  if (doc['subject'] !== undefined && doc['subject'] !== null)
    common.subject = parseDescriptor(doc['subject'], `${name}: subject`, 'INVALID_MANIFEST');

  if (isIndexMediaType(mediaType)) {
    // a document with both shapes could be read differently by different clients
    if (hasImageFields) throw invalid(`an index (${mediaType}) must not have config or layers`);
    const manifests = doc['manifests'];
    if (!Array.isArray(manifests)) throw invalid('manifests must be a list');
    return {
      ...common,
      kind: 'index',
      manifests: manifests.map((m, i) => parseDescriptor(m, `${name}: manifests[${i}]`, 'INVALID_MANIFEST')),
    };
  }
  if (!isImageManifestMediaType(mediaType)) throw ociError('UNSUPPORTED_MANIFEST', `${name} has the unsupported media type ${mediaType}`);
  if (hasManifests) throw invalid(`an image manifest (${mediaType}) must not have manifests`);
  if (doc['config'] === undefined || doc['config'] === null) throw invalid('config is missing');
  const config = parseDescriptor(doc['config'], `${name}: config`, 'INVALID_MANIFEST');
  const layers = doc['layers'];
  if (!Array.isArray(layers)) throw invalid('layers must be a list');
  return {
    ...common,
    kind: 'manifest',
    config,
    layers: layers.map((l, i) => parseDescriptor(l, `${name}: layers[${i}]`, 'INVALID_MANIFEST')),
  };
}

/** The descriptor of a parsed manifest (for an index entry, a tag, a referrer's subject…). */
export function manifestDescriptor(m: Manifest, extra: Omit<Descriptor, 'mediaType' | 'digest' | 'size'> = {}): Descriptor {
  return { mediaType: m.mediaType, digest: m.digest, size: m.size, ...extra };
}

/** What a manifest points at: the index's manifests, or the config and the layers. */
export function childDescriptors(m: Manifest): Descriptor[] {
  return m.kind === 'index' ? [...m.manifests] : [m.config, ...m.layers];
}

/** Whether a manifest is an index or docker manifest list. */
export function isIndex(m: Manifest): m is ImageIndex {
  return m.kind === 'index';
}

/** The docker counterpart of an OCI media type for manifests (and back), for registries that only take one family. */
export function manifestFamily(mediaType: string): 'oci' | 'docker' | undefined {
  if (mediaType === OCI_MEDIA_TYPES.manifest || mediaType === OCI_MEDIA_TYPES.index) return 'oci';
  if (mediaType === DOCKER_MEDIA_TYPES.manifest || mediaType === DOCKER_MEDIA_TYPES.manifestList) return 'docker';
  return undefined;
}
