/**
 * A repository of the trust server's store, verified as a client verifies it (loadRepository),
 * with the health the dashboard shows: `invalid` when it does not verify (the reason in
 * words), `expired` when a role has expired (verified then as of an instant it was valid, so
 * its tags and signers still show), `expiring` when a role or root certificate expires inside
 * the warning window, else `ok`.
 */
import { isDctError } from '../../core/errors.js';
import type { TufStore } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { VerifiedSignatures } from '../../core/tuf/verified-signatures.js';
import { loadRepository } from '../load-repository.js';
import { earliestExpiry, skippedExpiredDelegation } from '../trust-export/expiry.js';
import type { ExpiryKind, MetadataHealth } from './dashboard-api.js';
import { StoreMetadataSource } from './store-metadata-source.js';

/** One thing of a repository that expires (a role's metadata or a certificate). */
export interface Expiring {
  kind: ExpiryKind;
  /** the role, or the certificate key's ID */
  name: string;
  /** epoch ms */
  expires: number;
  /**
   * a timestamp or snapshot whose key the server holds: the server re-signs it before it lapses
   * (REFRESH_MARGIN_MS), so its expiry asks nothing of anyone and never makes a repository expiring
   */
  renewedByServer?: boolean;
}

/** Whether the server holds a private key (its key service), to tell which roles it renews. */
export type ServerHoldsKey = (keyId: string) => Promise<boolean>;

export interface RepositoryTrust {
  gun: string;
  /** the verified data; absent when it does not verify */
  set?: TrustedSet;
  health: MetadataHealth;
  healthReason?: string;
  /** epoch ms of the latest stored file read */
  updated: number;
  expiries: Expiring[];
}

const DAY_MS = 86_400_000;

/** Reads and verifies `gun`; undefined when the store holds no root for it. */
export async function readRepositoryTrust(
  store: TufStore,
  gun: string,
  now: Date,
  warnDays: number,
  serverHolds?: ServerHoldsKey,
): Promise<RepositoryTrust | undefined> {
  const source = new StoreMetadataSource(store, gun);
  // expired data is verified a second time (asOfValid): the same files, the same signatures
  const verified = new VerifiedSignatures();
  let set: TrustedSet | undefined;
  let expiredWhy: string | undefined;
  try {
    const loaded = await loadRepository(source, { gun, now, verified });
    set = loaded.trusted;
    if (skippedExpiredDelegation(loaded.warnings)) {
      expiredWhy = loaded.warnings.find((w) => skippedExpiredDelegation([w]));
      set = (await asOfValid(store, gun, source, verified)) ?? set;
    }
  } catch (err) {
    if (source.served.length === 0) return undefined;
    if (isDctError(err, 'EXPIRED')) {
      expiredWhy = (err as Error).message;
      set = await asOfValid(store, gun, source, verified);
    }
    if (!set) {
      return { gun, health: 'invalid', healthReason: (err as Error).message, updated: source.latest?.getTime() ?? 0, expiries: [] };
    }
  }
  const expiries = expiriesOf(set);
  if (serverHolds) await markRenewedByServer(set, expiries, serverHolds);
  const updated = source.latest?.getTime() ?? 0;
  return { gun, set, ...healthOf(expiries, now, warnDays, expiredWhy), updated, expiries };
}

/**
 * The health of verified data at `now`: expired (a role or root certificate), expiring (inside
 * `warnDays`), else ok. `expiredWhy`: an expiry the data itself no longer shows (a delegation
 * the update skipped).
 */
