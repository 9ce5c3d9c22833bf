/**
 * Signatures tampered with in the registry, as an attacker with push access would: a cosign
 * signature annotation with one bit flipped (legacy `.sig` tag layout), and a Notation
 * envelope whose payload is rewritten to claim another image, its signature bytes kept.
 */
import { createHash } from 'node:crypto';
import { attachReferrer } from '../../src/app/signatures/attach-referrer.js';
import type { Descriptor } from '../../src/core/oci/descriptor.js';
import type { PushedImage, SigningWorld } from './admission-world.js';

const COSIGN_SIGNATURE = 'dev.cosignproject.cosign/signature';

/** Alters one byte of every cosign signature annotation of the image's legacy `.sig` tag, in the registry. */
export async function tamperCosignSignature(world: SigningWorld, image: PushedImage): Promise<void> {
  const store = world.store(image.name.split('/')[0] as string);
  const repo = image.name.split('/').slice(1).join('/');
  const tag = `${image.digest.replace(':', '-')}.sig`;
  const m = await store.getManifest(repo, tag);
  if (!m) throw new Error(`no cosign signature tag ${tag} in ${repo}`);
  const doc = JSON.parse(m.bytes.toString()) as { layers: Array<{ annotations?: Record<string, string> }> };
  let altered = 0;
  for (const layer of doc.layers) {
    const sig = layer.annotations?.[COSIGN_SIGNATURE];
    if (sig === undefined) continue;
    const bytes = Buffer.from(sig, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    (layer.annotations as Record<string, string>)[COSIGN_SIGNATURE] = bytes.toString('base64');
    altered++;
  }
  if (altered === 0) throw new Error(`no ${COSIGN_SIGNATURE} annotation in ${repo}:${tag}`);
  await store.putManifest(repo, tag, Buffer.from(JSON.stringify(doc)), m.mediaType ?? 'application/vnd.oci.image.manifest.v1+json');
}

const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature';

/**
 * A Notation signature tampered with in the registry: `signed`'s JWS envelope with its payload
 * rewritten to claim `victim` (an annotation added), the signature bytes kept, attached to
 * `victim` as a new referrer (the `sha256-<hex>` index on a registry without the referrers API).
 */
export async function tamperNotationSignature(world: SigningWorld, signed: PushedImage, victim: PushedImage): Promise<void> {
  const host = signed.name.split('/')[0] as string;
  const repo = signed.name.split('/').slice(1).join('/');
  const store = world.store(host);
  const { manifests } = await store.referrers(repo, signed.digest, { artifactType: NOTATION_SIGNATURE });
  const signature = manifests[0];
  if (!signature) throw new Error(`no notation signature of ${signed.image}`);
  const m = await store.getManifest(repo, signature.digest);
  if (!m) throw new Error(`the notation signature ${signature.digest} is gone`);
  const doc = JSON.parse(m.bytes.toString()) as { mediaType: string; layers: Descriptor[]; subject: Descriptor };
  const layer = doc.layers[0] as Descriptor;
  const envelope = JSON.parse((await store.readBlob(repo, layer, 1 << 20)).toString()) as { payload: string };
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { targetArtifact: Descriptor };
  const subject: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: victim.digest, size: victim.size };
  payload.targetArtifact = { ...subject, annotations: { injected: 'yes' } };
  envelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const bytes = Buffer.from(JSON.stringify(envelope));
  const tampered: Descriptor = { ...layer, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
  await store.writeBlob(repo, tampered, bytes);
  const manifest = Buffer.from(JSON.stringify({ ...doc, layers: [tampered], subject }));
  const tagSchema = !(await store.supportsReferrersApi(repo, signed.digest));
  await attachReferrer(store, repo, { bytes: manifest, mediaType: m.mediaType ?? doc.mediaType, subject }, { forceTag: tagSchema });
}
