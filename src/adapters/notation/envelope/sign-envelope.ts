/**
 * Signs a target artifact into a Notation envelope, as `notation sign` does with a local key:
 * signing scheme `notary.x509`, the algorithm the key requires (RSASSA-PSS with the hash of the
 * key size, ECDSA with the curve's hash; RSA under 2048 bits refused), the certificate chain
 * leaf first (the leaf must hold the key's public half and the chain must be valid).
 */
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { Descriptor } from '../../../core/oci/descriptor.js';
import { validateDescriptor } from '../../../core/oci/descriptor.js';
import { DctError } from '../../../core/errors.js';
import { validateCertificateChain } from './certificate-chain.js';
import { certificateSubjectString } from '../../../core/notation/distinguished-name.js';
import { buildCoseEnvelope } from './cose-envelope.js';
import { buildJwsEnvelope } from './jws-envelope.js';
import { algorithmForKey } from './signature-algorithm.js';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, envelopeError } from './signer-info.js';

export interface SignEnvelopeRequest {
  targetArtifact: Descriptor;
  format: 'jws' | 'cose';
  key: KeyObject;
  chain: X509Certificate[];
  signingTime: Date;
  expiry?: Date;
  signingAgent?: string;
}

export interface SignedEnvelope {
  bytes: Buffer;
  mediaType: string;
}

export function signEnvelope(req: SignEnvelopeRequest): SignedEnvelope {
  if (req.key.type !== 'private') throw envelopeError('NOTATION_SIGNING_KEY_UNSUPPORTED', 'signing needs a private key');
  const algorithm = algorithmForKey(req.key);
  const leaf = req.chain[0];
  if (leaf === undefined)
    throw envelopeError('NOTATION_CERTIFICATE_CHAIN_INVALID', 'certificate chain must contain at least one certificate');
  const publicDer = createPublicKey(req.key).export({ format: 'der', type: 'spki' });
  if (!leaf.publicKey.export({ format: 'der', type: 'spki' }).equals(publicDer))
    throw envelopeError(
      'NOTATION_SIGNING_KEY_UNSUPPORTED',
      'the signing key does not match the public key of the first certificate of the chain',
    );
  validateCertificateChain(req.chain, 'codeSigning');
  if (Number.isNaN(req.signingTime.getTime())) throw envelopeError('NOTATION_ENVELOPE_MALFORMED', 'the signing time is not a time');
  for (const cert of req.chain) {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (req.signingTime.getTime() < from.getTime() || req.signingTime.getTime() > to.getTime())
      throw envelopeError(
        'NOTATION_CERTIFICATE_NOT_VALID_NOW',
        `certificate with subject ${JSON.stringify(certificateSubjectString(cert))} was invalid at signing time of ${req.signingTime.toISOString()}. Certificate is valid from [${from.toISOString()}] to [${to.toISOString()}]`,
      );
  }
  if (req.expiry !== undefined && !(req.expiry.getTime() > req.signingTime.getTime()))
    throw envelopeError('NOTATION_ENVELOPE_MALFORMED', 'the expiry must be after the signing time');
  try {
    validateDescriptor(req.targetArtifact, 'targetArtifact');
  } catch (err) {
    throw envelopeError('NOTATION_ENVELOPE_MALFORMED', (err as DctError).message, err);
  }
  const request = {
    targetArtifact: req.targetArtifact,
    algorithm,
    key: req.key,
    chain: req.chain,
    signingTime: req.signingTime,
    ...(req.expiry !== undefined ? { expiry: req.expiry } : {}),
    ...(req.signingAgent !== undefined ? { signingAgent: req.signingAgent } : {}),
  };
  return req.format === 'jws'
    ? { bytes: buildJwsEnvelope(request), mediaType: JWS_MEDIA_TYPE }
    : { bytes: buildCoseEnvelope(request), mediaType: COSE_MEDIA_TYPE };
}
