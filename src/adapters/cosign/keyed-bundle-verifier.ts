/**
 * Verifies a Sigstore bundle against a public key offline, as `cosign verify-blob --key
 * --bundle --insecure-ignore-tlog` does: the bundle's shape (`@sigstore/bundle`), the
 * artifact's digest, the signature with node:crypto (every cosign key type, Ed25519 too,
 * which `@sigstore/verify` cannot check for message signatures). The transparency log is
 * not consulted, so this is only used with `ignoreTlog`; every other case (a tlog entry to
 * check, a certificate identity) goes to the `fallback` verifier (`@sigstore/verify`).
 */
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { DctError } from '../../core/errors.js';
import type {
  BundleVerification,
  BundleVerificationOptions,
  BundleVerifier,
  SignedArtifact,
  SigstorePolicy,
} from '../../core/signatures/sigstore-verification.js';
import './errors.js';
import { digestOf, dssePae, verifyWith, type DigestName } from './signature-algorithm.js';

const HASHES: Record<number, DigestName> = { 0: 'sha256', 1: 'sha256', 2: 'sha384', 3: 'sha512' };

export class KeyedBundleVerifier implements BundleVerifier {
  constructor(private readonly fallback?: BundleVerifier) {}

  async verify(
    json: unknown,
    artifact: SignedArtifact,
    policy: SigstorePolicy,
    opts: BundleVerificationOptions = {},
  ): Promise<BundleVerification> {
    const bundle = await parseBundle(json);
    // a message signature over a digest alone is checked pre-hashed by the fallback
    const digestOnly = !('bytes' in artifact) && bundle.content.$case === 'messageSignature';
    if (policy.kind === 'key' && opts.ignoreTlog && !(digestOnly && this.fallback))
      return verifyWithKey(bundle, artifact, publicKeyOf(policy.publicKeyPem));
    if (
      policy.kind === 'key' &&
      !opts.ignoreTlog &&
      bundle.verificationMaterial.tlogEntries.length === 0 &&
      (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length ?? 0) === 0
    )
      throw new DctError(
        'COSIGN_TLOG_REQUIRED',
        'bundle does not contain a transparency log entry (threshold not met for verified log entry: 0 < 1): if it was signed with --tlog-upload=false, verify with --insecure-ignore-tlog',
      );
    if (this.fallback) return this.fallback.verify(json, artifact, policy, opts);
    throw new DctError(
      'COSIGN_VERIFY_UNSUPPORTED',
      policy.kind === 'key'
        ? 'verifying the transparency log entry of a bundle needs the Sigstore bundle verifier, which this build lacks: pass --insecure-ignore-tlog to check the signature alone'
        : 'keyless verification needs the Sigstore bundle verifier, which this build lacks',
    );
  }
}

/** `@sigstore/bundle` loads here, on the first bundle (a command that finds none never pays for it). */
export async function parseBundle(json: unknown): Promise<Bundle> {
  const sigstoreBundle: typeof import('@sigstore/bundle') = await import('@sigstore/bundle');
  try {
    const bundle = sigstoreBundle.bundleFromJSON(json);
    sigstoreBundle.assertBundle(bundle);
    return bundle;
  } catch (err) {
    throw new DctError('COSIGN_BUNDLE_MALFORMED', `invalid bundle: ${(err as Error).message}`, { cause: err });
  }
}

interface ParsedKey {
  key: KeyObject;
  /** its SubjectPublicKeyInfo (DER) */
  spki: Buffer;
}

/** The keys parsed lately, by PEM (a webhook checks every signature against the same few keys). */
const parsedKeys = new Map<string, ParsedKey>();
const MAX_PARSED_KEYS = 64;

function publicKeyOf(pem: string): ParsedKey {
  let parsed = parsedKeys.get(pem);
  if (!parsed) {
    const key = createPublicKey(pem);
    parsed = { key, spki: spkiOf(key) };
    if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.delete(parsedKeys.keys().next().value as string);
    parsedKeys.set(pem, parsed);
  }
  return parsed;
}

function verifyWithKey(bundle: Bundle, artifact: SignedArtifact, { key, spki }: ParsedKey): BundleVerification {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'x509CertificateChain' || material.$case === 'certificate') {
    const der = material.$case === 'certificate' ? material.certificate.rawBytes : material.x509CertificateChain.certificates[0]?.rawBytes;
    if (!der || !spkiOf(createPublicKey({ key: certificatePublicKey(der), format: 'der', type: 'spki' })).equals(spki))
      throw new DctError('COSIGN_BUNDLE_KEY_MISMATCH', "the bundle's certificate is not for the key given with --key");
  }
  const signer = { kind: 'key' as const, keyId: `sha256:${createHash('sha256').update(spki).digest('hex')}` };
  if (bundle.content.$case === 'messageSignature') {
    const { messageDigest, signature } = bundle.content.messageSignature;
    if (!('bytes' in artifact))
      throw new DctError(
        'COSIGN_VERIFY_UNSUPPORTED',
        'a message signature is checked against the blob itself: pass the file, not its digest',
      );
    const hash = HASHES[messageDigest?.algorithm ?? 1];
    if (messageDigest && (!hash || !digestOf(hash, artifact.bytes).equals(messageDigest.digest)))
      throw new DctError(
        'COSIGN_BLOB_DIGEST_MISMATCH',
        'error verifying bundle: message digest does not match the blob (the blob was changed, or the bundle is for another one)',
      );
    if (!verifyWith(key, artifact.bytes, signature))
      throw new DctError(
        'COSIGN_BLOB_SIGNATURE_INVALID',
        'error verifying bundle: invalid signature when validating the blob against the key',
      );
    return { signer, content: 'message-signature', tlog: [] };
  }
  const env = bundle.content.dsseEnvelope;
  const pae = dssePae(env.payloadType, env.payload);
  if (!env.signatures.some((s) => verifyWith(key, pae, s.sig)))
    throw new DctError('COSIGN_BLOB_SIGNATURE_INVALID', 'error verifying bundle: no DSSE signature verifies with the key');
  const want = 'bytes' in artifact ? createHash('sha256').update(artifact.bytes).digest('hex') : artifact.digest.replace(/^sha256:/, '');
  // as sigstore-go and the Sigstore bundle verifier: only an in-toto statement names the artifact it covers
  if (env.payloadType !== 'application/vnd.in-toto+json')
    throw new DctError(
      'COSIGN_BLOB_DIGEST_MISMATCH',
      `the DSSE payload is ${JSON.stringify(env.payloadType)}, not an in-toto statement: it names no artifact`,
    );
  const covered = statementDigests(env.payload);
  if (!covered.includes(want))
    throw new DctError('COSIGN_BLOB_DIGEST_MISMATCH', 'provided artifact digest does not match any digest in statement');
  return { signer, content: 'dsse-envelope', payload: { type: env.payloadType, bytes: env.payload }, tlog: [] };
}

function statementDigests(payload: Buffer): string[] {
  try {
    const statement = JSON.parse(payload.toString('utf8')) as { subject?: Array<{ digest?: { sha256?: unknown } }> };
    return (statement.subject ?? []).map((s) => s.digest?.sha256).filter((d): d is string => typeof d === 'string');
  } catch {
    return [];
  }
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

function certificatePublicKey(der: Buffer): Buffer {
  try {
    return new X509Certificate(der).publicKey.export({ format: 'der', type: 'spki' });
  } catch (err) {
    throw new DctError('COSIGN_BUNDLE_MALFORMED', `invalid bundle: its certificate does not parse: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
