/**
 * The signers `dct trust resign` re-signs with, one per repository, wired as `dct push
 * --sign-format` and `dct cosign sign` / `dct notation sign` are (src/cli/format-signing.ts):
 * the registry opened with a push token (`forWrite`), cosign's signing use case with a
 * cosign key file (COSIGN_PASSWORD; cosign 3's bundle referrer, or the legacy `.sig` tag),
 * notation's with a key of notation's configuration (a JWS envelope as a referrer). The key
 * is loaded once per run. "Already signed" is read from the registry: a cosign signature of
 * the digest that verifies with the key's public key, a notation signature whose signing
 * certificate is the key's.
 */
import { createHash, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cosignKeyCodec } from '../../../adapters/cosign/cosign-key-codec.js';
import { KeyedBundleVerifier } from '../../../adapters/cosign/keyed-bundle-verifier.js';
import { CosignKeySigner } from '../../../adapters/cosign/key-signer.js';
import { cosignPasswordSource } from '../../../adapters/cosign/password.js';
import { notationConfigDir, readSigningKey } from '../../../adapters/notation/config/index.js';
import { inspectEnvelope, signEnvelope } from '../../../adapters/notation/envelope/index.js';
import { SigstoreBundleVerifier } from '../../../adapters/sigstore/bundle-verifier.js';
import type { CosignImage } from '../../../app/cosign/cosign-image.js';
import { loadPrivateKey } from '../../../app/cosign/keys/key-pair.js';
import { signImage } from '../../../app/cosign/sign-image.js';
import { verifyImage } from '../../../app/cosign/verify-image.js';
import { NotationRepository } from '../../../app/notation/notation-repository.js';
import { signArtifact } from '../../../app/notation/sign-artifact.js';
import type { EnvelopeSigner } from '../../../app/notation/ports.js';
import type { RegistryTagLister, ResignSigner } from '../../../app/trust-resign/ports.js';
import { DctError, isDctError } from '../../../core/errors.js';
import type { ImageReference } from '../../../core/image-reference.js';
import { openSignatureRegistry } from '../../signature-registry.js';

export interface ResignKeyOptions {
  format: 'cosign' | 'notation';
  /** cosign: the key file; notation: the key's name (default: notation's default key) */
  key?: string;
  tlogUpload: boolean;
  newBundleFormat: boolean;
}

/** the signatures of a digest read to find one by the key (notation verify's default bound) */
const MAX_SIGNATURES = 100;

type Env = Readonly<Record<string, string | undefined>>;

/** A key loaded once for the whole run. */
export type LoadedKey =
  | { format: 'cosign'; privateKey: KeyObject; publicKey: KeyObject; keyId: string }
  | { format: 'notation'; name: string; key: KeyObject; chain: X509Certificate[]; fingerprint: string };

export async function loadResignKey(o: ResignKeyOptions, env: Env): Promise<LoadedKey> {
  if (o.format === 'cosign') {
    if (o.key === undefined)
      throw new DctError('INVALID_ARGUMENT', '--as cosign needs --key FILE (a cosign key file; dct cosign generate-key-pair)');
    const privateKey = await loadPrivateKey(cosignKeyCodec, await readFile(o.key), cosignPasswordSource({ env }));
    const publicKey = createPublicKey(privateKey);
    const der = publicKey.export({ format: 'der', type: 'spki' });
    return { format: 'cosign', privateKey, publicKey, keyId: `sha256:${createHash('sha256').update(der).digest('hex')}` };
  }
  const { name, key, chain } = await readSigningKey(notationConfigDir(env), o.key);
  const leaf = chain[0];
  if (!leaf) throw new DctError('INVALID_ARGUMENT', `notation key ${name} has no certificate`);
  return { format: 'notation', name, key, chain, fingerprint: createHash('sha256').update(leaf.raw).digest('hex') };
}

export interface OpenedSigner {
  signer: ResignSigner;
  tags: RegistryTagLister;
  close(): void;
}

/** The signer of one repository (`ref`: the repository, no tag), its registry opened for writing. */
export async function openResignSigner(
  ref: ImageReference,
  key: LoadedKey,
  o: ResignKeyOptions,
  env: Env,
  warn: (m: string) => void,
): Promise<OpenedSigner> {
  const access = await openSignatureRegistry(ref, env, warn, { forWrite: true });
  const tags: RegistryTagLister = { list: () => access.client.listTags(access.repo) };
  const close = () => access.client.close();
  if (key.format === 'cosign') {
    const host = ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain;
    const image = (digest: string): CosignImage => ({
      registry: access.registry,
      registryHost: ref.domain,
      repo: access.repo,
      repository: `${host}/${ref.path}`,
      reference: digest,
    });
    const signer: ResignSigner = {
      format: 'cosign',
      keyId: key.keyId,
      async alreadySigned(digest) {
        try {
          const v = await verifyImage({
            image: image(digest),
            displayName: `${host}/${ref.path}@${digest}`,
            newBundleFormat: o.newBundleFormat,
            policy: { kind: 'key', publicKey: key.publicKey },
            bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
            ignoreTlog: true,
          });
          return v.verified.length > 0 && v.layout === (o.newBundleFormat ? 'bundle' : 'legacy');
        } catch (err) {
          if (isDctError(err) && err.code.startsWith('COSIGN_NO_')) return false;
          throw err;
        }
      },
      async sign(digest, annotations) {
        const [signed] = await signImage({
          image: image(digest),
          signer: new CosignKeySigner(key.privateKey),
          format: o.newBundleFormat ? 'bundle' : 'legacy',
          tlogUpload: o.tlogUpload,
          annotations: { ...annotations },
        });
        return signed?.referrer?.digest ?? signed?.signatureTag ?? digest;
      },
    };
    return { signer, tags, close };
  }
  const repository = new NotationRepository(access.registry, access.repo, ref.name);
  const envelopeSigner: EnvelopeSigner = {
    sign: (req) => {
      const envelope = signEnvelope({ ...req, key: key.key, chain: key.chain, signingAgent: 'dct' });
      return Promise.resolve({ bytes: envelope.bytes, mediaType: envelope.mediaType, chain: key.chain });
    },
  };
  const signer: ResignSigner = {
    format: 'notation',
    keyId: key.fingerprint,
    async alreadySigned(digest) {
      const list = await repository.signatures(await repository.resolve(ref.withDigest(digest)), MAX_SIGNATURES);
      for (const manifest of list.manifests) {
        try {
          const envelope = await repository.envelope(manifest);
          if (inspectEnvelope(envelope.bytes, envelope.mediaType).certificates[0]?.sha256Fingerprint === key.fingerprint) return true;
        } catch (err) {
          // a signature that cannot be read is not ours: it does not count (notation inspect skips it too)
          if (!(err instanceof Error)) throw err;
        }
      }
      return false;
    },
    async sign(digest, annotations) {
      const signed = await signArtifact({
        repository,
        reference: ref.withDigest(digest),
        signer: envelopeSigner,
        format: 'jws',
        now: new Date(),
        forceReferrersTag: true,
        userMetadata: annotations,
      });
      return signed.signatureDigest;
    },
  };
  return { signer, tags, close };
}
