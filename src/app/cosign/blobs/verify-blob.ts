/**
 * `cosign verify-blob`: a blob against a Sigstore bundle (through the BundleVerifier port),
 * a legacy bundle, or a bare `--signature`, with a public key or a certificate identity.
 * Throws a DctError with a stable code on every refusal; returns what was proven.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { DctError } from '../../../core/errors.js';
import type { SignerIdentity } from '../../../core/signatures/signature-report.js';
import type { BundleVerifier, SignedArtifact, StringMatcher, SigstorePolicy } from '../../../core/signatures/sigstore-verification.js';
import type { CosignKeyCodec } from '../keys/cosign-key-codec.js';

export interface VerifyBlobInput {
  artifact: SignedArtifact;
  /** the bytes of `--key` (a public key file) */
  key?: Buffer;
  /** the bytes of `--bundle` */
  bundle?: Buffer;
  /** `--signature`: the file's bytes or the literal value (base64 or raw) */
  signature?: Buffer;
  identity?: StringMatcher;
  issuer?: StringMatcher;
  trustedRoot?: unknown;
  ignoreTlog: boolean;
  newBundleFormat: boolean;
}

export interface VerifyBlobPorts {
  verifier: BundleVerifier;
  codec: CosignKeyCodec;
}

export interface VerifiedBlob {
  signer: SignerIdentity;
  via: 'bundle' | 'legacy-bundle' | 'signature';
}

export async function verifyBlob(input: VerifyBlobInput, ports: VerifyBlobPorts): Promise<VerifiedBlob> {
  if (!input.key && !input.bundle)
    throw new DctError(
      'COSIGN_FLAGS_INVALID',
      'provide a key with --key or --sk, a certificate to verify against with --certificate, or a bundle with --bundle',
    );
  if (input.key && input.identity)
    throw new DctError('COSIGN_FLAGS_INVALID', 'only one of --key and --certificate-identity/--certificate-identity-regexp may be given');
  const publicKey = input.key ? ports.codec.readPublic(input.key) : undefined;
  const parsed = input.bundle ? parseJson(input.bundle) : undefined;

  if (parsed && input.newBundleFormat && typeof parsed['mediaType'] === 'string') {
    const policy = policyOf(ports.codec, publicKey, input);
    const result = await ports.verifier.verify(parsed, input.artifact, policy, {
      ignoreTlog: input.ignoreTlog,
      ...(input.trustedRoot !== undefined ? { trustedRoot: input.trustedRoot } : {}),
    });
    return { signer: result.signer, via: 'bundle' };
  }
  if (parsed && typeof parsed['base64Signature'] !== 'string')
    throw new DctError(
      'COSIGN_BUNDLE_MALFORMED',
      'invalid bundle: neither a Sigstore bundle (mediaType) nor a cosign bundle (base64Signature)',
    );
  if (input.trustedRoot !== undefined) throw new DctError('COSIGN_FLAGS_INVALID', '--trusted-root only supported with --new-bundle-format');
  if (!publicKey)
    throw new DctError(
      'COSIGN_VERIFY_UNSUPPORTED',
      'verifying a legacy bundle or a bare signature needs --key (certificate verification takes a Sigstore bundle)',
    );
  if (!('bytes' in input.artifact))
    throw new DctError('COSIGN_FLAGS_INVALID', 'verifying a bare signature needs the blob itself, not its digest');
  const sigText = input.signature ?? (parsed ? Buffer.from(parsed['base64Signature'] as string) : undefined);
  if (!sigText) throw new DctError('COSIGN_FLAGS_INVALID', "missing flag '--signature'");
  if (!input.ignoreTlog) {
    if (parsed?.['rekorBundle'])
      throw new DctError(
        'COSIGN_VERIFY_UNSUPPORTED',
        "checking a legacy bundle's Rekor entry is not supported: verify a Sigstore bundle (--new-bundle-format), or pass --insecure-ignore-tlog",
      );
    throw new DctError(
      'COSIGN_TLOG_REQUIRED',
      'no transparency log entry to verify the signature against: pass --insecure-ignore-tlog for a signature made with --tlog-upload=false',
    );
  }
  if (typeof parsed?.['cert'] === 'string') checkBundleKey(ports.codec, publicKey, parsed['cert']);
  const signature = decodeSignature(sigText);
  if (!ports.codec.verifySignature(publicKey, input.artifact.bytes, signature))
    throw new DctError('COSIGN_BLOB_SIGNATURE_INVALID', 'invalid signature when validating the blob against the key');
  return { signer: { kind: 'key', keyId: keyIdOf(ports.codec, publicKey) }, via: parsed ? 'legacy-bundle' : 'signature' };
}

function policyOf(codec: CosignKeyCodec, publicKey: KeyObject | undefined, input: VerifyBlobInput): SigstorePolicy {
  if (publicKey) return { kind: 'key', publicKeyPem: codec.writePublic(publicKey) };
  if (!input.identity)
    throw new DctError(
      'COSIGN_FLAGS_INVALID',
      '--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode',
    );
  if (!input.issuer)
    throw new DctError(
      'COSIGN_FLAGS_INVALID',
      '--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode',
    );
  return { kind: 'identity', identity: input.identity, issuer: input.issuer };
}

function parseJson(bytes: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DctError('COSIGN_BUNDLE_MALFORMED', `invalid bundle: ${(err as Error).message}`, { cause: err });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DctError('COSIGN_BUNDLE_MALFORMED', 'invalid bundle: not a JSON object');
  return v as Record<string, unknown>;
}

/** cosign's isb64: a signature file holds base64 text, else raw bytes */
function decodeSignature(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').trim();
  if (text.length > 0 && text.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) return Buffer.from(text, 'base64');
  return bytes;
}

/** a legacy bundle's `cert` (base64 of a PEM public key or certificate) must be the key given */
function checkBundleKey(codec: CosignKeyCodec, publicKey: KeyObject, cert: string): void {
  const pem = /^[A-Za-z0-9+/=\s]+$/.test(cert) ? Buffer.from(cert, 'base64').toString('utf8') : cert;
  if (!pem.includes('PUBLIC KEY')) return;
  let bundled: KeyObject;
  try {
    bundled = codec.readPublic(pem);
  } catch {
    return;
  }
  if (codec.writePublic(bundled) !== codec.writePublic(publicKey))
    throw new DctError('COSIGN_BUNDLE_KEY_MISMATCH', "the bundle's public key is not the key given with --key");
}

function keyIdOf(codec: CosignKeyCodec, key: KeyObject): string {
  return `sha256:${createHashHex(codec.writePublic(key))}`;
}

function createHashHex(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex');
}
