/** Signature thresholds (notary `tuf/signed/verify.go` VerifySignatures). */
import { CoreError } from '../errors.js';
import type { PublicKey } from '../keys/public-key.js';
import { verifySignature } from '../keys/signature.js';
import { getOwn } from './json-reader.js';
import type { Metadata } from './metadata.js';

export interface RoleKeySet {
  /** the keys that may sign, by the key ID the parent lists */
  keys: Record<string, PublicKey> | ReadonlyMap<string, PublicKey>;
  keyids: readonly string[];
  threshold: number;
}

/**
 * Verifies `metadata` against a role's keys: only signatures by listed key IDs
 * count, each distinct key once; a key whose content does not hash to its ID is
 * an error; valid signatures must reach the threshold.
 * Returns the IDs of the keys that produced valid signatures.
 */
export function verifyThreshold(metadata: Metadata, role: RoleKeySet, roleName: string): Set<string> {
  if (metadata.signatures.length === 0) throw new CoreError('NO_SIGNATURES', `tuf: data has no signatures (${roleName})`);
  if (role.threshold < 1) throw new CoreError('THRESHOLD_NOT_MET', `invalid threshold for ${roleName}`);
  const allowed = new Set(role.keyids);
  const lookup = (id: string) => (role.keys instanceof Map ? role.keys.get(id) : getOwn(role.keys as Record<string, PublicKey>, id));
  const message = metadata.signedBytes();
  const valid = new Set<string>();
  for (const sig of metadata.signatures) {
    if (!allowed.has(sig.keyid) || valid.has(sig.keyid)) continue;
    const key = lookup(sig.keyid);
    if (!key) continue;
    if (key.id !== sig.keyid) {
      throw new CoreError('KEY_ID_MISMATCH', `key ID is not valid for key content (${roleName}: ${sig.keyid})`);
    }
    if (verifySignature(key, sig.method, sig.sig, message)) valid.add(sig.keyid);
  }
  if (valid.size < role.threshold) {
    throw new CoreError('THRESHOLD_NOT_MET', `valid signatures did not meet threshold for ${roleName}`);
  }
  return valid;
}
