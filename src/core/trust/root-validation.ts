/**
 * Which keys of a root may sign it (notary `trustpinning/certs.go` ValidateRoot):
 * root keys must be certificates whose leaf has CN = GUN and passes the
 * certificate rules; trust pinning narrows them further on first contact.
 */
import type { X509Certificate } from 'node:crypto';
import { CoreError } from '../errors.js';
import { certificateCommonName, commonNameMatchesGun, validateCertificate } from '../keys/certificate.js';
import type { PublicKey } from '../keys/public-key.js';
import { getOwn, setOwn } from '../tuf/json-reader.js';
import type { Root } from '../tuf/root.js';

export interface TrustPinning {
  /** GUN or `prefix*` → allowed root certificate key IDs (TUF IDs) */
  certs?: Record<string, string[]>;
  /** refuse first contact with a GUN that no pinning rule covers */
  disableTofu?: boolean;
}

/** The root keys whose certificates are valid for `gun` at `now` (expiry optional). */
export function validRootKeys(root: Root, gun: string, now: Date, checkExpiry: boolean): Record<string, PublicKey> {
  const valid: Record<string, PublicKey> = {};
  for (const id of root.roles['root']?.keyids ?? []) {
    const key = getOwn(root.keys, id);
    if (!key || !key.isCertificate) continue;
    let leaf: X509Certificate;
    try {
      const certs = key.certificates();
      const leaves = certs.filter((c) => !c.ca);
      if (leaves.length !== 1 || certs[0] !== leaves[0]) continue;
      leaf = leaves[0] as X509Certificate;
      if (!commonNameMatchesGun(certificateCommonName(leaf), gun)) continue;
      validateCertificate(leaf, { now, checkExpiry });
    } catch {
      continue;
    }
    setOwn(valid, id, key);
  }
  if (Object.keys(valid).length === 0) {
    throw new CoreError(
      'CERTIFICATE_VALIDATION_FAILED',
      'could not validate the path to a trusted root: unable to retrieve valid leaf certificates',
    );
  }
  return valid;
}

/** Applies trust pinning (exact GUN, then longest `prefix*`, else TOFU) to the candidate root keys. */
export function applyPinning(keys: Record<string, PublicKey>, gun: string, pinning: TrustPinning | undefined): Record<string, PublicKey> {
  const certs = pinning?.certs ?? {};
  let allowed = getOwn(certs, gun);
  if (!allowed) {
    const prefix = Object.keys(certs)
      .filter((p) => p.endsWith('*') && gun.startsWith(p.slice(0, -1)))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix) allowed = certs[prefix];
  }
  if (!allowed) {
    if (pinning?.disableTofu) throw new CoreError('CERTIFICATE_VALIDATION_FAILED', 'invalid trust pinning specified');
    return keys;
  }
  const pinned: Record<string, PublicKey> = {};
  for (const [id, key] of Object.entries(keys)) if (allowed.includes(id)) setOwn(pinned, id, key);
  if (Object.keys(pinned).length === 0) {
    throw new CoreError(
      'CERTIFICATE_VALIDATION_FAILED',
      'could not validate the path to a trusted root: unable to match any certificates to trust_pinning config',
    );
  }
  return pinned;
}
