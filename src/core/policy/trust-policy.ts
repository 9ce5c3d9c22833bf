/**
 * The trust policy as dct evaluates it (issue 13), compiled from the policy file
 * (`compilePolicy`, `src/core/policy/compile-policy.ts`): rules that match images by
 * registry/repository patterns, each with a mode and a requirement over the signatures
 * every format reports; the publishers of each namespace (typosquatting); the default mode.
 */
import type { StringMatcher } from '../signatures/sigstore-verification.js';
import type { PolicyMode } from './decision.js';

/** A path into the policy document (`['rules', 1, 'require', 'cosign', 'key']`), for errors and outcomes. */
export type PolicyPath = ReadonlyArray<string | number>;

/** DCT/Notary trust data: who signed the tag (released roles, delegations by name, key IDs). */
export interface DctRequirement {
  kind: 'dct';
  /** signer names: `releases` (a released role: `targets/releases` or `targets`), `alice` (`targets/alice`) */
  signers?: string[];
  /** role names (`targets`, `targets/releases`, `targets/alice`) */
  roles?: string[];
  /** TUF key IDs of the role's signing keys */
  keys?: string[];
  /** the tag itself must be signed through DCT/TUF (freshness), not only the digest */
  fresh: boolean;
  path: PolicyPath;
}

/** cosign: a public key, or a keyless (Fulcio) identity and issuer. */
export interface CosignRequirement {
  kind: 'cosign';
  key?: {
    /** PEM SubjectPublicKeyInfo */
    pem: string;
    /** `sha256:<hex>` of the SPKI DER, as cosign reports name the key */
    keyId: string;
    /** where the policy got it: the file name, or `inline` */
    source: string;
  };
  identity?: StringMatcher;
  issuer?: StringMatcher;
  /** the signature must be in a transparency log (default true; `tlog: false` for keys signed with `--tlog-upload=false`) */
  tlog: boolean;
  path: PolicyPath;
}

/** Notation: a trust store (`ca:name`, in notation's configuration) and/or a trusted identity (`x509.subject:<DN>`). */
export interface NotationRequirement {
  kind: 'notation';
  /** `<type>:<name>` with type `ca`, `signingAuthority` or `tsa` */
  trustStore?: string;
  /** `x509.subject:<DN>` */
  identity?: string;
  path: PolicyPath;
}

export type LeafRequirement = DctRequirement | CosignRequirement | NotationRequirement;

export interface CombinedRequirement {
  kind: 'anyOf' | 'allOf' | 'atLeast';
  /** atLeast: how many of `of` must hold (anyOf: 1, allOf: all) */
  count: number;
  of: Requirement[];
  path: PolicyPath;
}

export type Requirement = LeafRequirement | CombinedRequirement;

export interface PolicyRule {
  name: string;
  /** `registry/repository` glob patterns: `*` within a path component, `**` across, `?` one character */
  match: string[];
  mode: PolicyMode;
  require: Requirement;
  /** position in the file (ties in specificity go to the earlier rule) */
  index: number;
}

/** Who publishes a namespace: an image of the namespace that is not one of its repositories is refused (typosquatting). */
export interface Publisher {
  /** `docker.io/library` */
  namespace: string;
  /** the publisher in words: `Docker Official Images (DCT targets/releases)` */
  signedBy: string;
  /** the namespace's repositories (`alpine`, `nginx`), the only names of the namespace trusted */
  repositories: string[];
}

export interface TrustPolicy {
  version: 1;
  /** the mode of the default deny (no rule matches): `enforce` unless the file says otherwise */
  defaultMode: PolicyMode;
  publishers: Publisher[];
  rules: PolicyRule[];
}

/** A leaf's format. */
export function isLeaf(r: Requirement): r is LeafRequirement {
  return r.kind === 'dct' || r.kind === 'cosign' || r.kind === 'notation';
}

/** Every leaf of a requirement, in order. */
export function leavesOf(r: Requirement): LeafRequirement[] {
  return isLeaf(r) ? [r] : r.of.flatMap(leavesOf);
}

/** `rules[1].require.cosign.key` */
export function pathText(path: PolicyPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