export function healthOf(
  expiries: readonly Expiring[],
  now: Date,
  warnDays: number,
  expiredWhy?: string,
): { health: MetadataHealth; healthReason?: string } {
  const t = now.getTime();
  const what = (e: Expiring) => (e.kind === 'root-certificate' ? `root certificate ${e.name}` : e.name);
  const watched = expiries.filter((e) => !e.renewedByServer);
  const expired = watched.filter((e) => e.expires <= t).sort((a, b) => a.expires - b.expires);
  if (expired.length > 0) {
    return { health: 'expired', healthReason: expired.map((e) => `${what(e)} expired at ${new Date(e.expires).toISOString()}`).join('; ') };
  }
  if (expiredWhy !== undefined) return { health: 'expired', healthReason: expiredWhy };
  const soonest = watched.reduce<Expiring | undefined>((a, e) => (a === undefined || e.expires < a.expires ? e : a), undefined);
  if (soonest && soonest.expires <= t + warnDays * DAY_MS) {
    const days = Math.max(0, Math.floor((soonest.expires - t) / DAY_MS));
    const at = new Date(soonest.expires).toISOString();
    return { health: 'expiring', healthReason: `${what(soonest)} expires at ${at} (in ${days} day${days === 1 ? '' : 's'})` };
  }
  return { health: 'ok' };
}

/**
 * An expiry's status at `now` (epoch ms). What the server renews itself is ok: it re-signs it
 * on the next read, even when the stored copy has lapsed because nobody read it.
 */
export function expiryStatus(
  e: Pick<Expiring, 'expires' | 'renewedByServer'>,
  now: number,
  warnDays: number,
): 'expired' | 'expiring' | 'ok' {
  if (e.renewedByServer) return 'ok';
  if (e.expires <= now) return 'expired';
  return e.expires <= now + warnDays * DAY_MS ? 'expiring' : 'ok';
}

/** Marks the timestamp and snapshot whose keys the server holds (it re-signs them when they near expiry). */
async function markRenewedByServer(set: TrustedSet, expiries: Expiring[], serverHolds: ServerHoldsKey): Promise<void> {
  for (const e of expiries) {
    if (e.kind !== 'timestamp' && e.kind !== 'snapshot') continue;
    const keyIds = set.root.signed.roles[e.kind]?.keyids ?? [];
    for (const id of keyIds) {
      if (await serverHolds(id)) {
        e.renewedByServer = true;
        break;
      }
    }
  }
}

/**
 * The repository verified again as of just before the earliest expiry of its files (expired
 * data): from the files the first pass read (the store only for what it did not read, such as
 * a delegation it skipped as expired), signatures it verified over the same bytes not again.
 */
async function asOfValid(
  store: TufStore,
  gun: string,
  first: StoreMetadataSource,
  verified: VerifiedSignatures,
): Promise<TrustedSet | undefined> {
  const earliest = earliestExpiry(first.served);
  if (!earliest) return undefined;
  try {
    const source = new StoreMetadataSource(store, gun, first);
    return (await loadRepository(source, { gun, now: new Date(earliest.getTime() - 1000), verified })).trusted;
  } catch {
    return undefined;
  }
}

/** Every role's expiry and the root certificates' notAfter. */
export function expiriesOf(set: TrustedSet): Expiring[] {
  const out: Expiring[] = [{ kind: 'root', name: 'root', expires: set.root.signed.expires.toDate().getTime() }];
  if (set.timestamp) out.push({ kind: 'timestamp', name: 'timestamp', expires: set.timestamp.signed.expires.toDate().getTime() });
  if (set.snapshot) out.push({ kind: 'snapshot', name: 'snapshot', expires: set.snapshot.signed.expires.toDate().getTime() });
  for (const role of set.targetsRoles()) {
    const md = set.targets(role);
    if (!md) continue;
    out.push({ kind: role === 'targets' ? 'targets' : 'delegation', name: role, expires: md.signed.expires.toDate().getTime() });
  }
  for (const [id, key] of Object.entries(set.root.signed.keys)) {
    const notAfter = certificateExpiry(key);
    if (notAfter !== undefined) out.push({ kind: 'root-certificate', name: id, expires: notAfter });
  }
  return out;
}

/** The leaf certificate's notAfter (epoch ms) of an x509 key, else undefined. */
export function certificateExpiry(key: { isCertificate: boolean; certificates(): Array<{ validTo: string }> }): number | undefined {
  if (!key.isCertificate) return undefined;
  try {
    const leaf = key.certificates()[0];
    const t = leaf ? Date.parse(leaf.validTo) : NaN;
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}
