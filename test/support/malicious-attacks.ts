/**
 * Attack builders for the lying server of test/support/malicious-notary.ts:
 * each starts from what the honest server served at a recorded state
 * (test/support/malicious-recording.ts) and changes files — tampered bytes,
 * stripped or wrong-key signatures, metadata re-signed with keys an attacker
 * holds, re-pinned parents, impostor repositories, padded, HTML or random
 * replies.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { GoTime } from '../../src/core/go-time.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata, parseMetadata, type RoleMetadata } from '../../src/core/tuf/metadata.js';
import type { Snapshot } from '../../src/core/tuf/snapshot.js';
import { Timestamp } from '../../src/core/tuf/timestamp.js';
import { RepoSimulator } from './repo-simulator.js';
import { bytes, type Attack, type Reply } from './malicious-notary.js';
import { sha256, type RecordedRepository, type StateName } from './malicious-recording.js';

// ---------------------------------------------------------------------------
// Attack builders
// ---------------------------------------------------------------------------

/** The honest server at `state`, as an attack to edit. */
export function honest(repo: RecordedRepository, state: StateName, name = `honest ${state}`): Attack {
  const files = new Map<string, Reply>();
  for (const [path, b] of repo.states[state].files) files.set(path, bytes(b));
  return { name, files };
}

/** Serves `b` as `role`'s current file and at its checksum (and version, for root). */
export function putFile(attack: Attack, role: string, b: Buffer, opts: { current?: boolean; version?: number } = {}): Attack {
  if (opts.current !== false) attack.files.set(`${role}.json`, bytes(b));
  attack.files.set(`${role}.${sha256(b)}.json`, bytes(b));
  if (opts.version !== undefined) attack.files.set(`${opts.version}.${role}.json`, bytes(b));
  return attack;
}

/** The path a client asks for when the parent pins `pinned`. */
export function checksumPath(role: string, pinned: Buffer): string {
  return `${role}.${sha256(pinned)}.json`;
}

/**
 * Flips one character inside the signed part (the minutes of `expires`): the
 * file still parses, but no signature and no hash matches any more.
 */
export function tamper(b: Buffer): Buffer {
  const text = b.toString('utf8');
  const at = text.indexOf('"expires":"');
  if (at < 0 || text.indexOf('"signed"') > at) throw new Error('tamper: no signed expires');
  const pos = at + '"expires":"'.length + 14; // YYYY-MM-DDTHH:M
  const digit = Number(text[pos]);
  if (!Number.isInteger(digit)) throw new Error('tamper: unexpected expires format');
  const out = Buffer.from(b);
  out[pos] = 0x30 + ((digit + 1) % 6);
  return out;
}

/** Re-signs `b` (as `role`) after `edit`, with `signers` only. */
export async function resign<T extends RoleMetadata>(
  b: Buffer,
  role: string,
  signers: readonly Signer[],
  edit: (signed: T) => void = () => {},
): Promise<Buffer> {
  const md = parseMetadata(b, role) as unknown as Metadata<T>;
  edit(md.signed);
  return (await new Metadata(md.signed, []).sign(signers)).serialize();
}

/** The same signed content with signatures removed. */
export function stripSignatures(b: Buffer): Buffer {
  const json = JSON.parse(b.toString('utf8')) as { signed: unknown; signatures: unknown[] };
  json.signatures = [];
  return Buffer.from(JSON.stringify(json));
}

/** A signature that names the real key ID but was made by another key. */
export async function wrongKeySameId(b: Buffer, role: string): Promise<Buffer> {
  const md = parseMetadata(b, role);
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sig = await new KeySigner(other.privateKey, PublicKey.fromKeyObject(other.publicKey)).sign(md.signedBytes());
  return new Metadata(
    md.signed,
    md.signatures.map((s) => ({ ...s, sig: sig.sig })),
  ).serialize();
}

/** A signer whose key nobody trusts. */
export function strangerSigner(): Signer {
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return new KeySigner(other.privateKey, PublicKey.fromKeyObject(other.publicKey));
}

/** A new timestamp (version `version`, valid unless `expires` says otherwise) pinning `snapshot`, signed with `signer`. */
export async function forgeTimestamp(
  snapshot: Buffer,
  version: number,
  signer: Signer,
  expires = new Date(Date.now() + 14 * 24 * 3600 * 1000),
): Promise<Buffer> {
  const t = new Timestamp(version, GoTime.fromEpochMs(expires.getTime()), { snapshot: fileMetaOf(snapshot) });
  return (await new Metadata(t, []).sign([signer])).serialize();
}

/** `snapshot` with some roles re-pinned to `pins`, one version up, signed with `signer`. */
export async function forgeSnapshot(snapshot: Buffer, pins: Record<string, Buffer>, signer: Signer): Promise<Buffer> {
  return resign<Snapshot>(snapshot, 'snapshot', [signer], (s) => {
    s.version += 1;
    for (const [role, b] of Object.entries(pins)) s.meta[role] = fileMetaOf(b);
  });
}

export function versionOf(b: Buffer, role: string): number {
  return parseMetadata(b, role).signed.version;
}

/**
 * Serves `targetsRoles` (role → bytes, already signed by whoever the attack
 * wants) under a snapshot and timestamp re-signed with the keys an attacker
 * holding the snapshot and timestamp keys has; the rest as at `state`.
 */
export async function repinned(
  repo: RecordedRepository,
  state: StateName,
  name: string,
  roles: Record<string, Buffer>,
  opts: { snapshotSigner?: Signer } = {},
): Promise<Attack> {
  const s = repo.states[state].current;
  const attack = honest(repo, state, name);
  for (const [role, b] of Object.entries(roles)) putFile(attack, role, b);
  const snapshot = await forgeSnapshot(s.get('snapshot')!, roles, opts.snapshotSigner ?? repo.keys.snapshot);
  putFile(attack, 'snapshot', snapshot);
  putFile(attack, 'timestamp', await forgeTimestamp(snapshot, versionOf(s.get('timestamp')!, 'timestamp') + 1, repo.keys.timestamp));
  return attack;
}

/** A whole repository for the same GUN made with keys the client never trusted (root version `rootVersion`). */
export async function impostor(gun: string, rootVersion: number): Promise<Attack> {
  const sim = new RepoSimulator(gun, new Date(Date.now() - 60_000));
  sim.addTarget('latest', 'evil image\n');
  while (sim.root.version < rootVersion - 1) await sim.signRoot();
  await sim.publish();
  while (sim.root.version < rootVersion) await sim.signRoot();
  await sim.publishSnapshot();
  const attack: Attack = { name: `impostor root v${rootVersion}`, files: new Map() };
  for (const [name, b] of sim.files) {
    const v = /^(\d+)\.root$/.exec(name);
    if (v) attack.files.set(`${v[1]}.root.json`, bytes(b));
    else putFile(attack, name, b);
  }
  return attack;
}

/** What a text/html error page looks like to a client expecting JSON. */
export const HTML_PAGE = Buffer.from('<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n');

export function reply(b: Buffer, extra: Partial<Extract<Reply, { kind: 'bytes' }>> = {}): Reply {
  return bytes(b, extra);
}

/** A JSON file padded with whitespace to `size` bytes (still valid JSON, signature intact). */
export function padded(b: Buffer, size: number): Buffer {
  return Buffer.concat([b, Buffer.alloc(Math.max(0, size - b.length), 0x20)]);
}

/** Random bytes of a plausible length (for hashes nobody can match). */
export function randomHex(): string {
  return randomBytes(32).toString('hex');
}
