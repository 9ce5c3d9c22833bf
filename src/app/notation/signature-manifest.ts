/**
 * A Notation signature as it is stored next to the artifact (Notary Project signature
 * specification, "OCI Signatures"): an OCI image manifest with `artifactType`
 * `application/vnd.cncf.notary.signature`, the empty config, one layer that is the envelope
 * (`application/jose+json` or `application/cose`) and `subject` = the signed artifact; the
 * annotations carry the SHA-256 thumbprints of the signing chain and the creation time. The
 * OCI 1.0 form (`config.mediaType` = the signature type, no `artifactType`) is read as well.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { descriptorToJSON, type Descriptor } from '../../core/oci/descriptor.js';
import { digestOf } from '../../core/oci/digest.js';
import { parseManifest, type ImageManifest } from '../../core/oci/manifest.js';
import { EMPTY_JSON_DESCRIPTOR, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';

export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
/** notation-go's limit on a signature envelope blob */
export const MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;

export interface BuiltSignatureManifest {
  bytes: Buffer;
  /** the manifest's descriptor as listed in a referrers index (artifact type and annotations included) */
  descriptor: Descriptor;
  config: { descriptor: Descriptor; bytes: Buffer };
  envelope: { descriptor: Descriptor; bytes: Buffer };
}

/** RFC 3339 to the second, UTC, as Go's `time.RFC3339` prints a UTC time */
export function rfc3339Seconds(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The chain's thumbprints as the annotation holds them: a JSON list of lower-case hex SHA-256 of each DER certificate */
export function chainThumbprints(chain: readonly X509Certificate[]): string {
  return JSON.stringify(chain.map((c) => createHash('sha256').update(c.raw).digest('hex')));
}

/** The signature manifest notation 1.x pushes for an envelope over `subject`. */
export function buildSignatureManifest(
  envelope: { bytes: Uint8Array; mediaType: string; chain: readonly X509Certificate[] },
  subject: Descriptor,
  created: Date,
): BuiltSignatureManifest {
  const envelopeBytes = Buffer.from(envelope.bytes);
  const envelopeDescriptor: Descriptor = { mediaType: envelope.mediaType, digest: digestOf(envelopeBytes), size: envelopeBytes.length };
  const configDescriptor: Descriptor = { ...EMPTY_JSON_DESCRIPTOR, data: 'e30=' };
  const annotations = { [THUMBPRINT_ANNOTATION]: chainThumbprints(envelope.chain), [CREATED_ANNOTATION]: rfc3339Seconds(created) };
  const json = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.manifest,
    artifactType: NOTATION_ARTIFACT_TYPE,
    config: descriptorToJSON(configDescriptor),
    layers: [descriptorToJSON(envelopeDescriptor)],
    subject: descriptorToJSON({ mediaType: subject.mediaType, digest: subject.digest, size: subject.size }),
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(json));
  return {
    bytes,
    descriptor: {
      mediaType: OCI_MEDIA_TYPES.manifest,
      digest: digestOf(bytes),
      size: bytes.length,
      annotations,
      artifactType: NOTATION_ARTIFACT_TYPE,
    },
    config: { descriptor: { ...EMPTY_JSON_DESCRIPTOR }, bytes: Buffer.from('{}') },
    envelope: { descriptor: envelopeDescriptor, bytes: envelopeBytes },
  };
}

/** Whether a manifest (or a referrers entry) is a Notation signature: by artifact type, else by config media type (OCI 1.0 form). */
export function isNotationSignature(m: { artifactType?: string; config?: { mediaType: string } }): boolean {
  return m.artifactType === NOTATION_ARTIFACT_TYPE || (m.artifactType === undefined && m.config?.mediaType === NOTATION_ARTIFACT_TYPE);
}

/**
 * Reads a signature manifest: an OCI image manifest of the Notation signature type with exactly
 * one layer (the envelope). Anything else is refused with NOTATION_BAD_SIGNATURE_MANIFEST.
 */
export function parseSignatureManifest(
  bytes: Uint8Array,
  mediaType: string,
  digest: string,
): { manifest: ImageManifest; envelope: Descriptor } {
  let manifest;
  try {
    manifest = parseManifest(bytes, { contentType: mediaType });
  } catch (err) {
    throw new DctError(
      'NOTATION_BAD_SIGNATURE_MANIFEST',
      `signature manifest ${digest} is not a valid OCI manifest: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (manifest.kind !== 'manifest' || manifest.mediaType !== OCI_MEDIA_TYPES.manifest)
    throw new DctError(
      'NOTATION_BAD_SIGNATURE_MANIFEST',
      `signature manifest ${digest} is a ${manifest.mediaType}, not an OCI image manifest`,
    );
  if (!isNotationSignature(manifest))
    throw new DctError(
      'NOTATION_BAD_SIGNATURE_MANIFEST',
      `manifest ${digest} is not a Notation signature: artifact type ${JSON.stringify(manifest.artifactType ?? manifest.config.mediaType)}, expected ${JSON.stringify(NOTATION_ARTIFACT_TYPE)}`,
    );
  if (manifest.layers.length !== 1)
    throw new DctError(
      'NOTATION_BAD_SIGNATURE_MANIFEST',
      `signature manifest requries exactly one signature envelope blob, got ${manifest.layers.length} (${digest})`,
    );
  const envelope = manifest.layers[0] as Descriptor;
  if (envelope.size > MAX_ENVELOPE_BYTES)
    throw new DctError(
      'NOTATION_BAD_SIGNATURE_MANIFEST',
      `signature envelope of ${digest} is ${envelope.size} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit`,
    );
  return { manifest, envelope };
}
