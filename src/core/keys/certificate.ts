/**
 * Root certificates as notary makes and validates them
 * (`cryptoservice/certificate.go`, `tuf/utils/x509.go`, `trustpinning/certs.go`).
 */
import { createPublicKey, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { der, derChildren, decodeOid, readDerExact, TAG, expectTag } from '../der.js';
import { encodePem } from '../encoding.js';
import { CoreError } from '../errors.js';

export const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

const SHA1_SIGNATURE_OIDS = new Set([
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsa-with-sha1
  '1.3.14.3.2.29', // sha1WithRSASignature (OIW)
]);

/** notary: root certificates are valid for 10 years (3650 days). */
export const ROOT_CERTIFICATE_VALIDITY_MS = 3650 * 24 * 3600 * 1000;

export interface RootCertificateOptions {
  privateKey: KeyObject;
  gun: string;
  notBefore: Date;
  notAfter: Date;
  /** 16 random bytes, used as a positive serial < 2^128 */
  serial: Buffer;
}

export interface CertificateOptions {
  /** subject common name */
  commonName: string;
  /** issuer common name (= subject for a self-signed certificate) */
  issuerCommonName?: string;
  /** the certified public key */
  publicKey: KeyObject;
  /** the issuer's private key (= the subject's own for a self-signed certificate) */
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** 16 random bytes, used as a positive serial < 2^128 */
  serial: Buffer;
  /** DER-encoded Extension values (see `extension`) */
  extensions: Buffer[];
}

/** One X.509 extension: SEQUENCE { OID, critical?, OCTET STRING value }. */
export function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.oid(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(oid), der.octetString(value));
}

/** An X.509 v3 certificate signed with ECDSA-SHA256 or RSA-SHA256, names holding only a CN (as Go writes them). */
export function createCertificate(opts: CertificateOptions): string {
  const spki = opts.publicKey.export({ format: 'der', type: 'spki' });
  const signer = opts.signingKey.asymmetricKeyType;
  if (signer !== 'ec' && signer !== 'rsa') throw new CoreError('UNSUPPORTED_KEY_TYPE', 'certificates are signed with ECDSA or RSA keys');
  const isEc = signer === 'ec';
  const sigAlg = isEc ? der.sequence(der.oid(OID.ecdsaWithSha256)) : der.sequence(der.oid(OID.sha256WithRsa), der.null());
  const name = (cn: string) => der.sequence(der.set(der.sequence(der.oid(OID.commonName), directoryString(cn))));
  const serial = Buffer.from(opts.serial);
  serial[0] = (serial[0] as number) & 0x7f;
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(serial),
    sigAlg,
    name(opts.issuerCommonName ?? opts.commonName),
    der.sequence(der.time(opts.notBefore), der.time(opts.notAfter)),
    name(opts.commonName),
    spki,
    der.explicit(3, der.sequence(...opts.extensions)),
  );
  const signature = isEc
    ? cryptoSign('sha256', tbs, { key: opts.signingKey, dsaEncoding: 'der' })
    : cryptoSign('sha256', tbs, opts.signingKey);
  return encodePem({ type: 'CERTIFICATE', headers: {}, bytes: der.sequence(tbs, sigAlg, der.bitString(signature)) });
}

/** A self-signed certificate exactly as notary creates for a root key: CN = GUN only, codeSigning, CA:FALSE. */
export function createRootCertificate(opts: RootCertificateOptions): string {
  const publicKey = createPublicKey(opts.privateKey);
  if (publicKey.asymmetricKeyType !== 'ec' && publicKey.asymmetricKeyType !== 'rsa') {
    throw new CoreError('UNSUPPORTED_KEY_TYPE', 'root certificates need an ECDSA or RSA key');
  }
  return createCertificate({
    commonName: opts.gun,
    publicKey,
    signingKey: opts.privateKey,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serial: opts.serial,
    extensions: [
      // digitalSignature | keyEncipherment
      extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x05, 0xa0])),
      extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.codeSigning))),
      extension(OID.basicConstraints, true, der.sequence()),
    ],
  });
}

// Go's asn1 marshals a string as PrintableString when it can, else UTF8String.
function directoryString(s: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? der.printableString(s) : der.utf8String(s);
}

/** The OID of the algorithm the certificate is signed with. */
export function certificateSignatureAlgorithm(cert: X509Certificate): string {
  const top = derChildren(readDerExact(cert.raw));
  return decodeOid(expectTag(derChildren(expectTag(top[1], TAG.SEQUENCE, 'signatureAlgorithm'))[0], TAG.OID, 'algorithm OID'));
}

export function certificateCommonName(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return undefined;
}

export interface CertificateCheck {
  now: Date;
  /** check validity dates (notary does for the root being trusted, not for previous roots) */
  checkExpiry: boolean;
}

/**
 * notary's ValidateCertificate: sane validity window, no SHA-1 signature,
 * RSA ≥ 2048 bits, and (optionally) currently valid, starting no later than now + 24h.
 * Throws CERTIFICATE_VALIDATION_FAILED with the reason.
 */
export function validateCertificate(cert: X509Certificate, check: CertificateCheck): void {
  const fail = (why: string): never => {
    throw new CoreError('CERTIFICATE_VALIDATION_FAILED', `certificate ${cert.serialNumber}: ${why}`);
  };
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (notBefore > notAfter) fail('NotBefore is after NotAfter');
  if (SHA1_SIGNATURE_OIDS.has(certificateSignatureAlgorithm(cert))) fail('signed with a SHA-1 based algorithm');
  const key = cert.publicKey;
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    fail('RSA keys must be at least 2048 bits');
  }
  if (check.checkExpiry) {
    const now = check.now.getTime();
    if (now > notAfter.getTime()) fail(`expired at ${notAfter.toISOString()}`);
    if (notBefore.getTime() > now + 24 * 3600 * 1000) fail(`not valid before ${notBefore.toISOString()}`);
  }
}

/** notary's CN rule: CN equals the GUN, or ends with `*` and the GUN starts with what precedes it. */
export function commonNameMatchesGun(cn: string | undefined, gun: string): boolean {
  if (cn === undefined) return false;
  if (cn === gun) return true;
  return cn.endsWith('*') && gun.startsWith(cn.slice(0, -1));
}
