/**
 * Which keys of a root may sign it (notary `trustpinning/certs.go` ValidateRoot):
 * root keys must be certificates whose leaf has CN = GUN and passes the
 * certificate rules; trust pinning narrows them further on first contact.
 */
import { X509Certificate } from 'node:crypto';
import { decodePemBlocks } from '../encoding.js';
import { CoreError } from '../errors.js';
import { certificateCommonName, commonNameMatchesGun, validateCertificate } from '../keys/certificate.js';
import type { PublicKey } from '../keys/public-key.js';
import { getOwn, setOwn } from '../tuf/json-reader.js';
import type { Root } from '../tuf/root.js';

export interface TrustPinning {
  /** GUN or `prefix*` → allowed root certificate key IDs (TUF IDs) */
  certs?: Record<string, string[]>;
  /**
   * GUN prefix → PEM bundle of CA certificates: a root key's leaf certificate must
   * chain to one of them (through the intermediates its key carries). The longest
   * matching prefix wins; `certs` rules come first.
   */
  ca?: Record<string, string>;
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
export function applyPinning(
  keys: Record<string, PublicKey>,
  gun: string,
  pinning: TrustPinning | undefined,
  now: Date,
): Record<string, PublicKey> {
  const certs = pinning?.certs ?? {};
  let allowed = getOwn(certs, gun);
  if (!allowed) {
    const prefix = Object.keys(certs)
      .filter((p) => p.endsWith('*') && gun.startsWith(p.slice(0, -1)))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix) allowed = certs[prefix];
  }
  if (!allowed) {
    const caPrefix = Object.keys(pinning?.ca ?? {})
      .filter((p) => gun.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (caPrefix !== undefined) return pinToCa(keys, (pinning!.ca as Record<string, string>)[caPrefix] as string, now);
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

/** notary caCheck: keep the keys whose leaf certificate chains to a valid CA of the bundle. */
function pinToCa(keys: Record<string, PublicKey>, bundle: string, now: Date): Record<string, PublicKey> {
  const cas = decodePemBlocks(bundle)
    .filter((b) => b.type === 'CERTIFICATE')
    .flatMap((b) => {
      try {
        const cert = new X509Certificate(b.bytes);
        validateCertificate(cert, { now, checkExpiry: true });
        return [cert];
      } catch {
        return []; // notary ignores invalid CA certificates of the bundle
      }
    });
  if (cas.length === 0) throw new CoreError('CERTIFICATE_VALIDATION_FAILED', 'invalid CA certs provided');
  const pinned: Record<string, PublicKey> = {};
  for (const [id, key] of Object.entries(keys)) {
    const certs = key.certificates();
    const leaf = certs.find((c) => !c.ca);
    if (
      leaf &&
      chainsTo(
        leaf,
        certs.filter((c) => c.ca),
        cas,
        now,
        0,
      )
    )
      setOwn(pinned, id, key);
  }
  if (Object.keys(pinned).length === 0) {
    throw new CoreError(
      'CERTIFICATE_VALIDATION_FAILED',
      'could not validate the path to a trusted root: unable to match any certificates to trust_pinning config',
    );
  }
  return pinned;
}

function withinValidity(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function chainsTo(cert: X509Certificate, intermediates: X509Certificate[], cas: X509Certificate[], now: Date, depth: number): boolean {
  if (depth > 8 || !withinValidity(cert, now)) return false;
  if (cas.some((ca) => signedBy(cert, ca))) return true;
  return intermediates.some(
    (i) =>
      i !== cert &&
      signedBy(cert, i) &&
      chainsTo(
        i,
        intermediates.filter((x) => x !== i),
        cas,
        now,
        depth + 1,
      ),
  );
}
