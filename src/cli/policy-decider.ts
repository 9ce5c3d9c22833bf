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
 * Which formats are looked for (`formats`): every one (`dct policy explain`: the signatures of
 * the formats the rule does not name are reported too), or only those the rule names (`needed`:
 * the admission webhook, where every registry read and check is paid on each decision; DCT's
 * trust server is not asked about an image whose rule names cosign alone). The decision is the
 * same either way: another format's signature never meets a requirement, and the image's digest
 * is, when the rule names DCT, DCT's signed target for the tag as docker resolves it, else the
 * registry's (a reference by digest: that digest).
 *
 * The decisions made under one policy share what does not depend on the image: a registry client
 * per registry and credentials (`RegistryClientPool`: its TLS context, connections and tokens), a
 * trust-server connection per server and docker login (`SharedTrustConnections`, pinged once),
 * the Sigstore trusted root and the bundle verifier holding its trust material, and each rule's
 * verifiers (its cosign keys parsed once). All of it is dropped when the policy changes and
 * renewed every `shareForMs` (docker's credentials and TLS folders, notation's trust policy and a
 * refreshed Sigstore root are read again).
 */
import { readFile } from 'node:fs/promises';
import { KeyedBundleVerifier } from '../adapters/cosign/keyed-bundle-verifier.js';
import { loadTrustAnchors, loadTrustPolicy, notationConfigDir } from '../adapters/notation/config/index.js';
import { verifyEnvelope } from '../adapters/notation/envelope/index.js';
import { FilePolicySource } from '../adapters/policy/file-policy-source.js';
import { RegistrySignatureStore } from '../adapters/registry/signature-registry-client.js';
import { SigstoreBundleVerifier } from '../adapters/sigstore/bundle-verifier.js';
import { PolicyDecider } from '../app/policy/decide-image.js';
import { policyVerifierFactories, type PolicyVerifierPorts } from '../app/policy/policy-verifiers.js';
import type { SignatureNeeds, SignatureSources } from '../app/policy/signature-sources.js';
import type { Resolved } from '../app/images/trust-resolver.js';
import type { PolicySource } from '../core/policy/policy-source.js';
import type { TrustIo } from './docker-trust/io.js';
import { openRegistry } from './registry-access.js';
import { RegistryClientPool, type RegistryClientPoolOptions } from './registry-client-pool.js';
import { SharedTrustConnections } from './docker-trust/shared-trust-connections.js';
import { signatureFormats, type RegistryFormatFactory } from './signature-formats.js';

export interface PolicyWiringOptions {
  /** cosign: Sigstore trusted_root.json (default: the production root dct ships) */
  trustedRoot?: string;
  /** `every` (default) format, its signatures reported, or only those the matched rule names (see the module comment) */
  formats?: 'every' | 'needed';
  /** how long the decisions share clients, trust material and verifiers before reading them again (default 5 min) */
  shareForMs?: number;
  /** the shared registry clients' idle and age limits */
  registryPool?: RegistryClientPoolOptions;
}

/** The adapters the registry formats' verifiers run over: one bundle verifier (it keeps the trust material it parsed). */
export function policyVerifierPorts(
  env: Readonly<Record<string, string | undefined>>,
  opts: PolicyWiringOptions = {},
): PolicyVerifierPorts {
  const notationDir = notationConfigDir(env);
  const trustedRoot = opts.trustedRoot;
  let root: Promise<unknown> | undefined;
  return {
    bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
    ...(trustedRoot !== undefined
      ? {
          trustedRoot: () =>
            (root ??= readFile(trustedRoot, 'utf8')
              .then((t) => JSON.parse(t) as unknown)
              .catch((err: unknown) => {
                root = undefined; // read again by the next decision
                throw err;
              })),
        }
      : {}),
    envelopeVerifier: { verify: verifyEnvelope },
    trustAnchors: (s) => loadTrustAnchors(notationDir, s),
    notationTrustPolicy: () => loadTrustPolicy(notationDir),
  };
}

/** The registry formats for one rule's needs: all, or those it names (the module comment; composed in `policy-verifiers.ts`). */
export function policyFormatFactories(needs: SignatureNeeds, ports: PolicyVerifierPorts, neededOnly = false): RegistryFormatFactory[] {
  return policyVerifierFactories(needs, ports, { neededOnly }).map((f) => (ctx) => f(new RegistrySignatureStore(ctx.client)));
}

/** What the decisions under one policy share (see the module comment). */
class SharedWiring {
  readonly pool: RegistryClientPool;
  readonly trust: SharedTrustConnections;
  private readonly ports: PolicyVerifierPorts;
  private readonly factories = new Map<string, RegistryFormatFactory[]>();

  private readonly neededOnly: boolean;

  constructor(
    io: TrustIo,
    opts: PolicyWiringOptions,
    readonly createdAt: number,
  ) {
    this.neededOnly = opts.formats === 'needed';
    this.ports = policyVerifierPorts(io.env, opts);
    this.trust = new SharedTrustConnections(io);
    this.pool = new RegistryClientPool(
      (ref, credentials) => openRegistry(ref, io.env, (m) => io.err(`${m}\n`), credentials ? { credentials } : {}),
      opts.registryPool,
    );
  }

  /** Stops sharing (a policy reload, or the wiring's age): the registry clients and trust-server connections are retired. */
  close(): void {
    this.pool.close();
    this.trust.close();
  }

  /** The verifiers of a rule's needs, made once. */
  factoriesFor(needs: SignatureNeeds): RegistryFormatFactory[] {
    const key = JSON.stringify(needs);
    let made = this.factories.get(key);
    if (!made) {
      made = policyFormatFactories(needs, this.ports, this.neededOnly);
      this.factories.set(key, made);
    }
    return made;
  }
}

/** Every format's signatures of an image, as the rule needs them checked (with the caller's registry credentials, if any). */
export function policySignatureSources(io: TrustIo, opts: PolicyWiringOptions = {}): SignatureSources {
  const shareForMs = opts.shareForMs ?? 5 * 60_000;
  let shared: SharedWiring | undefined;
  const current = (): SharedWiring => {
    const now = io.now().getTime();
    if (shared && now - shared.createdAt < shareForMs) return shared;
    shared?.close();
    return (shared = new SharedWiring(io, opts, now));
  };
  return {
    async open(ref, needs, decide = {}) {
      const wiring = current();
      // the caller's credentials for the image's registry (a Pod's pull secret) come before docker's
      const login = decide.credentials?.forRegistry(ref.domain)?.login;
      const lookAtDct = opts.formats !== 'needed' || needs.formats.dct;
      const formats = signatureFormats(io, wiring.factoriesFor(needs), {
        registry: (r) => wiring.pool.lease(r, login),
        dct: lookAtDct,
        trustData: wiring.trust.opener(),
      });
      try {
        const notes: string[] = [];
        let dct: Resolved | undefined;
        if (lookAtDct) {
          try {
            dct = await formats.resolver.verify(ref);
          } catch (err) {
            notes.push(`dct: ${(err as Error).message}`);
          }
        }
        const target = await formats.target(ref);
        const tag = ref.digest === undefined ? (ref.tag ?? 'latest') : ref.tag;
        const signed = needs.formats.dct ? dct?.digest : undefined;
        const digest = ref.digest ?? signed ?? (tag !== undefined && target.resolveTag ? await target.resolveTag(tag) : undefined);
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
    policyChanged() {
      shared?.close();
      shared = undefined;
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
