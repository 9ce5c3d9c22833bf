/**
 * Media types of the OCI image spec (v1.1) and of docker's image manifest v2 schema 2.
 */

export const OCI_MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layout: 'application/vnd.oci.layout.header.v1+json',
  /** the empty JSON `{}` (OCI 1.1) used as the config of artifacts */
  empty: 'application/vnd.oci.empty.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** deprecated in OCI 1.1, still found in the wild (windows base layers) */
  layerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  layerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  layerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const;

export const DOCKER_MEDIA_TYPES = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  manifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  foreignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  pluginConfig: 'application/vnd.docker.plugin.v1+json',
  /** schema 1: refused (its digest depends on a JWS signature that is not part of the content) */
  schema1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The `{}` blob of `application/vnd.oci.empty.v1+json`. */
export const EMPTY_JSON_DESCRIPTOR = {
  mediaType: OCI_MEDIA_TYPES.empty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
} as const;

const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([OCI_MEDIA_TYPES.manifest, DOCKER_MEDIA_TYPES.manifest]);
const INDEX_TYPES: ReadonlySet<string> = new Set([OCI_MEDIA_TYPES.index, DOCKER_MEDIA_TYPES.manifestList]);
const SCHEMA1_TYPES: ReadonlySet<string> = new Set([DOCKER_MEDIA_TYPES.schema1Manifest, DOCKER_MEDIA_TYPES.schema1SignedManifest]);
const FOREIGN_LAYER_TYPES: ReadonlySet<string> = new Set([
  DOCKER_MEDIA_TYPES.foreignLayer,
  OCI_MEDIA_TYPES.layerNondistributable,
  OCI_MEDIA_TYPES.layerNondistributableGzip,
  OCI_MEDIA_TYPES.layerNondistributableZstd,
]);

/** An image manifest (OCI or docker schema 2). */
export function isImageManifestMediaType(mediaType: string): boolean {
  return IMAGE_MANIFEST_TYPES.has(mediaType);
}

/** An OCI index or a docker manifest list. */
export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/** Any manifest dct handles (image manifest, index, manifest list). */
export function isManifestMediaType(mediaType: string): boolean {
  return IMAGE_MANIFEST_TYPES.has(mediaType) || INDEX_TYPES.has(mediaType);
}

/** docker schema 1 (signed or not). */
export function isSchema1MediaType(mediaType: string): boolean {
  return SCHEMA1_TYPES.has(mediaType);
}

/** Layers that registries usually do not store (docker foreign layers, OCI non-distributable ones): fetched from their `urls`. */
export function isForeignLayerMediaType(mediaType: string): boolean {
  return FOREIGN_LAYER_TYPES.has(mediaType);
}

/** The `Accept` header for manifests: every type dct handles, indexes first. */
export const MANIFEST_ACCEPT_TYPES: readonly string[] = [
  OCI_MEDIA_TYPES.index,
  OCI_MEDIA_TYPES.manifest,
  DOCKER_MEDIA_TYPES.manifestList,
  DOCKER_MEDIA_TYPES.manifest,
];

/** `type/subtype` as RFC 6838 allows (parameters are not part of a descriptor's media type). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isValidMediaType(s: string): boolean {
  return MEDIA_TYPE.test(s);
}

/** The media type of a `Content-Type` header value: parameters dropped, lower case; '' when absent. */
export function mediaTypeOfContentType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
