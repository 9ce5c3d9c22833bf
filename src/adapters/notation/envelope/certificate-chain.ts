/**
 * The rules of an envelope's certificate chain (signature specification, "Certificate
 * requirements", as notation-core-go checks them): ordered leaf → root, each certificate issued
 * and signed by the next, ending in a self-signed root; CAs with `CA:TRUE`, `keyCertSign` and a
 * path length that allows the chain below; a code-signing leaf with `digitalSignature` and, when
 * it has extended key usages, `codeSigning` (a time-stamping leaf: `timeStamping`). A repeated
 * certificate (a loop) is refused. Validity periods are the authentic-timestamp check's.
 */
import type { X509Certificate } from 'node:crypto';
import { cachedIssuedBy } from './certificate-cache.js';
import { certificateFacts, EKU_ANY, EKU_CODE_SIGNING, EKU_TIME_STAMPING } from './certificate-facts.js';
import { certificateSubjectString } from '../../../core/notation/distinguished-name.js';
import { envelopeError, MAX_CHAIN_LENGTH } from './signer-info.js';

export type ChainPurpose = 'codeSigning' | 'timeStamping';

function invalid(message: string) {
  return envelopeError('NOTATION_CERTIFICATE_CHAIN_INVALID', message);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cachedIssuedBy(cert, issuer, () => {
    try {
      return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    } catch {
      return false;
    }
  });
}

/** Subject = issuer and the signature verifies with its own key (OpenSSL's `checkIssued` would also want keyCertSign). */
export function isSelfSigned(cert: X509Certificate): boolean {
  return cachedIssuedBy(cert, cert, () => {
    try {
      return cert.subject === cert.issuer && cert.verify(cert.publicKey);
    } catch {
      return false;
    }
  });
}

function validateCa(cert: X509Certificate, below: number): void {
  const facts = certificateFacts(cert);
  const subject = certificateSubjectString(cert);
  if (facts.basicConstraints?.ca !== true)
    throw invalid(
      `certificate with subject ${JSON.stringify(subject)}: ca field in basic constraints must be present, critical, and set to true`,
    );
  if (facts.keyUsage?.keyCertSign !== true)
    throw invalid(`the certificate with subject ${JSON.stringify(subject)} is invalid. The key usage must contain keyCertSign`);
  const max = facts.basicConstraints.pathLength;
  if (max !== undefined && max < below)
    throw invalid(
      `certificate with subject ${JSON.stringify(subject)}: expected path length of ${below} but certificate has path length ${max} instead`,
    );
}

function validateLeaf(cert: X509Certificate, purpose: ChainPurpose): void {
  const facts = certificateFacts(cert);
  const subject = JSON.stringify(certificateSubjectString(cert));
  if (facts.basicConstraints?.ca === true && purpose === 'codeSigning')
    throw invalid(
      `the certificate with subject ${subject} is invalid. The basicConstraints CA field must be false for a signing certificate`,
    );
  if (facts.keyUsage === undefined || !facts.keyUsage.digitalSignature)
    throw invalid(`the certificate with subject ${subject} is invalid. The key usage must contain digitalSignature`);
  if (facts.keyUsage.keyCertSign || facts.keyUsage.cRLSign)
    throw invalid(`the certificate with subject ${subject} is invalid. The key usage must not contain keyCertSign or cRLSign`);
  const eku = facts.extKeyUsage;
  if (purpose === 'codeSigning') {
    if (eku === undefined) return;
    if (!eku.includes(EKU_CODE_SIGNING))
      throw invalid(`the certificate with subject ${subject} is invalid. The extended key usage must contain codeSigning`);
    if (eku.includes(EKU_TIME_STAMPING) || eku.includes(EKU_ANY))
      throw invalid(
        `the certificate with subject ${subject} is invalid. The extended key usage must not contain timeStamping or anyExtendedKeyUsage`,
      );
  } else if (eku?.length !== 1 || eku[0] !== EKU_TIME_STAMPING || !facts.criticalExtensions.includes('2.5.29.37')) {
    throw invalid(
      `timestamp signing certificate with subject ${subject} must have an extended key usage extension marked critical with only timeStamping`,
    );
  }
}

const keyChecked = new WeakSet<X509Certificate>();

/** Every certificate's key: RSA of 2048 bits or more, or ECDSA on P-256, P-384 or P-521. */
function checkKey(cert: X509Certificate): void {
  if (keyChecked.has(cert)) return;
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const ok =
    (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) ||
    (key.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1', 'secp521r1'].includes(details.namedCurve ?? ''));
  if (!ok)
    throw invalid(
      `certificate with subject ${JSON.stringify(certificateSubjectString(cert))}: its ${key.asymmetricKeyType ?? 'unknown'} key is not supported (RSA of 2048 bits or more, ECDSA P-256/P-384/P-521)`,
    );
  keyChecked.add(cert);
}

/** Validates an ordered chain (leaf first); throws NOTATION_CERTIFICATE_CHAIN_INVALID. */
export function validateCertificateChain(chain: readonly X509Certificate[], purpose: ChainPurpose): void {
  if (chain.length === 0) throw invalid('certificate chain must contain at least one certificate');
  if (chain.length > MAX_CHAIN_LENGTH) throw invalid(`certificate chain has ${chain.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  const seen = new Set<string>();
  for (const cert of chain) {
    if (seen.has(cert.fingerprint256))
      throw invalid(`certificate chain contains certificate ${JSON.stringify(certificateSubjectString(cert))} twice (a loop)`);
    seen.add(cert.fingerprint256);
  }
  const last = chain.length - 1;
  for (let i = 0; i <= last; i++) {
    const cert = chain[i]!;
    checkKey(cert);
    if (i === last) {
      if (!isSelfSigned(cert))
        throw invalid(
          chain.length === 1
            ? `invalid self-signed certificate. subject: ${JSON.stringify(certificateSubjectString(cert))}. Error: the chain must end with a self-signed root certificate`
            : `root certificate with subject ${JSON.stringify(certificateSubjectString(cert))} is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate`,
        );
    } else if (!signedBy(cert, chain[i + 1]!)) {
      throw invalid(
        `invalid certificates or certificate with subject ${JSON.stringify(certificateSubjectString(cert))} is not issued by ${JSON.stringify(certificateSubjectString(chain[i + 1]!))}`,
      );
    }
    if (i === 0) validateLeaf(cert, purpose);
    else validateCa(cert, i - 1);
  }
}
