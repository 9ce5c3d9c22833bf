/**
 * What cosign's verification use cases are told: who must have signed (a key, or a Fulcio
 * identity and issuer), how (transparency log required or not, the trusted root), and
 * through which bundle verifier. `keyedBundleVerifier` is the offline verifier for keys
 * without a transparency log; the CLI wires the Sigstore one (`@sigstore/verify`) in its place.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { verifyBundleWithKey } from '../../core/cosign/keyed-bundle.js';
import { publicKeyId, publicKeyPem } from '../../core/cosign/key-signature.js';
import type {
  BundleVerification,
  BundleVerificationOptions,
  BundleVerifier,
  SignedArtifact,
  SigstorePolicy,
  StringMatcher,
} from '../../core/signatures/sigstore-verification.js';

export type CosignPolicy = { kind: 'key'; publicKey: KeyObject } | { kind: 'identity'; identity: StringMatcher; issuer: StringMatcher };

export interface CosignVerifyOptions {
  policy: CosignPolicy;
  bundleVerifier: BundleVerifier;
  /** trusted_root.json (parsed); absent: the verifier's default */
  trustedRoot?: unknown;
  /** `--insecure-ignore-tlog` */
  ignoreTlog: boolean;
  /** `-a key=value`: each must be among the signed annotations */
  annotations?: Record<string, string>;
  /** `--check-claims=false`: the payload's digest and annotations are not checked (default true) */
  checkClaims?: boolean;
  signal?: AbortSignal;
}

export function sigstorePolicy(policy: CosignPolicy): SigstorePolicy {
  return policy.kind === 'key' ? { kind: 'key', publicKeyPem: publicKeyPem(policy.publicKey) } : policy;
}

export function bundleOptions(opts: CosignVerifyOptions): BundleVerificationOptions {
  // `checkClaims` is the Sigstore verifier's own option (statement subjects against the artifact)
  const out: BundleVerificationOptions & { checkClaims?: boolean } = {
    ignoreTlog: opts.ignoreTlog,
    ...(opts.trustedRoot !== undefined ? { trustedRoot: opts.trustedRoot } : {}),
    ...(opts.checkClaims === false ? { checkClaims: false } : {}),
  };
  return out;
}

/**
 * A BundleVerifier for keyed signatures checked offline without a transparency log: the
 * signature with the key, nothing more. Refuses what it cannot check (identities, a required log).
 */
export function keyedBundleVerifier(): BundleVerifier {
  return {
    verify(
      bundle: unknown,
      artifact: SignedArtifact,
      policy: SigstorePolicy,
      opts?: BundleVerificationOptions,
    ): Promise<BundleVerification> {
      if (policy.kind !== 'key')
        return Promise.reject(
          new DctError('COSIGN_TLOG_REQUIRED', 'keyless verification needs the Sigstore bundle verifier and a trusted root'),
        );
      if (!opts?.ignoreTlog)
        return Promise.reject(
          new DctError(
            'COSIGN_TLOG_REQUIRED',
            'this signature has no verifiable transparency log entry; pass --insecure-ignore-tlog=true to verify it with the key alone',
          ),
        );
      try {
        const key = createPublicKey(policy.publicKeyPem);
        const r = verifyBundleWithKey(bundle, key, artifact);
        return Promise.resolve({
          signer: { kind: 'key', keyId: publicKeyId(key) },
          content: r.content,
          ...(r.payload ? { payload: r.payload } : {}),
          tlog: [],
        });
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
