/**
 * What reading and writing `docker save` tarballs share: docker's names (the layer media
 * type, `manifest.json`), the image config as far as archives need it, and the image
 * manifest built for a config and its layers.
 */
import { DctError } from '../../core/errors.js';
import type { AdapterErrorCode } from '../errors.js';
import {
  DOCKER_MEDIA_TYPES,
  OCI_MEDIA_TYPES,
  descriptorToJSON,
  digestOf,
  isValidDigest,
  parseManifest,
  type Descriptor,
  type Manifest,
  type Platform,
} from '../../core/oci/index.js';

/** docker's media type for an uncompressed layer */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
export const MANIFEST_JSON = 'manifest.json';

export function archiveError(code: AdapterErrorCode, message: string, options?: { cause?: unknown }): DctError {
  return new DctError(code, message, options);
}

export interface ArchiveImageConfig {
  bytes: Buffer;
  /** sha256 of the bytes: the image ID */
  digest: string;
  size: number;
  diffIds: string[];
  platform: Platform;
  json: Record<string, unknown>;
}

/** Parses an image config far enough for archives: diff IDs and platform. */
export function parseImageConfig(bytes: Buffer, where = 'the image config'): ArchiveImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw archiveError('INVALID_CONFIG', `${where} is not valid JSON`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw archiveError('INVALID_CONFIG', `${where} is not a JSON object`);
  const doc = json as Record<string, unknown>;
  const rootfs = doc['rootfs'] as Record<string, unknown> | undefined;
  const diffIds = rootfs?.['diff_ids'];
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isValidDigest(d))) {
    throw archiveError('INVALID_CONFIG', `${where} has no valid rootfs.diff_ids`);
  }
  const os = typeof doc['os'] === 'string' && doc['os'] !== '' ? doc['os'] : 'linux';
  const architecture = typeof doc['architecture'] === 'string' && doc['architecture'] !== '' ? doc['architecture'] : 'amd64';
  const variant = typeof doc['variant'] === 'string' && doc['variant'] !== '' ? doc['variant'] : undefined;
  return {
    bytes,
    digest: digestOf(bytes),
    size: bytes.length,
    diffIds: diffIds as string[],
    platform: { os, architecture, ...(variant !== undefined ? { variant } : {}) },
    json: doc,
  };
}

/**
 * An image manifest for a config and layers, as raw bytes (docker's indentation of three
 * spaces) and parsed.
 */
export function buildImageManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  format: 'docker' | 'oci' = 'docker',
  annotations?: Record<string, string>,
): Manifest {
  const doc = {
    schemaVersion: 2,
    mediaType: format === 'docker' ? DOCKER_MEDIA_TYPES.manifest : OCI_MEDIA_TYPES.manifest,
    config: descriptorToJSON(config),
    layers: layers.map(descriptorToJSON),
    ...(annotations !== undefined && format === 'oci' ? { annotations } : {}),
  };
  return parseManifest(Buffer.from(JSON.stringify(doc, null, 3)));
}
