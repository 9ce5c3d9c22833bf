/**
 * The policy use case wired for the CLI: the policy file (`FilePolicySource`) and every
 * format's signatures as `dct verify` finds them (`signatureFormats`), told what the matched
 * rule needs checked:
 * - cosign verifies each signature against the keys the rule names and its keyless
 *   identities (any Fulcio identity when it names none, reported with the signer so the
 *   policy can judge it); a transparency log entry may be missing only when a cosign
 *   requirement says `tlog: false`;
 * - Notation verifies against each trust store the rule names (in notation's configuration
 *   directory, `notation cert add`), strictly, any identity (the policy judges the signer's
 *   subject), each report saying which store (`details.trustStore`); and against notation's
 *   own trust policy (`notation policy import`) when a requirement names no store or none does.
 * The image's digest: DCT's signed target for the tag as docker resolves it, else the
 * registry's (a reference by digest: that digest).
 */
import { readFile } from 'node:fs/promises';
import { KeyedBundleVerifier } from '../adapters/cosign/keyed-bundle-verifier.js';
import { loadTrustAnchors, loadTrustPolicy, notationConfigDir } from '../adapters/notation/config/index.js';
import { verifyEnvelope } from '../adapters/notation/envelope/index.js';
import { FilePolicySource } from '../adapters/policy/file-policy-source.js';
import { RegistrySignatureStore } from '../adapters/registry/signature-registry-client.js';
import { SigstoreBundleVerifier } from '../adapters/sigstore/bundle-verifier.js';
import { PolicyDecider } from '../app/policy/decide-image.js';
import { policyVerifierFactories } from '../app/policy/policy-verifiers.js';
import type { SignatureNeeds, SignatureSources } from '../app/policy/signature-sources.js';
import type { Resolved } from '../app/images/trust-resolver.js';
import type { PolicySource } from '../core/policy/policy-source.js';
import type { TrustIo } from './docker-trust/io.js';
import { signatureFormats, type RegistryFormatFactory } from './signature-formats.js';

export interface PolicyWiringOptions {
  /** cosign: Sigstore trusted_root.json (default: the production root dct ships) */
  trustedRoot?: string;
}

/** The registry formats for one rule's needs (see the module comment; composed in `src/app/policy/policy-verifiers.ts`). */
export function policyFormatFactories(
  env: Readonly<Record<string, string | undefined>>,
  needs: SignatureNeeds,
  opts: PolicyWiringOptions = {},
): RegistryFormatFactory[] {
  const notationDir = notationConfigDir(env);
  const trustedRoot = opts.trustedRoot;
  const factories = policyVerifierFactories(needs, {
    bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
    ...(trustedRoot !== undefined ? { trustedRoot: () => readFile(trustedRoot, 'utf8').then((t) => JSON.parse(t) as unknown) } : {}),
    envelopeVerifier: { verify: verifyEnvelope },
    trustAnchors: (s) => loadTrustAnchors(notationDir, s),
    notationTrustPolicy: () => loadTrustPolicy(notationDir),
  });
  return factories.map((f) => (ctx) => f(new RegistrySignatureStore(ctx.client)));
}

/** Every format's signatures of an image, as the rule needs them checked (with the caller's registry credentials, if any). */
export function policySignatureSources(io: TrustIo, opts: PolicyWiringOptions = {}): SignatureSources {
  return {
    async open(ref, needs, decide = {}) {
      // the caller's credentials for the image's registry (a Pod's pull secret) come before docker's
      const pull = decide.credentials?.forRegistry(ref.domain);
      const formats = signatureFormats(io, policyFormatFactories(io.env, needs, opts), pull ? { credentials: pull.login } : {});
      try {
        const notes: string[] = [];
        let dct: Resolved | undefined;
        try {
          dct = await formats.resolver.verify(ref);
        } catch (err) {
          notes.push(`dct: ${(err as Error).message}`);
        }
        const target = await formats.target(ref);
        const tag = ref.digest === undefined ? (ref.tag ?? 'latest') : ref.tag;
        const digest = ref.digest ?? dct?.digest ?? (tag !== undefined && target.resolveTag ? await target.resolveTag(tag) : undefined);
        if (digest === undefined) throw new Error(`the digest of ${ref.name} could not be resolved`);
        return {
          ...(tag !== undefined ? { tag } : {}),
          digest,
          verifiers: target.verifiers,
          ...(target.manifests ? { manifests: target.manifests } : {}),
          notes,
          close: () => formats.close(),
        };
      } catch (err) {
        formats.close();
        throw err;
      }
    },
  };
}

/** The CLI's decider: the policy file (reloaded when it changes) over every format. */
export function policyDecider(io: TrustIo, policy: string | PolicySource, opts: PolicyWiringOptions = {}): PolicyDecider {
  return new PolicyDecider({
    policy: typeof policy === 'string' ? new FilePolicySource(policy) : policy,
    sources: policySignatureSources(io, opts),
    now: () => io.now(),
  });
}
