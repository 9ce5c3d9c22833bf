/**
 * cosign's legacy ("tag") layout of image signatures and attestations: an image manifest
 * tagged `sha256-<hex>.sig` (`.att` for attestations) in the image's repository, one layer
 * per signature. A signature layer is the signed payload (simple signing, or a DSSE envelope
 * for attestations) with the base64 signature and optional certificate, chain, Rekor bundle
 * and RFC 3161 timestamp in its annotations. Built as cosign builds it (go-containerregistry's
 * `mutate.Append` on an empty OCI image) and read from any image manifest.
 */
import { DctError } from '../errors.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { parseDigest } from '../oci/digest.js';
import { parseManifest, type Manifest } from '../oci/manifest.js';
import { OCI_MEDIA_TYPES, isImageManifestMediaType } from '../oci/media-types.js';
import { goJson, sortedMap } from './go-json.js';

export const LEGACY_ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

/** The DSSE envelope media type of legacy attestation layers. */
export const DSSE_LAYER_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** cosign reads at most this many signatures from one signature manifest (its `maxLayers`). */
export const MAX_LEGACY_LAYERS = 1000;

export type LegacySuffix = 'sig' | 'att';

/** `sha256-<hex>.sig` / `.att`: where cosign's legacy layout keeps the signatures of `digest`. */
export function legacySignatureTag(digest: string, suffix: LegacySuffix): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.${suffix}`;
}

/** One signature of a legacy signature manifest. */
export interface LegacySignature {
  /** the layer: the payload's digest, size and media type, with the annotations */
  layer: Descriptor;
  /** base64 signature ('' for attestations, whose signature is inside the DSSE envelope) */
  signature: string;
  certificatePem?: string;
  chainPem?: string;
  /** the Rekor bundle (`{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`) as JSON text */
  bundle?: string;
  rfc3161Timestamp?: string;
}

/** The annotations of a signature layer, as cosign sets them. */
export function legacyLayerAnnotations(sig: {
  signature: string;
  certificatePem?: string;
  chainPem?: string;
  bundle?: string;
  rfc3161Timestamp?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  const a: Record<string, string> = { ...(sig.extra ?? {}), [LEGACY_ANNOTATIONS.signature]: sig.signature };
  if (sig.certificatePem !== undefined) a[LEGACY_ANNOTATIONS.certificate] = sig.certificatePem;
  if (sig.chainPem !== undefined) a[LEGACY_ANNOTATIONS.chain] = sig.chainPem;
  if (sig.bundle !== undefined) a[LEGACY_ANNOTATIONS.bundle] = sig.bundle;
  if (sig.rfc3161Timestamp !== undefined) a[LEGACY_ANNOTATIONS.rfc3161Timestamp] = sig.rfc3161Timestamp;
  return a;
}

/** A signature layer for payload bytes. */
export function legacySignatureLayer(payload: Uint8Array, mediaType: string, annotations: Record<string, string>): Descriptor {
  return descriptorOf(payload, mediaType, { annotations });
}

/**
 * Reads a signature manifest. COSIGN_INVALID_SIGNATURE_MANIFEST when it is not an image
 * manifest (an index, an artifact of another kind) or a layer lacks its signature
 * annotation where one is needed; COSIGN_TOO_MANY_SIGNATURES beyond `MAX_LEGACY_LAYERS`.
 */
export function parseLegacySignatureManifest(
  bytes: Uint8Array,
  contentType: string,
  name: string,
  suffix: LegacySuffix,
): LegacySignature[] {
  let manifest: Manifest;
  try {
    manifest = parseManifest(bytes, { contentType, name });
  } catch (err) {
    throw new DctError('COSIGN_INVALID_SIGNATURE_MANIFEST', `${name} is not a cosign signature manifest: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (manifest.kind !== 'manifest' || !isImageManifestMediaType(manifest.mediaType))
    throw new DctError(
      'COSIGN_INVALID_SIGNATURE_MANIFEST',
      `${name} is not a cosign signature manifest: it is a ${manifest.mediaType}, cosign stores signatures in an image manifest`,
    );
  if (manifest.layers.length > MAX_LEGACY_LAYERS)
    throw new DctError(
      'COSIGN_TOO_MANY_SIGNATURES',
      `number of layers (${manifest.layers.length}) exceeded the limit (${MAX_LEGACY_LAYERS}) in ${name}; remove the signature tag and sign again`,
    );
  return manifest.layers.map((layer, i) => {
    const a = layer.annotations ?? {};
    const signature = a[LEGACY_ANNOTATIONS.signature];
    if (suffix === 'sig' && (signature === undefined || signature === ''))
      throw new DctError(
        'COSIGN_INVALID_SIGNATURE_MANIFEST',
        `${name}: layer ${i} has no ${LEGACY_ANNOTATIONS.signature} annotation, so it is no cosign signature`,
      );
    const out: LegacySignature = { layer, signature: signature ?? '' };
    const cert = a[LEGACY_ANNOTATIONS.certificate];
    if (cert !== undefined && cert !== '') out.certificatePem = cert;
    const chain = a[LEGACY_ANNOTATIONS.chain];
    if (chain !== undefined && chain !== '') out.chainPem = chain;
    const bundle = a[LEGACY_ANNOTATIONS.bundle];
    if (bundle !== undefined && bundle !== '') out.bundle = bundle;
    const ts = a[LEGACY_ANNOTATIONS.rfc3161Timestamp];
    if (ts !== undefined && ts !== '') out.rfc3161Timestamp = ts;
    return out;
  });
}

/** Go's zero `time.Time` as JSON. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function goDescriptor(d: Descriptor): Record<string, unknown> {
  return {
    mediaType: d.mediaType,
    size: d.size,
    digest: d.digest,
    ...(d.annotations && Object.keys(d.annotations).length > 0 ? { annotations: sortedMap(d.annotations) } : {}),
  };
}

export interface BuiltManifest {
  manifest: Buffer;
  mediaType: string;
  config: Buffer;
  configDescriptor: Descriptor;
}

/**
 * The signature manifest holding `layers` (in order), as cosign writes it: an OCI image
 * manifest whose config lists each layer's digest as its diff ID. `created` sets the config's
 * creation time (cosign's `--record-creation-timestamp`).
 */
export function buildLegacySignatureManifest(layers: readonly Descriptor[], created?: string): BuiltManifest {
  const config = Buffer.from(
    goJson({
      architecture: '',
      created: created ?? ZERO_TIME,
      ...(layers.length > 0 ? { history: layers.map(() => ({ created: ZERO_TIME })) } : {}),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.length > 0 ? layers.map((l) => l.digest) : null },
      config: {},
    }),
    'utf8',
  );
  const configDescriptor = descriptorOf(config, OCI_MEDIA_TYPES.config);
  const manifest = Buffer.from(
    goJson({
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.manifest,
      config: goDescriptor(configDescriptor),
      layers: layers.map(goDescriptor),
    }),
    'utf8',
  );
  return { manifest, mediaType: OCI_MEDIA_TYPES.manifest, config, configDescriptor };
}

/** Whether two layers are the same signature: same payload, media type and annotations. */
export function sameLegacyLayer(a: Descriptor, b: Descriptor): boolean {
  if (a.digest !== b.digest || a.mediaType !== b.mediaType) return false;
  const aa = a.annotations ?? {};
  const ba = b.annotations ?? {};
  const keys = new Set([...Object.keys(aa), ...Object.keys(ba)]);
  for (const k of keys) if (aa[k] !== ba[k]) return false;
  return true;
}
