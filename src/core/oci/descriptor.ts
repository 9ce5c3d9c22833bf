/**
 * Content descriptors (OCI image spec "Descriptors"): `{mediaType, digest, size, urls?,
 * annotations?, data?, platform?, artifactType?}`, validated as they are read.
 */
import { digestOf, parseDigest, verifyBytes } from './digest.js';
import type { OciErrorCode } from './errors.js';
import { ociError } from './oci-error.js';
import { isValidMediaType } from './media-types.js';
import type { Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  /** `algorithm:hex`, validated (sha256, sha384 or sha512) */
  digest: string;
  /** bytes, a safe integer ≥ 0 */
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** base64 of the content itself (embedded), checked against digest and size */
  data?: string;
  /** in an index: the platform the manifest is for */
  platform?: Platform;
  artifactType?: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads and validates a descriptor from parsed JSON. `where` names it in messages
 * (e.g. `layers[2]`); failures carry `code` (INVALID_DESCRIPTOR unless given).
 */
export function parseDescriptor(value: unknown, where = 'descriptor', code: OciErrorCode = 'INVALID_DESCRIPTOR'): Descriptor {
  const bad = (why: string) => ociError(code, `${where}: ${why}`);
  if (!isObject(value)) throw bad('must be a JSON object');
  const mediaType = value['mediaType'];
  if (typeof mediaType !== 'string' || !isValidMediaType(mediaType))
    throw bad(
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any JSON value: String() names what it is
      `mediaType ${mediaType === undefined ? 'is missing' : `${JSON.stringify(String(mediaType).slice(0, 100))} is not a media type`}`,
    );
  const digest = value['digest'];
  if (typeof digest !== 'string') throw bad('digest is missing');
  try {
    parseDigest(digest);
  } catch (err) {
    throw ociError(code, `${where}: ${(err as Error).message}`, { cause: err });
  }
  const size = value['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw bad(`size ${JSON.stringify(size ?? null)} is not a whole number of bytes`);
  const out: Descriptor = { mediaType, digest, size };

  const urls = value['urls'];
  if (urls !== undefined && urls !== null) {
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string' && u !== '')) throw bad('urls must be a list of URLs');
    out.urls = [...(urls as string[])];
  }
  const annotations = value['annotations'];
  if (annotations !== undefined && annotations !== null) out.annotations = stringMap(annotations, bad, 'annotations');
  const artifactType = value['artifactType'];
  if (artifactType !== undefined && artifactType !== null) {
    if (typeof artifactType !== 'string' || !isValidMediaType(artifactType)) throw bad('artifactType is not a media type');
    out.artifactType = artifactType;
  }
  const data = value['data'];
  if (data !== undefined && data !== null) {
    if (typeof data !== 'string' || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw bad('data is not base64');
    try {
      verifyBytes(Buffer.from(data, 'base64'), { digest, size }, `${where}.data`);
    } catch (err) {
      throw ociError(code, `${where}: embedded data does not match the descriptor: ${(err as Error).message}`, { cause: err });
    }
    out.data = data;
  }
  const platform = value['platform'];
  if (platform !== undefined && platform !== null) out.platform = parsePlatformJson(platform, `${where}.platform`, code);
  return out;
}

/** Validates a descriptor built in code (same rules as `parseDescriptor`); returns it. */
export function validateDescriptor(d: Descriptor, where = 'descriptor'): Descriptor {
  parseDescriptor(descriptorToJSON(d), where);
  return d;
}

function stringMap(v: unknown, bad: (why: string) => Error, name: string): Record<string, string> {
  if (!isObject(v)) throw bad(`${name} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') throw bad(`${name}[${JSON.stringify(k.slice(0, 100))}] is not a string`);
    Object.defineProperty(out, k, { value: s, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function stringList(v: unknown, bad: (why: string) => Error, name: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(`${name} must be a list of strings`);
  return [...v];
}

/** The `platform` object of an index entry (`os.version`, `os.features` as in the spec). */
export function parsePlatformJson(v: unknown, where = 'platform', code: OciErrorCode = 'INVALID_DESCRIPTOR'): Platform {
  const bad = (why: string) => ociError(code, `${where}: ${why}`);
  if (!isObject(v)) throw bad('must be a JSON object');
  const os = v['os'];
  const architecture = v['architecture'];
  if (typeof os !== 'string' || os === '') throw bad('os is missing');
  if (typeof architecture !== 'string' || architecture === '') throw bad('architecture is missing');
  const p: Platform = { os, architecture };
  const variant = v['variant'];
  if (variant !== undefined && variant !== null && variant !== '') {
    if (typeof variant !== 'string') throw bad('variant is not a string');
    p.variant = variant;
  }
  const osVersion = v['os.version'];
  if (osVersion !== undefined && osVersion !== null && osVersion !== '') {
    if (typeof osVersion !== 'string') throw bad('os.version is not a string');
    p.osVersion = osVersion;
  }
  if (v['os.features'] !== undefined && v['os.features'] !== null) p.osFeatures = stringList(v['os.features'], bad, 'os.features');
  if (v['features'] !== undefined && v['features'] !== null) p.features = stringList(v['features'], bad, 'features');
  return p;
}

/** The JSON form of a platform (`os.version`, `os.features`), fields in the spec's order. */
export function platformToJSON(p: Platform): Record<string, unknown> {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.osVersion !== undefined ? { 'os.version': p.osVersion } : {}),
    ...(p.osFeatures !== undefined ? { 'os.features': [...p.osFeatures] } : {}),
    ...(p.variant !== undefined ? { variant: p.variant } : {}),
    ...(p.features !== undefined ? { features: [...p.features] } : {}),
  };
}

/** The JSON form of a descriptor, fields in the order Go's image-spec structs write them. */
export function descriptorToJSON(d: Descriptor): Record<string, unknown> {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.urls !== undefined ? { urls: [...d.urls] } : {}),
    ...(d.annotations !== undefined ? { annotations: { ...d.annotations } } : {}),
    ...(d.data !== undefined ? { data: d.data } : {}),
    ...(d.platform !== undefined ? { platform: platformToJSON(d.platform) } : {}),
    ...(d.artifactType !== undefined ? { artifactType: d.artifactType } : {}),
  };
}

/** A descriptor for bytes: sha256 of them, their length. */
export function descriptorOf(
  bytes: Uint8Array,
  mediaType: string,
  extra: Omit<Descriptor, 'mediaType' | 'digest' | 'size'> = {},
): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra };
}

/**
 * Checks that bytes are the content a descriptor names: SIZE_MISMATCH when the length
 * differs, DIGEST_MISMATCH when they hash to another digest.
 */
export function verifyDescriptor(bytes: Uint8Array, descriptor: Pick<Descriptor, 'digest' | 'size'> & { mediaType?: string }): void {
  verifyBytes(bytes, descriptor, descriptor.mediaType !== undefined ? `the ${descriptor.mediaType} content` : 'the content');
}
