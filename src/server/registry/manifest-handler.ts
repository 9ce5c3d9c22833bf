/** `/v2/<name>/manifests/<reference>`: GET/HEAD (through the pull gate), PUT, DELETE. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDctError } from '../../core/errors.js';
import { childDescriptors, parseManifest, type Manifest } from '../../core/oci/manifest.js';
import { isForeignLayerMediaType, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { ManifestReference, StoredManifest } from '../../core/ports.js';
import { warningHeader } from './manifest-gate.js';
import { RegistryApiError } from './registry-api-error.js';
import type { RegistryHandlerContext, RegistryRequester } from './handler-context.js';
import { respond } from './registry-responses.js';
import { checkDigest, firstHeaderValue, SHA256_DIGEST } from './request-checks.js';
import { dropFromReferrersTag } from './referrers-tag.js';
import { readLimited } from './request-streams.js';
import { isValidTag } from './routes.js';

export class ManifestHandler {
  constructor(private readonly ctx: RegistryHandlerContext) {}

  private async resolve(name: string, reference: string): Promise<{ digest: string; tag?: string }> {
    if (reference.includes(':')) {
      checkDigest(reference);
      return { digest: reference };
    }
    if (!isValidTag(reference)) throw new RegistryApiError('TAG_INVALID', 'invalid tag', { tag: reference.slice(0, 200) });
    const digest = await this.ctx.store.resolveTag(name, reference);
    if (!digest) throw new RegistryApiError('MANIFEST_UNKNOWN', undefined, { tag: reference });
    return { digest, tag: reference };
  }

  async getManifest(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    reference: string,
    head: boolean,
    client: RegistryRequester,
  ): Promise<number> {
    req.resume();
    const { digest, tag } = await this.resolve(name, reference);
    const manifest = SHA256_DIGEST.test(digest) ? await this.ctx.store.getManifest(name, digest) : undefined;
    if (!manifest) throw new RegistryApiError('MANIFEST_UNKNOWN', undefined, tag !== undefined ? { tag } : { digest });
    let warnings: string[] = [];
    if (!client.publisher && this.ctx.gate) {
      const actor = {
        ...(client.user !== undefined ? { user: client.user } : {}),
        ...(client.address !== undefined ? { address: client.address } : {}),
      };
      const gateRequest = {
        gun: this.ctx.gunOf(name),
        repository: name,
        ...(tag !== undefined ? { tag } : {}),
        digest,
        size: manifest.size,
      };
      ({ warnings } = await this.ctx.gate.check(gateRequest, manifest, { method: head ? 'HEAD' : 'GET', actor }));
    }
    checkAccepted(req.headers.accept, manifest.mediaType);
    const etag = `"${digest}"`;
    const headers: Record<string, string | number> = {
      'Content-Type': manifest.mediaType,
      'Content-Length': manifest.size,
      'Docker-Content-Digest': digest,
      ETag: etag,
      ...(warnings.length > 0 ? { Warning: warningHeader(warnings) } : {}),
    };
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((v) => v.trim() === etag || v.trim() === digest)) {
      return respond(res, { status: 304, headers: { 'Docker-Content-Digest': digest, ETag: etag }, body: Buffer.alloc(0) });
    }
    return respond(res, { status: 200, headers, body: manifest.data }, head);
  }

  async putManifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<number> {
    let tag: string | undefined;
    let expected: string | undefined;
    if (reference.includes(':')) {
      checkDigest(reference);
      expected = reference;
    } else if (isValidTag(reference)) tag = reference;
    else throw new RegistryApiError('TAG_INVALID', 'invalid tag', { tag: reference.slice(0, 200) });

    const body = await readLimited(req, this.ctx.maxManifestBytes, this.ctx.idleTimeoutMs);
    let manifest: Manifest;
    try {
      manifest = parseManifest(body, { contentType: firstHeaderValue(req.headers['content-type']), maxBytes: this.ctx.maxManifestBytes });
    } catch (err) {
      if (isDctError(err)) throw new RegistryApiError('MANIFEST_INVALID', undefined, err.message);
      throw err;
    }
    if (expected !== undefined && manifest.digest !== expected) {
      throw new RegistryApiError('DIGEST_INVALID', undefined, `the manifest hashes to ${manifest.digest}, not to ${expected}`);
    }
    const references: ManifestReference[] = [];
    for (const d of childDescriptors(manifest)) {
      if (manifest.kind === 'index') {
        if (!SHA256_DIGEST.test(d.digest) || !(await this.ctx.store.getManifest(name, d.digest))) {
          throw new RegistryApiError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: d.digest });
        }
        references.push({ digest: d.digest, kind: 'manifest' });
      } else {
        if (isForeignLayerMediaType(d.mediaType) && d.urls !== undefined && d.urls.length > 0) continue;
        if (!(await this.blobPresent(name, d.digest))) throw new RegistryApiError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: d.digest });
        if (!references.some((r) => r.digest === d.digest)) references.push({ digest: d.digest, kind: 'blob' });
      }
    }
    const artifactType = manifest.artifactType ?? (manifest.kind === 'manifest' ? manifest.config.mediaType : undefined);
    const stored: Omit<StoredManifest, 'createdAt'> = {
      repository: name,
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      size: manifest.size,
      data: manifest.bytes,
      ...(artifactType !== undefined ? { artifactType } : {}),
      ...(manifest.subject !== undefined ? { subject: manifest.subject.digest } : {}),
    };
    await this.ctx.store.putManifest(stored, references, tag);
    this.ctx.gate?.changed(this.ctx.gunOf(name)); // a new signature (referrer, signature tag) or a moved tag
    this.ctx.log.info(
      { registry: 'manifest', repository: name, digest: manifest.digest, ...(tag !== undefined ? { tag } : {}) },
      'manifest pushed',
    );
    const headers: Record<string, string | number> = {
      Location: `/v2/${name}/manifests/${manifest.digest}`,
      'Docker-Content-Digest': manifest.digest,
      'Content-Length': 0,
    };
    if (manifest.subject !== undefined) headers['OCI-Subject'] = manifest.subject.digest;
    return respond(res, { status: 201, headers, body: Buffer.alloc(0) });
  }

  async deleteManifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<number> {
    req.resume();
    let removed: boolean;
    if (reference.includes(':')) {
      checkDigest(reference);
      const subject = SHA256_DIGEST.test(reference) ? (await this.ctx.store.getManifest(name, reference))?.subject : undefined;
      removed = await this.ctx.store.deleteManifest(name, reference);
      if (removed && subject !== undefined) {
        // the referrers API drops it by itself; the tag schema's index must agree
        const tagUpdate = await dropFromReferrersTag(this.ctx.store, name, subject, reference, this.ctx.maxManifestBytes);
        if (tagUpdate !== 'unchanged')
          this.ctx.log.info({ registry: 'manifest', repository: name, subject, tagUpdate }, 'referrers tag updated');
      }
    } else {
      if (!isValidTag(reference)) throw new RegistryApiError('TAG_INVALID', 'invalid tag', { tag: reference.slice(0, 200) });
      removed = await this.ctx.store.deleteTag(name, reference);
    }
    if (!removed) throw new RegistryApiError('MANIFEST_UNKNOWN', undefined, { reference });
    this.ctx.gate?.changed(this.ctx.gunOf(name));
    this.ctx.log.info({ registry: 'manifest', repository: name, reference }, 'manifest deleted');
    return respond(res, { status: 202, headers: { 'Content-Length': 0 }, body: Buffer.alloc(0) });
  }

  // -- blobs -----------------------------------------------------------------

  private async blobPresent(name: string, digest: string): Promise<boolean> {
    if (!SHA256_DIGEST.test(digest)) return false;
    if (!(await this.ctx.store.getBlobLink(name, digest))) return false;
    return (await this.ctx.blobs.stat(digest)) !== undefined;
  }
}

/**
 * docker/distribution's negotiation: OCI manifests and indexes are served only
 * to clients that list their type (or a wildcard) in Accept; docker schema 2
 * types are always served.
 */
function checkAccepted(accept: string | undefined, mediaType: string): void {
  if (mediaType !== OCI_MEDIA_TYPES.manifest && mediaType !== OCI_MEDIA_TYPES.index) return;
  const types = (accept ?? '').split(',').map((t) => (t.split(';')[0] as string).trim().toLowerCase());
  if (types.includes(mediaType) || types.includes('*/*') || types.includes('application/*')) return;
  const what =
    mediaType === OCI_MEDIA_TYPES.index
      ? 'OCI index found, but accept header does not support OCI indexes'
      : 'OCI manifest found, but accept header does not support OCI manifests';
  throw new RegistryApiError('MANIFEST_UNKNOWN', what);
}
