/**
 * The real services of notation's signature commands: the registry as other dct commands reach
 * it (docker's credentials and TLS folders), notation's configuration directory (signing keys,
 * trust policy, trust stores), the envelope signer, verifier and inspector.
 */
import { loadTrustAnchors, loadTrustPolicy, notationConfigDir, readSigningKey } from '../../../adapters/notation/config/index.js';
import { inspectEnvelope, signEnvelope, verifyEnvelope } from '../../../adapters/notation/envelope/index.js';
import type { EnvelopeInspection } from '../../../adapters/notation/envelope/inspect-envelope.js';
import { NotationRepository } from '../../../app/notation/notation-repository.js';
import type { InspectedEnvelope } from '../../../app/notation/ports.js';
import { trustPolicySource } from '../../../app/notation/trust-policy-source.js';
import { openSignatureRegistry } from '../../signature-registry.js';
import type { NotationServices } from './notation-services.js';
import { OciLayoutSignatureRegistry } from '../../../adapters/image-layout/layout-signature-registry.js';

/** the envelope's `signingAgent` (notation writes `notation-go/<version>`) */
const SIGNING_AGENT = 'dct';

function inspected(e: EnvelopeInspection): InspectedEnvelope {
  const signed = e.signedAttributes;
  const ts = e.unsignedAttributes.timestampSignature;
  return {
    signatureAlgorithm: e.signatureAlgorithm,
    contentType: signed.contentType,
    signingScheme: signed.signingScheme,
    signingTime: signed.signingTime ?? signed.authenticSigningTime ?? new Date(0),
    ...(signed.expiry ? { expiry: signed.expiry } : {}),
    ...(Object.keys(signed.extended).length > 0 ? { extendedAttributes: signed.extended } : {}),
    ...(e.unsignedAttributes.signingAgent ? { signingAgent: e.unsignedAttributes.signingAgent } : {}),
    ...(ts
      ? {
          timestamp:
            ts.error !== undefined || ts.timestamp === undefined
              ? { error: ts.error ?? 'failed to parse timestamp countersignature' }
              : { range: [ts.timestamp.earliest, ts.timestamp.latest] as [Date, Date], certificates: ts.certificates ?? [] },
        }
      : {}),
    certificates: e.certificates,
    signedArtifact: {
      ...e.signedArtifact,
      ...(Object.keys(e.userDefinedAttributes).length > 0 ? { annotations: e.userDefinedAttributes } : {}),
    },
  };
}

export function defaultNotationServices(env: Readonly<Record<string, string | undefined>>): NotationServices {
  const configDir = notationConfigDir(env);
  return {
    env,
    now: () => new Date(),
    openRepository: async (ref, opts, warn) => {
      const access = await openSignatureRegistry(ref, env, warn, {
        allowHttp: opts.insecure,
        allowInsecure: opts.insecure,
        ...(opts.credentials ? { credentials: opts.credentials } : {}),
        ...(opts.forWrite ? { forWrite: true } : {}),
      });
      return new NotationRepository(access.registry, access.repo, ref.name);
    },
    openLayout: async (path) => new NotationRepository(await OciLayoutSignatureRegistry.open(path), '', path),
    signer: async (keyName) => {
      const { key, chain } = await readSigningKey(configDir, keyName);
      return {
        sign: (req) => {
          const signed = signEnvelope({ ...req, key, chain, signingAgent: SIGNING_AGENT });
          return Promise.resolve({ bytes: signed.bytes, mediaType: signed.mediaType, chain });
        },
      };
    },
    policy: () => trustPolicySource({ load: () => loadTrustPolicy(configDir), anchors: (s) => loadTrustAnchors(configDir, s) }),
    verifier: { verify: (input) => verifyEnvelope(input) },
    inspector: { inspect: (bytes, mediaType) => inspected(inspectEnvelope(bytes, mediaType)) },
  };
}
