/**
 * One repository as notation reads and writes it: an artifact resolved by tag or digest, the
 * Notation signature manifests that refer to it (referrers API, else the `sha256-<hex>` tag
 * schema index), each signature's envelope, and the push of a new signature (the referrers
 * API when asked and available, the tag-schema index otherwise, as notation's
 * `--force-referrers-tag`).
 */
import { DctError } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import { descriptorToJSON, type Descriptor } from '../../core/oci/descriptor.js';
import { parseManifest } from '../../core/oci/manifest.js';
import { MANIFEST_ACCEPT_TYPES, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
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

/** The `sha256-<hex>` tag of the referrers tag schema for a digest. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

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
      if (err instanceof DctError && ref.digest !== undefined && /digest|match/i.test(err.message))
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
    const found = await this.registry.referrers(this.repo, subject.digest, { artifactType: NOTATION_ARTIFACT_TYPE, max: max + 1 });
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
   * Pushes a signature: its blobs, then the manifest by digest; then, when `forceTag` is set or
   * the registry did not take the manifest as a referrer (no `OCI-Subject` and no referrers API),
   * adds it to the `sha256-<hex>` index of the subject.
   */
  async push(built: BuiltSignatureManifest, subject: Descriptor, forceTag: boolean): Promise<{ digest: string; via: 'api' | 'tag' }> {
    await this.registry.writeBlob(this.repo, built.config.descriptor, built.config.bytes);
    await this.registry.writeBlob(this.repo, built.envelope.descriptor, built.envelope.bytes);
    const put = await this.registry.putManifest(this.repo, built.descriptor.digest, built.bytes, OCI_MEDIA_TYPES.manifest);
    if (!forceTag) {
      if (put.ociSubject === subject.digest) return { digest: built.descriptor.digest, via: 'api' };
      if (await this.registry.supportsReferrersApi(this.repo, subject.digest)) return { digest: built.descriptor.digest, via: 'api' };
    }
    await this.addToTagIndex(subject.digest, built.descriptor);
    return { digest: built.descriptor.digest, via: 'tag' };
  }

  private async addToTagIndex(subjectDigest: string, entry: Descriptor): Promise<void> {
    const tag = referrersTag(subjectDigest);
    const existing = await this.registry.getManifest(this.repo, tag, [OCI_MEDIA_TYPES.index]);
    let manifests: Descriptor[] = [];
    if (existing) {
      const parsed = parseManifest(existing.bytes, { contentType: existing.mediaType });
      if (parsed.kind !== 'index')
        throw new DctError(
          'NOTATION_BAD_SIGNATURE_MANIFEST',
          `${this.name}:${tag} is a ${parsed.mediaType}, not the referrers index of ${subjectDigest}`,
        );
      manifests = parsed.manifests;
    }
    if (manifests.some((d) => d.digest === entry.digest)) return;
    const index = { schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [...manifests, entry].map((d) => descriptorToJSON(d)) };
    await this.registry.putManifest(this.repo, tag, Buffer.from(JSON.stringify(index)), OCI_MEDIA_TYPES.index);
  }
}
