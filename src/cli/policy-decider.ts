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
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KeyedBundleVerifier } from '../adapters/cosign/keyed-bundle-verifier.js';
import { loadTrustAnchors, loadTrustPolicy, notationConfigDir } from '../adapters/notation/config/index.js';
import { verifyEnvelope } from '../adapters/notation/envelope/index.js';
import { FilePolicySource } from '../adapters/policy/file-policy-source.js';
import { RegistrySignatureStore } from '../adapters/registry/signature-registry-client.js';
import { SigstoreBundleVerifier } from '../adapters/sigstore/bundle-verifier.js';
import { CosignFormatVerifier } from '../app/cosign/cosign-format-verifier.js';
import type { CosignPolicy } from '../app/cosign/cosign-policy.js';
import { NotationFormatVerifier } from '../app/notation/notation-format-verifier.js';
import { trustPolicySource } from '../app/notation/trust-policy-source.js';
import { PolicyDecider } from '../app/policy/decide-image.js';
import type { SignatureNeeds, SignatureSources } from '../app/policy/signature-sources.js';
import type { Resolved } from '../app/images/trust-resolver.js';
import type { TrustPolicyStatement } from '../core/notation/trust-policy.js';
import type { PolicySource } from '../core/policy/policy-source.js';
import { NOTATION_TRUST_STORE_DETAIL } from '../core/policy/requirement-evaluation.js';
import type { FormatVerifier } from '../core/signatures/signature-report.js';
import type { TrustIo } from './docker-trust/io.js';
import { signatureFormats, type RegistryFormatFactory } from './signature-formats.js';

export interface PolicyWiringOptions {
  /** cosign: Sigstore trusted_root.json (default: the production root dct ships) */
  trustedRoot?: string;
}

/** Notation, judged by one trust store of notation's configuration; each report names the store. */
function storeVerifier(inner: FormatVerifier, store: string): FormatVerifier {
  return {
    format: 'notation',
    async verify(subject, opts) {
      const reports = await inner.verify(subject, opts);
      return reports.map((r) => ({ ...r, details: { ...r.details, [NOTATION_TRUST_STORE_DETAIL]: store } }));
    },
  };
}

/** The registry formats for one rule's needs (see the module comment). */
export function policyFormatFactories(
  env: Readonly<Record<string, string | undefined>>,
  needs: SignatureNeeds,
  opts: PolicyWiringOptions = {},
): RegistryFormatFactory[] {
  const policies: CosignPolicy[] = [
    // identities first and keys last: a key-signed signature's failure is then the key's
    ...(needs.cosign.identities.length > 0
      ? needs.cosign.identities.map((i) => ({ kind: 'identity' as const, ...i }))
      : [{ kind: 'identity' as const, identity: { regexp: '.*' }, issuer: { regexp: '.*' } }]),
    ...needs.cosign.keys.map((pem) => ({ kind: 'key' as const, publicKey: createPublicKey(pem) })),
  ];
  let trustedRoot: Promise<unknown> | undefined;
  const root = (): Promise<unknown> =>
    (trustedRoot ??=
      opts.trustedRoot !== undefined
        ? readFile(opts.trustedRoot, 'utf8').then((t) => JSON.parse(t) as unknown)
        : Promise.resolve(undefined));
  const notationDir = notationConfigDir(env);
  const anchors = (s: TrustPolicyStatement) => loadTrustAnchors(notationDir, s);
  const notation = (ctxRegistry: RegistrySignatureStore, source: ReturnType<typeof trustPolicySource>): FormatVerifier =>
    new NotationFormatVerifier({ openRegistry: () => Promise.resolve(ctxRegistry), policy: source, verifier: { verify: verifyEnvelope } });
  const factories: RegistryFormatFactory[] = [
    async (ctx) => {
      const registry = new RegistrySignatureStore(ctx.client);
      const trusted = await root();
      return new CosignFormatVerifier(() => registry, {
        policies,
        bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
        ignoreTlog: needs.cosign.ignoreTlog,
        ...(trusted !== undefined ? { trustedRoot: trusted } : {}),
      });
    },
  ];
  for (const store of needs.notation.trustStores) {
    const statement: TrustPolicyStatement = {
      name: `dct policy (${store})`,
      registryScopes: ['*'],
      signatureVerification: { level: 'strict' },
      trustStores: [store],
      trustedIdentities: ['*'],
    };
    const source = trustPolicySource({ load: () => Promise.resolve({ version: '1.0', trustPolicies: [statement] }), anchors });
    factories.push((ctx) => storeVerifier(notation(new RegistrySignatureStore(ctx.client), source), store));
  }
  if (needs.notation.ownPolicy || needs.notation.trustStores.length === 0) {
    const source = trustPolicySource({ load: () => loadTrustPolicy(notationDir), anchors });
    factories.push((ctx) => notation(new RegistrySignatureStore(ctx.client), source));
  }
  return factories;
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
