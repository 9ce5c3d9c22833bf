/**
 * notation's `policy import FILE [--force]` and `policy show`: the OCI trust policy
 * configuration, checked with notation's rules before it is written, and shown as stored (with
 * notation's warnings for an old or invalid one).
 */
import { DctError, isDctError } from '../../../core/errors.js';
import { decodeTrustPolicy } from '../../../core/notation/trust-policy.js';
import { validateTrustPolicy } from '../../../core/notation/trust-policy-validation.js';
import type { NotationConfigStore } from './notation-config-store.js';

export type ImportOutcome =
  { kind: 'cancelled' } | { kind: 'imported'; path: string; overwritten: boolean; deletedOld: boolean; warning?: string };

/**
 * Checks the policy, asks before overwriting an existing one (unless `force`), writes
 * `trustpolicy.oci.json` and deletes the old `trustpolicy.json`.
 */
export async function importTrustPolicy(
  config: NotationConfigStore,
  bytes: Uint8Array,
  force: boolean,
  confirm: (prompt: string) => Promise<boolean>,
): Promise<ImportOutcome> {
  let doc;
  try {
    doc = decodeTrustPolicy(bytes);
  } catch (err) {
    if (!isDctError(err) || err.code === 'NOTATION_CONFIG_TOO_LARGE') throw err;
    throw new DctError('NOTATION_POLICY_MALFORMED', `failed to parse OCI trust policy configuration: ${err.message}`, { cause: err });
  }
  try {
    validateTrustPolicy(doc);
  } catch (err) {
    if (!isDctError(err)) throw err;
    throw new DctError(err.code, `failed to validate OCI trust policy configuration: ${err.message}`, { cause: err });
  }
  const exists = await config.trustPolicyExists();
  if (exists && !force) {
    if (!(await confirm('The OCI trust policy configuration already exists, do you want to overwrite it?'))) return { kind: 'cancelled' };
  }
  let path: string;
  try {
    path = await config.writeTrustPolicy(bytes);
  } catch (err) {
    throw new DctError('NOTATION_CONFIG_FILE_INVALID', `failed to write OCI trust policy configuration: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let deletedOld = false;
  let warning: string | undefined;
  try {
    deletedOld = await config.removeOldTrustPolicy();
  } catch (err) {
    warning = `failed to delete old trust policy configuration trustpolicy.json: ${(err as Error).message}`;
  }
  return { kind: 'imported', path, overwritten: exists && force, deletedOld, ...(warning ? { warning } : {}) };
}

export interface ShownPolicy {
  bytes: Buffer;
  /** the old `trustpolicy.json` was shown (deprecated) */
  old: boolean;
  /** why the stored policy is invalid, when it is (notation shows it anyway and fails) */
  invalid?: DctError;
}

/** The stored policy's bytes, and whether it is old or invalid. */
export async function showTrustPolicy(config: NotationConfigStore): Promise<ShownPolicy> {
  const found = await config.readPolicyFile();
  if (!found) {
    throw new DctError(
      'NOTATION_POLICY_NOT_FOUND',
      'failed to show OCI trust policy as it does not exist.\nYou can import one using `notation policy import <path-to-policy.json>`',
    );
  }
  const shown: ShownPolicy = { bytes: found.bytes, old: found.file === 'trustpolicy.json' };
  try {
    validateTrustPolicy(decodeTrustPolicy(found.bytes));
  } catch (err) {
    if (!isDctError(err)) throw err;
    shown.invalid = err;
  }
  return shown;
}
