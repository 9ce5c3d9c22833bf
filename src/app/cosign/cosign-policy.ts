/**
 * What cosign's verification use cases are told: who must have signed (a key, or a Fulcio
 * identity and issuer), how (transparency log required or not, the trusted root), and
 * through which bundle verifier (the CLI wires `KeyedBundleVerifier` over the Sigstore one,
 * `src/adapters/cosign/` and `src/adapters/sigstore/`).
 */
import type { KeyObject } from 'node:crypto';
import { publicKeyPem } from '../../core/cosign/key-signature.js';
import type {
  BundleVerificationOptions,
  BundleVerifier,
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

/** A key's policy, made once per key (a webhook checks every signature of every image against the same keys). */
const keyPolicies = new WeakMap<KeyObject, SigstorePolicy>();

export function sigstorePolicy(policy: CosignPolicy): SigstorePolicy {
  if (policy.kind !== 'key') return policy;
  let made = keyPolicies.get(policy.publicKey);
  if (!made) {
    made = { kind: 'key', publicKeyPem: publicKeyPem(policy.publicKey) };
    keyPolicies.set(policy.publicKey, made);
  }
  return made;
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
