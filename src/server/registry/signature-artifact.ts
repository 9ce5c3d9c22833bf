/**
 * Which manifests the pull gate lets through without a DCT signature: the signatures
 * (and other artifacts) that verifiers of a signed image must be able to read. A
 * signature manifest is never DCT-signed itself (cosign and Notation sign the image,
 * not their own manifests), so gating it like an image would hide every cosign and
 * Notation signature from consumers of a gated repository.
 *
 * The gate keeps unsigned *runnable* content from consumers; an artifact that carries
 * no filesystem cannot be run, so serving it unsigned is safe. The test is on content,
 * never on a name alone (an image manifest that merely has a `subject` is still an image):
 *
 * - an OCI image manifest (`application/vnd.oci.image.manifest.v1+json`; docker schema 2
 *   manifests never qualify) none of whose layers is a filesystem layer (OCI or docker
 *   layer types, anything with `tar` in its type, `application/octet-stream`), whose
 *   config is not docker's container config, and which is either a referrer (has a
 *   `subject`, and a config that is not an image's: an artifact's, or the empty one) or
 *   is asked for by one of cosign's tags (`sha256-<hex>.sig|.att|.sbom`) with at least one
 *   layer (cosign's legacy manifests carry an OCI image config and their payload layer).
 *   What is left — an image config over no filesystem — runs nothing from the registry.
 * - an OCI index that is a referrers list (the tag schema's `sha256-<hex>` index):
 *   every entry has an `artifactType` and none a `platform`. Its entries are fetched by
 *   digest afterwards and pass the gate (this rule) one by one.
 *
 * Blobs are not gated (they are only reachable through a manifest).
 */
import { DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';

/** cosign's legacy tags: `sha256-<hex>.sig`, `.att`, `.sbom` */
const COSIGN_TAG = /^sha256-[0-9a-f]{64}\.(?:sig|att|sbom)$/;

export type SignatureArtifactKind = 'referrer' | 'cosign-tag' | 'referrers-index';

/** Whether a layer media type can carry a filesystem a runtime would unpack. */
export function isFilesystemLayer(mediaType: string): boolean {
  const t = mediaType.toLowerCase();
  return (
    t.startsWith('application/vnd.oci.image.layer.') ||
    t.startsWith('application/vnd.docker.image.rootfs.') ||
    t.includes('tar') ||
    t === 'application/octet-stream'
  );
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const mediaTypeOf = (d: unknown): string | undefined => (isObject(d) && typeof d['mediaType'] === 'string' ? d['mediaType'] : undefined);

/**
 * The kind of signature artifact a stored manifest is, or undefined when it is an image
 * (or anything else the gate must judge). `tag`: the tag it is asked for by, if any.
 */
export function signatureArtifactKind(manifest: { mediaType: string; data: Buffer }, tag?: string): SignatureArtifactKind | undefined {
  if (manifest.mediaType !== OCI_MEDIA_TYPES.manifest && manifest.mediaType !== OCI_MEDIA_TYPES.index) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(manifest.data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(doc)) return undefined;
  if (manifest.mediaType === OCI_MEDIA_TYPES.index) {
    const entries = doc['manifests'];
    if (!Array.isArray(entries)) return undefined;
    const listOnly = entries.every(
      (e) => isObject(e) && typeof e['artifactType'] === 'string' && e['artifactType'] !== '' && e['platform'] === undefined,
    );
    return listOnly ? 'referrers-index' : undefined;
  }
  const layers = doc['layers'];
  if (!Array.isArray(layers)) return undefined;
  const configType = mediaTypeOf(doc['config']);
  if (configType === undefined || configType === DOCKER_MEDIA_TYPES.config) return undefined;
  for (const layer of layers) {
    const t = mediaTypeOf(layer);
    if (t === undefined || isFilesystemLayer(t)) return undefined;
  }
  // a referrer with an image's config would be a config-only image (entrypoint, env, user) that merely has a subject
  if (isObject(doc['subject']) && configType !== OCI_MEDIA_TYPES.config) return 'referrer';
  // cosign's legacy manifests carry an OCI image config, and always their payload as a layer
  if (tag !== undefined && COSIGN_TAG.test(tag) && layers.length > 0) return 'cosign-tag';
  return undefined;
}
