/**
 * `notation sign`: the artifact resolved to its digest, an envelope over its descriptor (user
 * metadata as the descriptor's annotations) made by the configured key, stored as a signature
 * manifest that refers to it (referrers tag schema by default, as notation 1.x's
 * `--force-referrers-tag`; the referrers API when that is off and the registry has one).
 */
import { DctError } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { digestReference } from './artifact-reference.js';
import type { NotationRepository } from './notation-repository.js';
import type { EnvelopeFormat, EnvelopeSigner } from './ports.js';
import { buildSignatureManifest } from './signature-manifest.js';

/** user metadata keys notation keeps for itself */
const RESERVED_PREFIX = 'io.cncf.notary';

export interface SignArtifactRequest {
  repository: NotationRepository;
  reference: ImageReference;
  signer: EnvelopeSigner;
  format: EnvelopeFormat;
  now: Date;
  /** `--expiry`, in milliseconds (0 or absent: none) */
  expiryMs?: number;
  userMetadata?: Readonly<Record<string, string>>;
  /** store through the `sha256-<hex>` index even when the registry has the referrers API (notation's default) */
  forceReferrersTag: boolean;
}

export interface SignArtifactResult {
  /** `host/repo@sha256:…` of the artifact */
  reference: string;
  artifact: Descriptor;
  fromTag: boolean;
  /** `host/repo@sha256:…` of the signature manifest */
  signatureReference: string;
  signatureDigest: string;
  envelopeMediaType: string;
  via: 'api' | 'tag';
}

export async function signArtifact(req: SignArtifactRequest): Promise<SignArtifactResult> {
  if (req.expiryMs !== undefined && (!Number.isFinite(req.expiryMs) || req.expiryMs < 0))
    throw new DctError('NOTATION_INVALID_OPTION', `expiry duration ${req.expiryMs}ms must not be negative`);
  const metadata = Object.entries(req.userMetadata ?? {});
  for (const [k] of metadata)
    if (k.startsWith(RESERVED_PREFIX))
      throw new DctError('NOTATION_INVALID_OPTION', `error adding user metadata: metadata key ${k} has reserved prefix ${RESERVED_PREFIX}`);
  const artifact = await req.repository.resolve(req.reference);
  const target: Descriptor = {
    mediaType: artifact.mediaType,
    digest: artifact.digest,
    size: artifact.size,
    ...(metadata.length > 0 ? { annotations: Object.fromEntries(metadata) } : {}),
  };
  const signingTime = new Date(Math.floor(req.now.getTime() / 1000) * 1000);
  const envelope = await req.signer.sign({
    targetArtifact: target,
    format: req.format,
    signingTime,
    ...(req.expiryMs ? { expiry: new Date(signingTime.getTime() + req.expiryMs) } : {}),
  });
  const built = buildSignatureManifest(envelope, artifact, signingTime);
  const pushed = await req.repository.push(built, artifact, req.forceReferrersTag);
  return {
    reference: digestReference(req.reference, artifact.digest),
    artifact,
    fromTag: req.reference.digest === undefined,
    signatureReference: digestReference(req.reference, pushed.digest),
    signatureDigest: pushed.digest,
    envelopeMediaType: envelope.mediaType,
    via: pushed.via,
  };
}
