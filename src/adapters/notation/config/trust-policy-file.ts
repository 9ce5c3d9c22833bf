/**
 * The trust policy file in notation's configuration directory: `trustpolicy.oci.json`, else the
 * older `trustpolicy.json` (notation still reads it). Loading for verification refuses what
 * notation refuses (missing, a symlink or directory, unreadable, malformed, invalid) with its
 * messages; `policy show`/`import` read and write the file as bytes.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DctError, isDctError } from '../../../core/errors.js';
import type { TrustPolicyDocument } from '../../../core/notation/trust-policy-document.js';
import { decodeTrustPolicy, parseTrustPolicy, TRUST_POLICY_LINK } from '../../../core/notation/trust-policy.js';
import { fileKind, goFsError, isNotFound, readBounded } from './config-file.js';
import { OCI_TRUST_POLICY_FILE, OLD_TRUST_POLICY_FILE } from './config-dir.js';

/** The trust policy of `configDir`, parsed and validated (notation's LoadOCIDocument + Validate). */
export async function loadTrustPolicy(configDir: string): Promise<TrustPolicyDocument> {
  const bytes = await readPolicyForVerification(configDir);
  return parseTrustPolicy(bytes);
}

async function readPolicyForVerification(configDir: string): Promise<Buffer> {
  for (const name of [OCI_TRUST_POLICY_FILE, OLD_TRUST_POLICY_FILE]) {
    const path = join(configDir, name);
    const kind = await fileKind(path);
    if (kind === 'missing') continue;
    if (kind === 'other') {
      throw new DctError(
        'NOTATION_CONFIG_FILE_INVALID',
        `trust policy is not a regular file (symlinks are not supported). To create a trust policy, see: ${TRUST_POLICY_LINK}`,
      );
    }
    try {
      return await readBounded(path, 'trust policy');
    } catch (err) {
      if (isDctError(err)) throw err;
      if ((err as NodeJS.ErrnoException).code === 'EACCES') {
        throw new DctError(
          'NOTATION_CONFIG_FILE_INVALID',
          `unable to read trust policy due to file permissions, please verify the permissions of ${path}`,
        );
      }
      throw new DctError('NOTATION_CONFIG_FILE_INVALID', `unable to read trust policy ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new DctError('NOTATION_POLICY_NOT_FOUND', `trust policy is not present. To create a trust policy, see: ${TRUST_POLICY_LINK}`);
}

export interface PolicyFile {
  /** which file held it */
  file: typeof OCI_TRUST_POLICY_FILE | typeof OLD_TRUST_POLICY_FILE;
  path: string;
  bytes: Buffer;
}

/** The policy file's bytes as `policy show` reads them (the OCI one, else the old one); undefined when neither exists. */
export async function readPolicyFile(configDir: string): Promise<PolicyFile | undefined> {
  for (const file of [OCI_TRUST_POLICY_FILE, OLD_TRUST_POLICY_FILE] as const) {
    const path = join(configDir, file);
    try {
      return { file, path, bytes: await readBounded(path, 'trust policy') };
    } catch (err) {
      if (isNotFound(err)) continue;
      if (isDctError(err)) throw err;
      throw new DctError('NOTATION_CONFIG_FILE_INVALID', goFsError(err, 'read', path), { cause: err });
    }
  }
  return undefined;
}

/** Whether a trust policy notation would load exists (a regular file that decodes), as `policy import` asks before overwriting. */
export async function trustPolicyExists(configDir: string): Promise<boolean> {
  try {
    decodeTrustPolicy(await readPolicyForVerification(configDir));
    return true;
  } catch {
    return false;
  }
}

/** Writes `trustpolicy.oci.json` (0600, directory 0700); returns its path. */
export async function writeTrustPolicy(configDir: string, bytes: Uint8Array): Promise<string> {
  const path = join(configDir, OCI_TRUST_POLICY_FILE);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, bytes, { mode: 0o600 });
  return path;
}

/** Deletes the old `trustpolicy.json`; false when there was none. */
export async function removeOldTrustPolicy(configDir: string): Promise<boolean> {
  const path = join(configDir, OLD_TRUST_POLICY_FILE);
  try {
    await stat(path);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  await rm(path);
  return true;
}
