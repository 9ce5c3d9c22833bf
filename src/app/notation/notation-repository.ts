/**
 * One repository as notation reads and writes it: an artifact resolved by tag or digest, the
 * Notation signature manifests that refer to it (referrers API, else the `sha256-<hex>` tag
 * schema index), each signature's envelope, and the push of a new signature (the referrers
 * API when asked and available, the tag-schema index otherwise, as notation's
 * `--force-referrers-tag`).
 */
import { DctError, isDctError } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { MANIFEST_ACCEPT_TYPES, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import { attachReferrer } from '../signatures/attach-referrer.js';
import type { SignatureRegistry } from '../signatures/signature-registry.js';
import { NOTATION_ARTIFACT_TYPE, parseSignatureManifest, type BuiltSignatureManifest } from './signature-manifest.js';

export interface SignatureList {
  manifests: Descriptor[];
  /** more signatures than the limit exist */
  exceeded: boolean;
  via: 'api' | 'tag' | 'none';
}

export interface FetchedEnvelope {
  bytes: Buffer;
  mediaType: string;
  /** the signature manifest's subject, when it has one */
  subject?: Descriptor;
}

/** the longest referrers list read before the rest are ignored (longer ones are refused by the registry port) */
export const MAX_LISTED_REFERRERS = 100_000;

export class NotationRepository {
  constructor(
    readonly registry: SignatureRegistry,
    /** the repository path on the registry */
    readonly repo: string,
    /** `host/repo`, as references are printed */
    readonly name: string,
  ) {}

  /** The artifact the reference names (by digest, else by tag). */
  async resolve(ref: Pick<ImageReference, 'digest' | 'tag'>): Promise<Descriptor> {
    const reference = ref.digest ?? ref.tag;
    if (reference === undefined) throw new DctError('NOTATION_BAD_REFERENCE', `${this.name}: invalid reference: missing tag or digest`);
    let found;
    try {
      found = await this.registry.getManifest(this.repo, reference, MANIFEST_ACCEPT_TYPES);
    } catch (err) {
      if (ref.digest !== undefined && isDctError(err, 'DIGEST_MISMATCH'))
        throw new DctError(
          'NOTATION_DIGEST_MISMATCH',
          `user input digest ${ref.digest} does not match the resolved digest: ${err.message}`,
          {
            cause: err,
          },
        );
      throw err;
    }
    if (!found) throw new DctError('NOTATION_ARTIFACT_NOT_FOUND', `${this.name}${ref.digest ? '@' : ':'}${reference}: not found`);
    if (ref.digest !== undefined && found.digest !== ref.digest)
      throw new DctError('NOTATION_DIGEST_MISMATCH', `user input digest ${ref.digest} does not match the resolved digest ${found.digest}`);
    return { mediaType: found.mediaType, digest: found.digest, size: found.bytes.length };
  }

  /** The signature manifests of `subject`, at most `max` (and whether there were more). */
  async signatures(subject: Descriptor, max: number): Promise<SignatureList> {
    // the registry port refuses a list longer than its cap; notation reads the first `max` and warns about the rest
    const found = await this.registry.referrers(this.repo, subject.digest, {
      artifactType: NOTATION_ARTIFACT_TYPE,
      max: Math.max(max + 1, MAX_LISTED_REFERRERS),
    });
    const manifests = found.manifests.filter((d) => d.artifactType === undefined || d.artifactType === NOTATION_ARTIFACT_TYPE);
    return { manifests: manifests.slice(0, max), exceeded: manifests.length > max, via: found.via };
  }

  /** The envelope of one signature manifest (refused when the manifest is not a Notation signature). */
  async envelope(signatureManifest: Descriptor): Promise<FetchedEnvelope> {
    const got = await this.registry.getManifest(this.repo, signatureManifest.digest, [OCI_MEDIA_TYPES.manifest]);
    if (!got)
      throw new DctError(
        'NOTATION_BAD_SIGNATURE_MANIFEST',
        `signature manifest ${signatureManifest.digest} is listed but not in ${this.name}`,
      );
    const { manifest, envelope } = parseSignatureManifest(got.bytes, got.mediaType, signatureManifest.digest);
    const bytes = await this.registry.readBlob(this.repo, envelope, envelope.size);
    return { bytes, mediaType: envelope.mediaType, ...(manifest.subject ? { subject: manifest.subject } : {}) };
  }

  /**
   * Pushes a signature: its blobs, then the manifest, attached to its subject (the referrers
   * API when the registry indexes it and `forceTag` is off, else the `sha256-<hex>` index).
   */
  async push(built: BuiltSignatureManifest, subject: Descriptor, forceTag: boolean): Promise<{ digest: string; via: 'api' | 'tag' }> {
    await this.registry.writeBlob(this.repo, built.config.descriptor, built.config.bytes);
    await this.registry.writeBlob(this.repo, built.envelope.descriptor, built.envelope.bytes);
    return attachReferrer(
      this.registry,
      this.repo,
      { bytes: built.bytes, mediaType: OCI_MEDIA_TYPES.manifest, subject, artifactType: NOTATION_ARTIFACT_TYPE },
      { forceTag },
    );
  }
}
