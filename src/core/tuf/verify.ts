/** Signature thresholds (notary `tuf/signed/verify.go` VerifySignatures). */
import { CoreError } from '../errors.js';
import type { PublicKey } from '../keys/public-key.js';
import { verifySignature } from '../keys/signature.js';
import { getOwn } from './json-reader.js';
import type { Metadata } from './metadata.js';
import type { VerifiedSignatures } from './verified-signatures.js';

function isKeyMap(keys: RoleKeySet['keys']): keys is ReadonlyMap<string, PublicKey> {
  return keys instanceof Map;
}

export interface RoleKeySet {
  /** the keys that may sign, by the key ID the parent lists */
  keys: Record<string, PublicKey> | ReadonlyMap<string, PublicKey>;
  keyids: readonly string[];
  threshold: number;
}

export interface VerifyOptions {
  /**
   * Also accept a signature made over the file's own `signed` text exactly as it
   * stands (`Metadata.literalSignedBytes`), which spares proving that text
   * canonical first (a scan of the whole file). Sound: what is verified is then
   * exactly the text that was parsed, and only a key holder can sign it; it
   * differs from notary only for a file whose key holder signed non-canonical
   * text, which notary refuses. For readers (the client); a server that must
   * be as strict as notary-server leaves it off.
   */
  literal?: boolean;
  /** signatures verified before over exactly the same bytes (verified-signatures.ts) */
  memo?: VerifiedSignatures;
}

/**
 * Verifies `metadata` against a role's keys: only signatures by listed key IDs
 * count, each distinct key once; a key whose content does not hash to its ID is
 * an error; valid signatures must reach the threshold.
 * Returns the IDs of the keys that produced valid signatures.
 */
export function verifyThreshold(metadata: Metadata, role: RoleKeySet, roleName: string, opts: VerifyOptions = {}): Set<string> {
  if (metadata.signatures.length === 0) throw new CoreError('NO_SIGNATURES', `tuf: data has no signatures (${roleName})`);
  if (role.threshold < 1) throw new CoreError('THRESHOLD_NOT_MET', `invalid threshold for ${roleName}`);
  const allowed = new Set(role.keyids);
  const keys = role.keys;
  const lookup = (id: string): PublicKey | undefined => (isKeyMap(keys) ? keys.get(id) : getOwn(keys, id));
  const literal = opts.literal ? metadata.literalSignedBytes() : undefined;
  let canonical: Buffer | undefined;
  const memo = opts.memo;
  const check = memo ? memo.verify.bind(memo) : verifySignature;
  const verifies = (key: PublicKey, method: string, sig: Buffer): boolean => {
    if (literal !== undefined && check(key, method, sig, literal)) return true;
    canonical ??= metadata.signedBytes();
    return (literal === undefined || !canonical.equals(literal)) && check(key, method, sig, canonical);
  };
  const valid = new Set<string>();
  for (const sig of metadata.signatures) {
    if (!allowed.has(sig.keyid) || valid.has(sig.keyid)) continue;
    const key = lookup(sig.keyid);
    if (!key) continue;
    if (key.id !== sig.keyid) {
      throw new CoreError('KEY_ID_MISMATCH', `key ID is not valid for key content (${roleName}: ${sig.keyid})`);
    }
    if (verifies(key, sig.method, sig.sig)) valid.add(sig.keyid);
  }
  if (valid.size < role.threshold) {
    throw new CoreError('THRESHOLD_NOT_MET', `valid signatures did not meet threshold for ${roleName}`);
  }
  return valid;
}
