/** Fixture access for the Notation envelope tests: envelopes, trust-store certificates, inputs. */
import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import {
  VERIFICATION_LEVELS,
  type EnvelopeVerificationInput,
  type TrustAnchors,
  type VerificationLevelName,
} from '../../../../src/core/notation/verification-types.js';
import { fixturePath, readFixture } from '../../../support/fixtures.js';

export const notationFixture = (...parts: string[]): Buffer => readFixture('notation', ...parts);
export const notationFixturePath = (...parts: string[]): string => fixturePath('notation', ...parts);

/** Every certificate of a PEM (one or several) or DER file. */
export function loadCertificates(...parts: string[]): X509Certificate[] {
  const bytes = notationFixture(...parts);
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return [new X509Certificate(bytes)];
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
}

/** A trust store folder of notation-go's verifier test data. */
export function trustStore(type: 'ca' | 'signingAuthority' | 'tsa', name: string): X509Certificate[] {
  const dir = ['notation-go', 'verifier', 'truststore', 'x509', type, name];
  return readdirSync(notationFixturePath(...dir))
    .filter((f) => !f.includes('SYMLINK'))
    .flatMap((f) => loadCertificates(...dir, f));
}

export const NOW = new Date('2026-01-01T00:00:00Z');

export function input(
  envelope: Uint8Array,
  mediaType: string,
  options: {
    anchors?: Partial<TrustAnchors>;
    level?: VerificationLevelName;
    identities?: string[];
    now?: Date;
    verifyTimestamp?: 'always' | 'afterCertExpiry';
  } = {},
): EnvelopeVerificationInput {
  return {
    envelope,
    mediaType,
    anchors: { ca: [], signingAuthority: [], tsa: [], ...options.anchors },
    trustedIdentities: options.identities ?? ['*'],
    actions: VERIFICATION_LEVELS[options.level ?? 'strict'],
    verifyTimestamp: options.verifyTimestamp ?? 'always',
    now: options.now ?? NOW,
  };
}

export const JWS = 'application/jose+json';
export const COSE = 'application/cose';
