/**
 * cosign 3's default layout: a Sigstore bundle attached to the image as an OCI 1.1 referrer
 * (cosign's BUNDLE_SPEC): an image manifest with `artifactType`
 * `application/vnd.dev.sigstore.bundle.v0.3+json`, the empty config, one layer that is the
 * bundle JSON, `subject` = the image, and the annotations `dev.sigstore.bundle.content`,
 * `dev.sigstore.bundle.predicateType` and `org.opencontainers.image.created`. Written byte
 * for byte as cosign writes it; read from any manifest of that shape.
 */
import { DctError } from '../errors.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { parseManifest, type Manifest } from '../oci/manifest.js';
import { EMPTY_JSON_DESCRIPTOR, OCI_MEDIA_TYPES } from '../oci/media-types.js';
import { goJson, sortedMap } from './go-json.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export const BUNDLE_ANNOTATIONS = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

/** The predicate type of the in-toto statement cosign 3 signs for `cosign sign`. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** The largest bundle dct reads from a registry. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

export type BundleContent = 'dsse-envelope' | 'message-signature';

/** Whether a media type names a Sigstore bundle (`application/vnd.dev.sigstore.bundle…+json`). */
export function isBundleMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+)?\+json$/.test(mediaType);
}

/** The referrer manifest that attaches `bundle` (its bytes' descriptor) to `subject`. */
export function buildBundleReferrer(opts: {
  bundle: Descriptor;
  subject: Descriptor;
  content: BundleContent;
  predicateType?: string;
  /** RFC 3339 time (cosign writes seconds, UTC) */
  created: string;
}): { bytes: Buffer; mediaType: string; artifactType: string } {
  const annotations: Record<string, string> = {
    [BUNDLE_ANNOTATIONS.content]: opts.content,
    [BUNDLE_ANNOTATIONS.created]: opts.created,
  };
  if (opts.predicateType !== undefined) annotations[BUNDLE_ANNOTATIONS.predicateType] = opts.predicateType;
  const bytes = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.manifest,
      config: {
        mediaType: EMPTY_JSON_DESCRIPTOR.mediaType,
        size: EMPTY_JSON_DESCRIPTOR.size,
        digest: EMPTY_JSON_DESCRIPTOR.digest,
        artifactType: BUNDLE_V03_MEDIA_TYPE,
      },
      layers: [{ mediaType: opts.bundle.mediaType, size: opts.bundle.size, digest: opts.bundle.digest }],
      annotations: sortedMap(annotations),
      subject: { mediaType: opts.subject.mediaType, size: opts.subject.size, digest: opts.subject.digest },
      artifactType: BUNDLE_V03_MEDIA_TYPE,
    }),
    'utf8',
  );
  return { bytes, mediaType: OCI_MEDIA_TYPES.manifest, artifactType: BUNDLE_V03_MEDIA_TYPE };
}

/** The bundle layer's descriptor for bundle JSON bytes. */
export function bundleLayer(bundleJson: Uint8Array): Descriptor {
  return descriptorOf(bundleJson, BUNDLE_V03_MEDIA_TYPE);
}

/** `org.opencontainers.image.created` as cosign writes it: RFC 3339, seconds, UTC. */
export function createdAnnotation(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A bundle referrer as read back. */
export interface BundleReferrer {
  manifest: Manifest;
  /** the bundle layer */
  bundle: Descriptor;
  content?: string;
  predicateType?: string;
  created?: string;
}

/**
 * Reads a referrer manifest of `subjectDigest` that should hold a Sigstore bundle.
 * COSIGN_INVALID_BUNDLE_REFERRER when it is not an image manifest, its artifact type is not a
 * bundle's, it has not exactly one bundle layer, or its subject is another manifest.
 */
export function parseBundleReferrer(bytes: Uint8Array, contentType: string, name: string, subjectDigest: string): BundleReferrer {
  const bad = (why: string, cause?: unknown) =>
    new DctError('COSIGN_INVALID_BUNDLE_REFERRER', `${name} is not a Sigstore bundle referrer: ${why}`, cause ? { cause } : undefined);
  let manifest: Manifest;
  try {
    manifest = parseManifest(bytes, { contentType, name });
  } catch (err) {
    throw bad((err as Error).message, err);
  }
  if (manifest.kind !== 'manifest') throw bad(`it is a ${manifest.mediaType}, not an image manifest`);
  const artifactType = manifest.artifactType ?? manifest.config.artifactType ?? manifest.config.mediaType;
  if (!isBundleMediaType(artifactType)) throw bad(`its artifact type is ${JSON.stringify(artifactType)}`);
  if (manifest.layers.length !== 1) throw bad(`it has ${manifest.layers.length} layers, a bundle referrer has one`);
  const bundle = manifest.layers[0] as Descriptor;
  if (!isBundleMediaType(bundle.mediaType)) throw bad(`its layer is a ${bundle.mediaType}, not a Sigstore bundle`);
  if (bundle.size > MAX_BUNDLE_BYTES) throw bad(`its bundle is ${bundle.size} bytes, more than the ${MAX_BUNDLE_BYTES} dct reads`);
  if (manifest.subject === undefined) throw bad('it has no subject');
  if (manifest.subject.digest !== subjectDigest) throw bad(`its subject is ${manifest.subject.digest}, not ${subjectDigest}`);
  const a = manifest.annotations ?? {};
  const out: BundleReferrer = { manifest, bundle };
  if (a[BUNDLE_ANNOTATIONS.content] !== undefined) out.content = a[BUNDLE_ANNOTATIONS.content];
  if (a[BUNDLE_ANNOTATIONS.predicateType] !== undefined) out.predicateType = a[BUNDLE_ANNOTATIONS.predicateType];
  if (a[BUNDLE_ANNOTATIONS.created] !== undefined) out.created = a[BUNDLE_ANNOTATIONS.created];
  return out;
}
