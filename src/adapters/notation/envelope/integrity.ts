/**
 * The integrity check: the envelope parses, its signature verifies with the public key of the
 * first certificate (`x5c[0]` / `x5chain[0]`) under the algorithm that key requires, its
 * certificate chain is well formed, and it carries no critical header dct cannot process
 * (verification plugins are not supported).
 */
import { DctError } from '../../../core/errors.js';
import { parseEnvelope } from './parse-envelope.js';
import { ALGORITHMS, algorithmForKey, verifyBytes } from './signature-algorithm.js';
import { validateCertificateChain } from './certificate-chain.js';
import { envelopeError, HEADER, type EnvelopeContent } from './signer-info.js';

export function checkIntegrity(envelope: Uint8Array, mediaType: string): EnvelopeContent {
  const content = parseEnvelope(envelope, mediaType);
  const leaf = content.chain[0]!;
  let expected;
  try {
    expected = algorithmForKey(leaf.publicKey);
  } catch (err) {
    if (err instanceof DctError)
      throw envelopeError('NOTATION_SIGNATURE_INVALID', `signature is invalid. Error: signing certificate: ${err.message}`, err);
    throw err;
  }
  if (expected !== content.signatureAlgorithm)
    throw envelopeError(
      'NOTATION_SIGNATURE_INVALID',
      `mismatch between signature algorithm derived from signing certificate (${ALGORITHMS[expected].display}) and signing algorithm specified (${ALGORITHMS[content.signatureAlgorithm].display})`,
    );
  if (!verifyBytes(content.signatureAlgorithm, leaf.publicKey, content.signedBytes, content.signature))
    throw envelopeError(
      'NOTATION_SIGNATURE_INVALID',
      'signature is invalid. Error: the signature does not verify with the signing certificate (x5c[0])',
    );
  validateCertificateChain(content.chain, 'codeSigning');
  return content;
}

/** Refuses what only a verification plugin could process (dct runs no plugins). */
export function checkCriticalHeaders(content: EnvelopeContent): void {
  if (content.verificationPlugin !== undefined)
    throw envelopeError(
      'NOTATION_VERIFICATION_PLUGIN_UNSUPPORTED',
      `error while locating the verification plugin ${JSON.stringify(content.verificationPlugin)}, make sure the plugin is installed successfully before verifying the signature. error: dct does not run notation plugins (header ${HEADER.verificationPlugin})`,
    );
  const unknown = content.extendedAttributes.filter((a) => a.critical).map((a) => a.key);
  if (unknown.length > 0)
    throw envelopeError(
      'NOTATION_CRITICAL_HEADER_UNSUPPORTED',
      `signature contains unsupported critical attributes ${JSON.stringify(unknown)} and names no verification plugin to process them`,
    );
}
