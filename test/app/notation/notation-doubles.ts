/** Test doubles of the notation use cases: an envelope signer and verifier that read a JSON "envelope", a policy, an image in memory. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NotationRepository } from '../../../src/app/notation/notation-repository.js';
import type { AppliedTrustPolicy, EnvelopeSigner, EnvelopeVerifier, TrustPolicySource } from '../../../src/app/notation/ports.js';
import type { Descriptor } from '../../../src/core/oci/descriptor.js';
import { digestOf } from '../../../src/core/oci/digest.js';
import { OCI_MEDIA_TYPES } from '../../../src/core/oci/media-types.js';
import {
  NOTATION_CHECKS,
  VERIFICATION_LEVELS,
  type EnvelopeVerificationOutcome,
  type NotationCheck,
  type VerificationLevelName,
} from '../../../src/core/notation/verification-types.js';
import { fixturePath } from '../../support/fixtures.js';
import { MemorySignatureRegistry } from './memory-signature-registry.js';

const FIXTURES = fixturePath('notation', 'notation-cli');
export const e2eCert = new X509Certificate(readFileSync(`${FIXTURES}/localkeys/e2e.crt`));
export const NOW = new Date('2026-01-01T00:00:00Z');

/** a test envelope: the target and which check fails */
interface FakeEnvelope {
  target: Descriptor;
  fail?: NotationCheck;
  metadata?: Record<string, string>;
}

export function fakeSigner(fail?: NotationCheck): EnvelopeSigner {
  return {
    sign: (req) =>
      Promise.resolve({
        bytes: Buffer.from(JSON.stringify({ target: req.targetArtifact, fail, metadata: req.targetArtifact.annotations })),
        mediaType: req.format === 'cose' ? 'application/cose' : 'application/jose+json',
        chain: [e2eCert],
      }),
  };
}

export function fakeVerifier(calls: { n: number } = { n: 0 }): EnvelopeVerifier {
  return {
    verify(input): EnvelopeVerificationOutcome {
      calls.n++;
      const env = JSON.parse(Buffer.from(input.envelope).toString()) as FakeEnvelope;
      const checks = NOTATION_CHECKS.map((check) => {
        const failed = env.fail === check && input.actions[check] !== 'skip';
        return { check, action: input.actions[check], ok: !failed, ...(failed ? { error: `${check} is broken` } : {}) };
      });
      const failed = checks.some((c) => !c.ok && c.action === 'enforce');
      return {
        verdict: failed ? 'failed' : 'verified',
        checks,
        targetArtifact: env.target,
        signingTime: '2026-01-01T00:00:00.000Z',
        chain: [e2eCert],
        ...(env.metadata ? { userMetadata: env.metadata } : {}),
      };
    },
  };
}

export function policy(level: VerificationLevelName = 'strict'): TrustPolicySource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    statementFor(ref: string): Promise<AppliedTrustPolicy> {
      asked.push(ref);
      return Promise.resolve({
        name: 'p',
        level,
        actions: VERIFICATION_LEVELS[level],
        trustedIdentities: ['*'],
        verifyTimestamp: 'always',
        anchors: () => Promise.resolve({ ca: [e2eCert], signingAuthority: [], tsa: [] }),
      });
    },
  };
}

export function withImage(referrersApi: boolean): { registry: MemorySignatureRegistry; repo: NotationRepository; image: Descriptor } {
  const registry = new MemorySignatureRegistry(referrersApi);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.manifest,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(Buffer.from('{}')), size: 2 },
      layers: [],
    }),
  );
  const digest = registry.addManifest(bytes, OCI_MEDIA_TYPES.manifest, 'v1');
  return {
    registry,
    repo: new NotationRepository(registry, 'app', 'registry.test/app'),
    image: { mediaType: OCI_MEDIA_TYPES.manifest, digest, size: bytes.length },
  };
}
