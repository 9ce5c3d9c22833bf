/**
 * Where cosign's signatures of a digest are found: Sigstore bundles among the digest's
 * referrers (OCI 1.1 referrers API, else the `sha256-<hex>` referrers tag), and the legacy
 * `sha256-<hex>.sig` / `.att` manifests. Each is read with a size cap and refused with a
 * code when it is not what it claims to be. The bundles or payloads of one layout are read several
 * at a time (`READ_CONCURRENCY`), with the outcome reading them one after another had: the same
 * order, and the error of the first that fails. dct's policy verifier reads both layouts at the
 * same time (cosign-format-verifier.ts); `cosign verify` reads the legacy one only without bundles.
 */
import { isBundleMediaType, MAX_BUNDLE_BYTES, parseBundleReferrer, type BundleReferrer } from '../../core/cosign/bundle-referrer.js';
import {
  legacySignatureTag,
  parseLegacySignatureManifest,
  type LegacySignature,
  type LegacySuffix,
} from '../../core/cosign/legacy-signatures.js';
import { mapBounded, settleBounded } from '../../core/bounded-map.js';
import { DctError, isDctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { SignatureLocation } from '../../core/signatures/signature-report.js';
import type { CosignImage } from './cosign-image.js';

/** The most bundle referrers dct verifies for one digest. */
export const MAX_BUNDLE_REFERRERS = 1000;
/** How many bundle referrers, or legacy payloads, of one digest are read at once. */
export const READ_CONCURRENCY = 8;
/** The largest legacy payload (simple signing, DSSE envelope) dct reads. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface FoundReferrers {
  manifests: Descriptor[];
  via: 'api' | 'tag' | 'none';
}

/** The Sigstore bundle referrers of `digest`. COSIGN_TOO_MANY_SIGNATURES beyond `MAX_BUNDLE_REFERRERS`. */
export async function findBundleReferrers(image: CosignImage, digest: string): Promise<FoundReferrers> {
  const found = await image.registry.referrers(image.repo, digest);
  const manifests = found.manifests.filter((d) => d.artifactType === undefined || isBundleMediaType(d.artifactType));
  if (manifests.length > MAX_BUNDLE_REFERRERS)
    throw new DctError(
      'COSIGN_TOO_MANY_SIGNATURES',
      `${image.repository}@${digest} has ${manifests.length} Sigstore bundle referrers, more than the ${MAX_BUNDLE_REFERRERS} dct verifies; ` +
        'delete the stale ones from the registry',
    );
  return { manifests, via: found.via };
}

export interface LoadedBundle {
  referrer: BundleReferrer;
  /** the bundle JSON, parsed */
  bundle: unknown;
  foundAt: SignatureLocation;
}

/**
 * Reads one bundle referrer and its bundle. COSIGN_INVALID_BUNDLE_REFERRER when it is not one.
 * The bundle is not read once `signal` is aborted (that rejects with the signal's reason).
 */
export async function loadBundle(
  image: CosignImage,
  d: Descriptor,
  digest: string,
  via: 'api' | 'tag' | 'none',
  signal?: AbortSignal,
): Promise<LoadedBundle> {
  const name = `${image.repository}@${d.digest}`;
  const m = await image.registry.getManifest(image.repo, d.digest, [OCI_MEDIA_TYPES.manifest]);
  if (m === undefined)
    throw new DctError('COSIGN_INVALID_BUNDLE_REFERRER', `${name} is listed as a referrer of ${digest} but does not exist`);
  const referrer = parseBundleReferrer(m.bytes, m.mediaType, name, digest);
  signal?.throwIfAborted();
  const bytes = await image.registry.readBlob(image.repo, referrer.bundle, MAX_BUNDLE_BYTES);
  let bundle: unknown;
  try {
    bundle = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DctError('COSIGN_INVALID_BUNDLE_REFERRER', `the bundle of ${name} is not JSON: ${(err as Error).message}`);
  }
  return { referrer, bundle, foundAt: { via: via === 'tag' ? 'referrers-tag' : 'referrers-api', reference: name } };
}

export interface LoadedBundles {
  loaded: Array<LoadedBundle & { descriptor: Descriptor }>;
  /** referrers that are no Sigstore bundle (cosign skips them) */
  broken: Array<{ descriptor: Descriptor; foundAt: SignatureLocation; error: DctError }>;
}

/**
 * Every bundle among the referrers, `READ_CONCURRENCY` read at a time, in the referrers' order;
 * those that are not one are set aside, as cosign ignores them. None is read once `signal` is aborted.
 */
export async function loadBundles(image: CosignImage, digest: string, found: FoundReferrers, signal?: AbortSignal): Promise<LoadedBundles> {
  const read = await mapBounded(
    found.manifests,
    READ_CONCURRENCY,
    async (descriptor) => {
      try {
        return { descriptor, loaded: await loadBundle(image, descriptor, digest, found.via, signal) };
      } catch (err) {
        if (!isDctError(err, 'COSIGN_INVALID_BUNDLE_REFERRER') && !isDctError(err, 'DIGEST_MISMATCH') && !isDctError(err, 'SIZE_MISMATCH'))
          throw err;
        return { descriptor, error: err };
      }
    },
    signal,
  );
  const out: LoadedBundles = { loaded: [], broken: [] };
  for (const r of read) {
    if (r.loaded) out.loaded.push({ ...r.loaded, descriptor: r.descriptor });
    else
      out.broken.push({
        descriptor: r.descriptor,
        foundAt: { via: found.via === 'tag' ? 'referrers-tag' : 'referrers-api', reference: `${image.repository}@${r.descriptor.digest}` },
        error: r.error,
      });
  }
  return out;
}

export interface FoundLegacy {
  tag: string;
  signatures: LegacySignature[];
  foundAt: SignatureLocation;
}

/** The legacy signature (`sig`) or attestation (`att`) manifest of `digest`, or undefined when there is none. */
export async function findLegacySignatures(image: CosignImage, digest: string, suffix: LegacySuffix): Promise<FoundLegacy | undefined> {
  const tag = legacySignatureTag(digest, suffix);
  const name = `${image.repository}:${tag}`;
  const m = await image.registry.getManifest(image.repo, tag, [OCI_MEDIA_TYPES.manifest, OCI_MEDIA_TYPES.index]);
  if (m === undefined) return undefined;
  return {
    tag,
    signatures: parseLegacySignatureManifest(m.bytes, m.mediaType, name, suffix),
    foundAt: { via: 'cosign-tag', reference: name },
  };
}

export interface ReadLegacy {
  found: FoundLegacy | undefined;
  /** each signature with its payload, or the error reading it, in the manifest's order (see `readPayloads`) */
  payloads: Array<{ signature: LegacySignature; payload: PromiseSettledResult<Buffer> }>;
}

/**
 * The legacy manifest of `digest` (as `findLegacySignatures`) and its signatures' payloads
 * (as `readPayloads`). Rejects only when the manifest cannot be read, or `signal` is aborted.
 */
export async function readLegacySignatures(
  image: CosignImage,
  digest: string,
  suffix: LegacySuffix,
  fatal: (err: unknown) => boolean,
  signal?: AbortSignal,
): Promise<ReadLegacy> {
  const found = await findLegacySignatures(image, digest, suffix);
  return { found, payloads: found ? await readPayloads(image, found.signatures, fatal, signal) : [] };
}

/**
 * What `cosign verify` and `cosign verify-attestation` read first (with `newBundleFormat`): the
 * bundle referrers of `digest`, loaded; undefined without `newBundleFormat`. As cosign, they read
 * the legacy layout (`readLegacyLayout`) only when this finds no bundle: the same requests as cosign.
 */
export async function readBundleLayout(image: CosignImage, digest: string, newBundleFormat: boolean): Promise<LoadedBundles | undefined> {
  return newBundleFormat ? loadBundles(image, digest, await findBundleReferrers(image, digest)) : undefined;
}

/** The legacy layout as `cosign verify` reads it: a payload that cannot be read is a failed signature, unless its error is no DctError. */
export function readLegacyLayout(image: CosignImage, digest: string, suffix: LegacySuffix): Promise<ReadLegacy> {
  return readLegacySignatures(image, digest, suffix, (err) => !isDctError(err));
}

/**
 * The payloads of `signatures`, `READ_CONCURRENCY` at a time, each with its signature in their
 * order, a payload that cannot be read as its error. After an error `fatal` accepts (one its
 * caller throws, ending its loop there) no further payload is read: the list is then a prefix,
 * ending at or after that signature. Once `signal` is aborted no payload is read: that rejects
 * (with the signal's reason) after those being read have settled.
 */
async function readPayloads(
  image: CosignImage,
  signatures: readonly LegacySignature[],
  fatal: (err: unknown) => boolean,
  signal?: AbortSignal,
): Promise<ReadLegacy['payloads']> {
  const outcomes = await settleBounded(signatures, READ_CONCURRENCY, (sig) => readPayload(image, sig.layer), fatal, signal);
  return outcomes.map((payload, i) => ({ signature: signatures[i] as LegacySignature, payload }));
}

/** A legacy layer's payload (checked against its descriptor by the registry port). */
export async function readPayload(image: CosignImage, layer: Descriptor): Promise<Buffer> {
  if (layer.size > MAX_PAYLOAD_BYTES)
    throw new DctError(
      'COSIGN_INVALID_SIGNATURE_MANIFEST',
      `a signature payload of ${layer.size} bytes is more than the ${MAX_PAYLOAD_BYTES} dct reads`,
    );
  return image.registry.readBlob(image.repo, layer, MAX_PAYLOAD_BYTES);
}
