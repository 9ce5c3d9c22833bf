/**
 * `notation cert cleanup-test NAME`: undoes `cert generate-test NAME` after confirmation — the
 * certificate leaves trust store `ca/NAME`, the key leaves the key list, the key and certificate
 * files are deleted; each part that is already gone is reported, not an error.
 */
import { DctError, isDctError } from '../../../core/errors.js';
import { removeSigningKeys } from '../../../core/notation/signing-keys.js';
import { isValidFileName } from '../../../core/notation/trust-policy-validation.js';
import type { NotationConfigStore } from './notation-config-store.js';

export type CleanupTestEvent =
  | { kind: 'certificateDeleted' | 'certificateNotInStore'; file: string; store: string }
  | { kind: 'keyRemoved' | 'keyNotListed'; name: string }
  | { kind: 'keyFileDeleted' | 'keyFileMissing' | 'certificateFileDeleted' | 'certificateFileMissing'; path: string }
  | { kind: 'completed' };

export async function cleanupTestCertificate(
  config: NotationConfigStore,
  name: string,
  confirm: (prompt: string) => Promise<boolean>,
  report: (event: CleanupTestEvent) => void,
): Promise<boolean> {
  if (!isValidFileName(name)) throw new DctError('NOTATION_NAME_INVALID', 'certificate common name must follow [a-zA-Z0-9_.-]+ format');
  const { keyPath, certPath } = config.localKeyPaths(name);
  const file = `${name}.crt`;
  const prompt =
    `The test key ${name} and its corresponding certificate will be cleaned up with the following changes:\n` +
    `- Delete certificate ${name}.crt from trust store ${name} of type ca\n` +
    `- Remove key ${name} from the key list\n` +
    `- Delete key file: ${keyPath}\n` +
    `- Delete certificate file: ${certPath}\n\n` +
    'Are you sure you want to continue?';
  if (!(await confirm(prompt))) return false;

  try {
    await config.deleteCertificate('ca', name, file);
    report({ kind: 'certificateDeleted', file, store: name });
  } catch (err) {
    if (!isDctError(err, 'NOTATION_CERTIFICATE_NOT_FOUND')) {
      throw new DctError(
        isDctError(err) ? err.code : 'NOTATION_TRUST_STORE_INVALID',
        `failed to delete certificate ${file} from trust store ${name} of type ca: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    report({ kind: 'certificateNotInStore', file, store: name });
  }

  const keys = await config.loadSigningKeys();
  if (keys.keys.some((k) => k.name === name)) {
    await config.saveSigningKeys(removeSigningKeys(keys, [name]).config);
    report({ kind: 'keyRemoved', name });
  } else {
    report({ kind: 'keyNotListed', name });
  }

  report({ kind: (await config.removeFile(keyPath)) ? 'keyFileDeleted' : 'keyFileMissing', path: keyPath });
  report({ kind: (await config.removeFile(certPath)) ? 'certificateFileDeleted' : 'certificateFileMissing', path: certPath });
  report({ kind: 'completed' });
  return true;
}
