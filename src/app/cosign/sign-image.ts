/**
 * `cosign sign`: sign an image's digest and store the signature next to it, in cosign 3's
 * default layout (an in-toto statement signed as DSSE, in a Sigstore bundle attached as an
 * OCI 1.1 referrer, with the referrers tag-schema fallback) or in the legacy one
 * (`--new-bundle-format=false`: a simple-signing payload added as a layer to the
 * `sha256-<hex>.sig` manifest, an identical signature not added twice). `--recursive` signs
 * an index and each manifest it lists.
 */
import { createPublicKey } from 'node:crypto';
import { buildBundleReferrer, bundleLayer, COSIGN_SIGN_PREDICATE_TYPE, createdAnnotation } from '../../core/cosign/bundle-referrer.js';
import { cosignSignStatement, IN_TOTO_PAYLOAD_TYPE } from '../../core/cosign/intoto-statement.js';
import { verifyWithKey } from '../../core/cosign/key-signature.js';
import { rekorBundleAnnotation } from '../../core/cosign/legacy-bundle.js';
import {
  buildLegacySignatureManifest,
  LEGACY_ANNOTATIONS,
  legacyLayerAnnotations,
  legacySignatureLayer,
  legacySignatureTag,
  parseLegacySignatureManifest,
  type LegacySignature,
} from '../../core/cosign/legacy-signatures.js';
import { simpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE } from '../../core/cosign/simple-signing.js';
import { EMPTY_JSON_DESCRIPTOR, isIndexMediaType, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { parseManifest } from '../../core/oci/manifest.js';
import type { SigstoreSignature, SigstoreSigner } from '../../core/signatures/sigstore-signing.js';
import { attachReferrer } from '../signatures/attach-referrer.js';
import { resolveImage, type CosignImage, type ResolvedImage } from './cosign-image.js';

export interface SignImageInput {
  image: CosignImage;
  signer: SigstoreSigner;
  /** `bundle`: cosign 3's default; `legacy`: `--new-bundle-format=false` */
  format: 'bundle' | 'legacy';
  tlogUpload: boolean;
  /** `-a key=value` */
  annotations?: Record<string, string>;
  /** `--recursive`: an index and each manifest it lists */
  recursive?: boolean;
  now?: () => Date;
  signal?: AbortSignal;
}

export interface SignedDigest {
  digest: string;
  format: 'bundle' | 'legacy';
  /** base64 signature */
  signature: string;
  certificatePem?: string;
  publicKeyPem?: string;
  /** bundle: the referrer manifest's digest and how it was attached */
  referrer?: { digest: string; via: 'api' | 'tag' };
  /** legacy: the signature tag, and whether the signature was already there */
  signatureTag?: string;
  alreadySigned?: boolean;
}

/** Signs the image (and with `recursive`, every manifest of its index). */
export async function signImage(input: SignImageInput): Promise<SignedDigest[]> {
  const root = await resolveImage(input.image);
  const targets: ResolvedImage[] = [root];
  if (input.recursive && isIndexMediaType(root.mediaType)) {
    const index = parseManifest(root.bytes, { contentType: root.mediaType, name: `${input.image.repository}@${root.digest}` });
    if (index.kind === 'index')
      for (const d of index.manifests) targets.push({ digest: d.digest, mediaType: d.mediaType, size: d.size, bytes: Buffer.alloc(0) });
  }
  const out: SignedDigest[] = [];
  for (const t of targets) out.push(input.format === 'bundle' ? await signWithBundle(input, t) : await signLegacy(input, t.digest));
  return out;
}

async function signWithBundle(input: SignImageInput, target: ResolvedImage): Promise<SignedDigest> {
  const { registry, repo } = input.image;
  const statement = cosignSignStatement(target.digest, input.annotations ?? {});
  const signed = await input.signer.sign(
    { kind: 'dsse', payload: statement, payloadType: IN_TOTO_PAYLOAD_TYPE },
    { tlogUpload: input.tlogUpload, ...(input.signal ? { signal: input.signal } : {}) },
  );
  const bundleJson = Buffer.from(JSON.stringify(signed.bundle), 'utf8');
  const layer = bundleLayer(bundleJson);
  await registry.writeBlob(repo, { ...EMPTY_JSON_DESCRIPTOR }, Buffer.from('{}'));
  await registry.writeBlob(repo, layer, bundleJson);
  const subject: Descriptor = { mediaType: target.mediaType, digest: target.digest, size: target.size };
  const referrer = buildBundleReferrer({
    bundle: layer,
    subject,
    content: 'dsse-envelope',
    predicateType: COSIGN_SIGN_PREDICATE_TYPE,
    created: createdAnnotation((input.now ?? (() => new Date()))()),
  });
  const attached = await attachReferrer(registry, repo, {
    bytes: referrer.bytes,
    mediaType: referrer.mediaType,
    subject,
    artifactType: referrer.artifactType,
  });
  return { digest: target.digest, format: 'bundle', referrer: attached, ...signatureFacts(signed) };
}

async function signLegacy(input: SignImageInput, digest: string): Promise<SignedDigest> {
  const { registry, repo } = input.image;
  const payload = simpleSigningPayload(input.image.repository, digest, input.annotations);
  const signed = await input.signer.sign(
    { kind: 'message', bytes: payload },
    { tlogUpload: input.tlogUpload, ...(input.signal ? { signal: input.signal } : {}) },
  );
  const facts = signatureFacts(signed);
  const rekorBundle = rekorBundleAnnotation(signed.bundle);
  const layer = legacySignatureLayer(
    payload,
    SIMPLE_SIGNING_MEDIA_TYPE,
    legacyLayerAnnotations({
      signature: facts.signature,
      ...(signed.certificatePem !== undefined ? { certificatePem: signed.certificatePem } : {}),
      ...(signed.chainPem !== undefined ? { chainPem: signed.chainPem } : {}),
      ...(rekorBundle !== undefined ? { bundle: rekorBundle } : {}),
    }),
  );
  const tag = legacySignatureTag(digest, 'sig');
  const name = `${input.image.repository}:${tag}`;
  const existing = await registry.getManifest(repo, tag, [OCI_MEDIA_TYPES.manifest]);
  const layers: LegacySignature[] = existing ? parseLegacySignatureManifest(existing.bytes, existing.mediaType, name, 'sig') : [];
  const verifyKey = signed.publicKeyPem ?? signed.certificatePem;
  const duplicate = layers.some((l) => isDuplicate(l, layer, payload, verifyKey));
  if (!duplicate) {
    await registry.writeBlob(repo, layer, payload);
    const built = buildLegacySignatureManifest([...layers.map((l) => l.layer), layer]);
    await registry.writeBlob(repo, built.configDescriptor, built.config);
    await registry.putManifest(repo, tag, built.manifest, built.mediaType);
  }
  return { digest, format: 'legacy', signatureTag: tag, alreadySigned: duplicate, ...facts };
}

/**
 * cosign's dupe detector: same payload, media type and annotations (but the signature), and the
 * old signature verifies with the signer's key.
 */
function isDuplicate(existing: LegacySignature, added: Descriptor, payload: Buffer, keyPem: string | undefined): boolean {
  if (keyPem === undefined || existing.layer.digest !== added.digest || existing.layer.mediaType !== added.mediaType) return false;
  for (const [k, v] of Object.entries(added.annotations ?? {})) {
    if (k === LEGACY_ANNOTATIONS.signature) continue;
    if (existing.layer.annotations?.[k] !== v) return false;
  }
  try {
    return verifyWithKey(createPublicKey(keyPem), payload, Buffer.from(existing.signature, 'base64'));
  } catch {
    return false;
  }
}

function signatureFacts(s: SigstoreSignature): Pick<SignedDigest, 'signature' | 'certificatePem' | 'publicKeyPem'> {
  return {
    signature: Buffer.from(s.signature).toString('base64'),
    ...(s.certificatePem !== undefined ? { certificatePem: s.certificatePem } : {}),
    ...(s.publicKeyPem !== undefined ? { publicKeyPem: s.publicKeyPem } : {}),
  };
}
