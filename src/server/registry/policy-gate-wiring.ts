/**
 * The pull gate over the trust policy, wired for the server: the policy file watched (a broken
 * change logged, the last good policy kept), the policy use case (`PolicyDecider`) over the
 * server's own signature sources (DCT from its verified trust data, cosign and Notation from
 * its registry's store, in process), with the cosign keys of the policy and the Notation trust
 * stores of a notation configuration directory (`--notation-config`, else NOTATION_CONFIG).
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { KeyedBundleVerifier } from '../../adapters/cosign/keyed-bundle-verifier.js';
import { loadTrustAnchors, loadTrustPolicy } from '../../adapters/notation/config/index.js';
import { verifyEnvelope } from '../../adapters/notation/envelope/index.js';
import { WatchedPolicySource } from '../../adapters/policy/watched-policy-source.js';
import { SigstoreBundleVerifier } from '../../adapters/sigstore/bundle-verifier.js';
import { PolicyDecider } from '../../app/policy/decide-image.js';
import { policyVerifierFactories } from '../../app/policy/policy-verifiers.js';
import type { AuditSink } from '../../core/policy/audit-record.js';
import type { RegistryStore } from '../../core/ports.js';
import { PolicyGate } from './policy-gate.js';
import { serverSignatureSources } from './server-signature-sources.js';
import type { ServerTrust } from './server-trust.js';
import { StoreSignatureRegistry } from './store-signature-registry.js';

/** The policy settings of the embedded registry. */
export interface RegistryPolicySettings {
  /** the trust policy file (YAML or JSON), reloaded when it changes */
  file: string;
  /** notation's configuration directory: the trust stores a rule's `notation: {trustStore}` names, its own trust policy */
  notationConfigDir: string;
  /** cosign keyless: a Sigstore trusted_root.json (default: the production root dct ships) */
  cosignTrustedRoot?: string;
  /** how long a decision is reused (ms, default 10000) */
  cacheMs?: number;
  /** polling interval of the policy file watch fallback (ms, default 2000) */
  pollMs?: number;
}

export interface PolicyGateWiring {
  registryName: () => string;
  store: RegistryStore;
  blobs: FsBlobStore;
  trust: ServerTrust;
  audit: AuditSink;
  log: Logger;
}

/** The gate and what stops its file watch. Throws the policy's POLICY_* error when the file does not load. */
export async function createPolicyGate(
  settings: RegistryPolicySettings,
  wiring: PolicyGateWiring,
): Promise<{ gate: PolicyGate; close: () => void }> {
  const { log } = wiring;
  const policy = await WatchedPolicySource.open(settings.file, {
    ...(settings.pollMs !== undefined ? { pollMs: settings.pollMs } : {}),
    onReloaded: (file) => log.info({ policy: file }, 'pull gate: policy reloaded'),
    onError: (err, file) =>
      log.error(
        { policy: file, err },
        `pull gate: the changed policy did not load; the previous policy stays in force: ${err instanceof Error ? err.message : String(err)}`,
      ),
  });
  const trustedRoot = settings.cosignTrustedRoot;
  const dir = settings.notationConfigDir;
  const ports = {
    bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
    ...(trustedRoot !== undefined ? { trustedRoot: () => readFile(trustedRoot, 'utf8').then((t) => JSON.parse(t) as unknown) } : {}),
    envelopeVerifier: { verify: verifyEnvelope },
    trustAnchors: (s: Parameters<typeof loadTrustAnchors>[1]) => loadTrustAnchors(dir, s),
    notationTrustPolicy: () => loadTrustPolicy(dir),
  };
  const decider = new PolicyDecider({
    policy,
    sources: serverSignatureSources({
      registryName: wiring.registryName,
      store: wiring.store,
      registry: new StoreSignatureRegistry(wiring.store, wiring.blobs),
      trust: wiring.trust,
      verifiers: (needs) => policyVerifierFactories(needs, ports),
    }),
  });
  const gate = new PolicyGate({
    decider,
    indexesListing: (repository, digest) => wiring.store.indexesListing(repository, digest),
    audit: wiring.audit,
    log,
    ...(settings.cacheMs !== undefined ? { cacheMs: settings.cacheMs } : {}),
  });
  policy.onChange(() => gate.policyChanged());
  return { gate, close: () => policy.close() };
}
