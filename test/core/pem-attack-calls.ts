/** What pem-blocks.test.ts runs under the hang guard (test/support/hang-guard.ts), as plain exported functions. */
import { decodePemBlocks } from '../../src/core/encoding.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { parseCertificateFile } from '../../src/core/notation/trusted-certificates.js';

/** how many blocks decodePemBlocks finds */
export const pemBlockCount = (text: string): number => decodePemBlocks(text).length;

/** the certificates of an `ecdsa-x509` key whose public value is `pem`, as TUF metadata carries it */
export const x509KeyCertificates = (pem: string): number =>
  PublicKey.fromJSON({ keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(pem).toString('base64') } }).certificates()
    .length;

/** notation's reading of a trust store certificate file */
export const certificateFileCount = (text: string): number => parseCertificateFile(Buffer.from(text)).length;
