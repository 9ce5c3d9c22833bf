/**
 * `notation cert generate-test NAME`: a new RSA key and a self-signed test certificate for it,
 * written to `localkeys/`, registered as a signing key (optionally the default) and added to the
 * trust store `ca/NAME`, in notation's order so that a failure leaves what notation leaves.
 */
import { generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { DctError } from '../../../core/errors.js';
import { addSigningKey } from '../../../core/notation/signing-keys.js';
import { createTestCertificate, TEST_KEY_BITS } from '../../../core/notation/test-certificate.js';
import { isValidFileName } from '../../../core/notation/trust-policy-validation.js';
import type { NotationConfigStore } from './notation-config-store.js';

export interface GenerateTestRequest {
  name: string;
  /** RSA key size (default 2048) */
  bits?: number;
  isDefault: boolean;
  now: Date;
}

export type GenerateTestEvent =
  | { kind: 'generating'; bits: number }
  | { kind: 'certificate'; notAfter: Date }
  | { kind: 'wroteKey'; path: string }
  | { kind: 'wroteCertificate'; path: string }
  | { kind: 'addedToStore'; file: string; store: string; type: string }
  | { kind: 'addedKey'; name: string }
  | { kind: 'markedDefault'; name: string };

/** the RSA key sizes dct generates (Go refuses below 1024; above 8192 generation takes minutes) */
export const MIN_TEST_KEY_BITS = 1024;
export const MAX_TEST_KEY_BITS = 8192;

const generate = promisify(generateKeyPair);

export async function generateTestCertificate(
  store: NotationConfigStore,
  request: GenerateTestRequest,
  report: (event: GenerateTestEvent) => void,
): Promise<void> {
  const { name, isDefault, now } = request;
  const bits = request.bits ?? TEST_KEY_BITS;
  if (!isValidFileName(name)) throw new DctError('NOTATION_NAME_INVALID', 'name needs to follow [a-zA-Z0-9_.-]+ format');
  report({ kind: 'generating', bits });
  if (!Number.isInteger(bits) || bits < MIN_TEST_KEY_BITS || bits > MAX_TEST_KEY_BITS) {
    throw new DctError(
      'NOTATION_SIGNING_KEY_INVALID',
      bits < MIN_TEST_KEY_BITS
        ? `crypto/rsa: ${bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)`
        : `dct generates RSA keys of at most ${MAX_TEST_KEY_BITS} bits, not ${bits}`,
    );
  }
  const { privateKey } = (await generate('rsa', { modulusLength: bits })) as { privateKey: KeyObject };
  const certPem = createTestCertificate({ name, privateKey, now });
  const cert = new X509Certificate(certPem);
  report({ kind: 'certificate', notAfter: new Date(cert.validTo) });
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

  const { keyPath, certPath } = await store.writeLocalKeyPair(name, keyPem, certPem);
  report({ kind: 'wroteKey', path: keyPath });
  report({ kind: 'wroteCertificate', path: certPath });

  await store.checkKeyPair(keyPath, certPath);
  const keys = addSigningKey(await store.loadSigningKeys(), { name, keyPath, certPath }, isDefault);
  await store.saveSigningKeys(keys);

  const stored = await store.addCertificate('ca', name, certPath);
  report({ kind: 'addedToStore', file: stored.split(/[\\/]/).pop() as string, store: name, type: 'ca' });
  report({ kind: 'addedKey', name });
  if (isDefault) report({ kind: 'markedDefault', name });
}
