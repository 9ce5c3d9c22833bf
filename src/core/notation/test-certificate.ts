/**
 * The self-signed certificate `notation cert generate-test NAME` makes for its RSA test key:
 * subject `CN=NAME,O=Notary,L=Seattle,ST=WA,C=US` (written C, ST, L, O, CN as Go writes a
 * `pkix.Name`), valid for one day from now, KeyUsage digitalSignature (critical), ExtKeyUsage
 * codeSigning, SHA256-with-RSA, no basic constraints (a leaf, not a CA).
 */
import { createPublicKey, randomInt, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { der } from '../der.js';
import { encodePem } from '../encoding.js';
import { DctError } from '../errors.js';

/** notation's default RSA key size for `cert generate-test` (`--bits`). */
export const TEST_KEY_BITS = 2048;
/** how long a test certificate is valid */
export const TEST_CERTIFICATE_VALIDITY_MS = 24 * 3600 * 1000;

const OIDS = {
  country: '2.5.4.6',
  state: '2.5.4.8',
  locality: '2.5.4.7',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  codeSigning: '1.3.6.1.5.5.7.3.3',
};

export interface TestCertificateOptions {
  name: string;
  privateKey: KeyObject;
  now: Date;
  /** default: a random serial in 1..199, as notation's test helper picks */
  serial?: number;
}

/** The PEM certificate. */
export function createTestCertificate(opts: TestCertificateOptions): string {
  if (opts.privateKey.asymmetricKeyType !== 'rsa')
    throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'notation test certificates use RSA keys');
  const spki = createPublicKey(opts.privateKey).export({ format: 'der', type: 'spki' });
  const attr = (oid: string, value: string) => der.set(der.sequence(der.oid(oid), directoryString(value)));
  const subject = der.sequence(
    attr(OIDS.country, 'US'),
    attr(OIDS.state, 'WA'),
    attr(OIDS.locality, 'Seattle'),
    attr(OIDS.organization, 'Notary'),
    attr(OIDS.commonName, opts.name),
  );
  const sigAlg = der.sequence(der.oid(OIDS.sha256WithRsa), der.null());
  const notAfter = new Date(opts.now.getTime() + TEST_CERTIFICATE_VALIDITY_MS);
  const extensions = der.sequence(
    // critical KeyUsage: digitalSignature
    der.sequence(der.oid(OIDS.keyUsage), der.boolean(true), der.octetString(Buffer.from([0x03, 0x02, 0x07, 0x80]))),
    der.sequence(der.oid(OIDS.extKeyUsage), der.octetString(der.sequence(der.oid(OIDS.codeSigning)))),
  );
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(opts.serial ?? randomInt(1, 200)),
    sigAlg,
    subject,
    der.sequence(der.time(wholeSeconds(opts.now)), der.time(wholeSeconds(notAfter))),
    subject,
    spki,
    der.explicit(3, extensions),
  );
  const signature = cryptoSign('sha256', tbs, opts.privateKey);
  return encodePem({ type: 'CERTIFICATE', headers: {}, bytes: der.sequence(tbs, sigAlg, der.bitString(signature)) });
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

// Go's asn1 marshals a string as PrintableString when it can, else UTF8String.
function directoryString(s: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? der.printableString(s) : der.utf8String(s);
}
