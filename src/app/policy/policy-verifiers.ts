/**
 * The verifiers of the formats kept in a registry (cosign, Notation) as one policy rule needs
 * them (`SignatureNeeds`), whatever front end asks: the CLI over a registry client, the server
 * over its own registry's store. The adapters come in as ports:
 * - cosign verifies each signature against the keys the rule names and its keyless identities
 *   (any Fulcio identity when it names none, reported with the signer so the policy can judge
 *   it); a transparency log entry may be missing only when a cosign requirement says `tlog: false`;
 * - Notation verifies against each trust store the rule names, strictly, any identity (the
 *   policy judges the signer's subject), each report saying which store
 *   (`details.trustStore`); and against notation's own trust policy when a requirement names no
 *   store or none does.
 */
import { createPublicKey } from 'node:crypto';
import type { TrustPolicyDocument, TrustPolicyStatement } from '../../core/notation/trust-policy-document.js';
import type { TrustAnchors } from '../../core/notation/verification-types.js';
import { NOTATION_TRUST_STORE_DETAIL } from '../../core/policy/requirement-evaluation.js';
import type { SignatureRegistry } from '../../core/signatures/signature-registry.js';
import type { FormatVerifier } from '../../core/signatures/signature-report.js';
import type { BundleVerifier } from '../../core/signatures/sigstore-verification.js';
import { CosignFormatVerifier } from '../cosign/cosign-format-verifier.js';
import type { CosignPolicy } from '../cosign/cosign-policy.js';
import { NotationFormatVerifier } from '../notation/notation-format-verifier.js';
import type { EnvelopeVerifier } from '../notation/ports.js';
import { trustPolicySource } from '../notation/trust-policy-source.js';
import type { SignatureNeeds } from './signature-sources.js';

/** The adapters the verifiers run over. */
export interface PolicyVerifierPorts {
  /** cosign: checks a Sigstore bundle (keyed and keyless) */
  bundleVerifier: BundleVerifier;
  /** cosign: the Sigstore trusted root (parsed), read once; undefined: the verifier's default */
  trustedRoot?: () => Promise<unknown>;
  /** Notation: checks a signature envelope */
  envelopeVerifier: EnvelopeVerifier;
  /** Notation: the certificates of the trust stores a statement names (notation's configuration directory) */
  trustAnchors(statement: TrustPolicyStatement): Promise<TrustAnchors>;
  /** Notation: its own trust policy document (`notation policy import`) */
  notationTrustPolicy(): Promise<TrustPolicyDocument>;
}

/** One format's verifier over the registry holding the image. */
export type PolicyVerifierFactory = (registry: SignatureRegistry) => FormatVerifier | Promise<FormatVerifier>;

/** Notation, judged by one trust store; each report names the store. */
function storeVerifier(inner: FormatVerifier, store: string): FormatVerifier {
  return {
    format: 'notation',
    async verify(subject, opts) {
      const reports = await inner.verify(subject, opts);
      return reports.map((r) => ({ ...r, details: { ...r.details, [NOTATION_TRUST_STORE_DETAIL]: store } }));
    },
  };
}

/** The cosign policies of a rule's needs: identities first and keys last (a key-signed signature's failure is then the key's). */
export function cosignPoliciesOf(needs: SignatureNeeds): CosignPolicy[] {
  return [
    ...(needs.cosign.identities.length > 0
      ? needs.cosign.identities.map((i) => ({ kind: 'identity' as const, ...i }))
      : [{ kind: 'identity' as const, identity: { regexp: '.*' }, issuer: { regexp: '.*' } }]),
    ...needs.cosign.keys.map((pem) => ({ kind: 'key' as const, publicKey: createPublicKey(pem) })),
  ];
}

/** Which formats get a verifier. */
export interface PolicyVerifierScope {
  /**
   * only those the rule names (`needs.formats`): the others' signatures cannot meet it, and
   * looking for them costs registry reads and checks on every decision. Default: cosign and
   * Notation whatever the rule names (their signatures are reported).
   */
  neededOnly?: boolean;
}

/** The registry formats' verifiers for one rule's needs (see the module comment), cosign first. */
export function policyVerifierFactories(
  needs: SignatureNeeds,
  ports: PolicyVerifierPorts,
  scope: PolicyVerifierScope = {},
): PolicyVerifierFactory[] {
  const policies = cosignPoliciesOf(needs);
  let trustedRoot: Promise<unknown> | undefined;
  const root = (): Promise<unknown> => (trustedRoot ??= ports.trustedRoot ? ports.trustedRoot() : Promise.resolve(undefined));
  const anchors = (s: TrustPolicyStatement) => ports.trustAnchors(s);
  const notation = (registry: SignatureRegistry, source: ReturnType<typeof trustPolicySource>): FormatVerifier =>
    new NotationFormatVerifier({ openRegistry: () => Promise.resolve(registry), policy: source, verifier: ports.envelopeVerifier });
  const factories: PolicyVerifierFactory[] = [];
  if (!scope.neededOnly || needs.formats.cosign)
    factories.push(async (registry) => {
      const trusted = await root();
      return new CosignFormatVerifier(() => registry, {
        policies,
        bundleVerifier: ports.bundleVerifier,
        ignoreTlog: needs.cosign.ignoreTlog,
        ...(trusted !== undefined ? { trustedRoot: trusted } : {}),
      });
    });
  for (const store of needs.notation.trustStores) {
    const statement: TrustPolicyStatement = {
      name: `dct policy (${store})`,
      registryScopes: ['*'],
      signatureVerification: { level: 'strict' },
      trustStores: [store],
      trustedIdentities: ['*'],
    };
    const source = trustPolicySource({ load: () => Promise.resolve({ version: '1.0', trustPolicies: [statement] }), anchors });
    factories.push((registry) => storeVerifier(notation(registry, source), store));
  }
  // notation's own trust policy: a requirement names no store (or, reporting every format, none does)
  if (needs.notation.ownPolicy || (!scope.neededOnly && needs.notation.trustStores.length === 0)) {
    const source = trustPolicySource({ load: () => ports.notationTrustPolicy(), anchors });
    factories.push((registry) => notation(registry, source));
  }
  return factories;
}
