/**
 * Good repositories recorded from an honest `dct server`, for the lying server
 * of test/support/malicious-notary.ts to serve and change.
 *
 * `recordRepositories` builds two good repositories through the client use
 * cases (docker style: server-managed snapshot and delegations; notary style:
 * client-held snapshot), each in two states (`old`, `new`), records what the
 * honest server serves (current, by checksum, by version, and the server keys),
 * leaves a reader's cache of each state in a trust dir, and keeps signers for
 * the keys an attacker might hold (the server's timestamp and snapshot keys,
 * the repository's snapshot/targets/delegation keys) so attacks can produce
 * validly signed but malicious metadata. `snapshotDir` and `copyCache` read and
 * copy those caches.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { EmbeddedKeyService } from '../../src/adapters/key-service/embedded-key-service.js';
import { FileKeyRing } from '../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache } from '../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../src/adapters/notary-http/remote-repository.js';
import type { PassphraseSource } from '../../src/adapters/passphrase.js';
import { openStore } from '../../src/adapters/storage/open-store.js';
import { signerWith } from '../../src/app/client/repository-draft.js';
import { TrustRepository } from '../../src/app/client/trust-repository.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import { getOwn } from '../../src/core/tuf/json-reader.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/start-server.js';

// ---------------------------------------------------------------------------
// Recording good repositories from an honest dct server
// ---------------------------------------------------------------------------

export const GUNS = { docker: 'registry.example.com/malicious/docker', notary: 'example.com/malicious/notary' } as const;
export type RepoKind = keyof typeof GUNS;
export type StateName = 'old' | 'new';

export const CLIENT_PASSPHRASE = 'malicious-test-pass';
const passphrases: PassphraseSource = { get: async () => CLIENT_PASSPHRASE };

/** What the honest server served for a repository at one point in time. */
export interface RecordedState {
  /** current bytes of every role (`<role>.json`) */
  current: Map<string, Buffer>;
  /** every file the server served, by path below `_trust/tuf/` (current, by checksum, by version, keys; earlier states' too) */
  files: Map<string, Buffer>;
}

export interface AttackerKeys {
  /** the server's timestamp key */
  timestamp: Signer;
  /** the snapshot key: the server's (docker) or the repository owner's (notary) */
  snapshot: Signer;
  targets: Signer;
  /** delegation keys by role */
  delegations: Map<string, Signer>;
}

export interface RecordedRepository {
  kind: RepoKind;
  gun: string;
  states: Record<StateName, RecordedState>;
  /** trust dirs whose cache holds what an honest reader cached at each state (copy before use) */
  caches: Record<StateName, string>;
  keys: AttackerKeys;
}

export type Recording = Record<RepoKind, RecordedRepository>;

/**
 * Builds both repositories against an in-process `dct server` (SQLite in
 * `work`), records them, then reopens the server's key store to sign as the
 * server would. Everything lives below `work`.
 */
export async function recordRepositories(work: string): Promise<Recording> {
  const dataDir = join(work, 'server');
  const storage = `sqlite:${join(dataDir, 'dct.db')}`;
  const config = loadConfig({ env: {}, flags: { listen: '127.0.0.1:0', storage, dataDir, logLevel: 'warn', plainHttp: true } });
  const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'k' }, pino({ level: 'warn' }));
  const client = new NotaryClient({ baseUrl: server.url });
  const open = (trustDir: string, gun: string) =>
    new TrustRepository({
      gun,
      cache: new FileMetadataCache(trustDir, gun),
      keyRing: new FileKeyRing(new FileKeyStore(trustDir), passphrases),
      remote: new NotaryRemoteRepository(client, gun, server.url),
    });

  const built: Partial<Record<RepoKind, Omit<RecordedRepository, 'keys'> & { ownerDir: string; delegationKeys: Map<string, Signer> }>> = {};
  try {
    for (const kind of ['docker', 'notary'] as const) {
      const gun = GUNS[kind];
      const ownerDir = join(work, `owner-${kind}`);
      const readerDir = join(work, `reader-${kind}`);
      const owner = open(ownerDir, gun);
      const delegationKeys = new Map<string, Signer>();
      const target = (s: string) => fileMetaOf(Buffer.from(`${kind} image ${s}\n`));

      // state "old": initialised and published (docker: two delegations holding the release)
      const draft = await owner.initialize({ serverManagedSnapshot: kind === 'docker' });
      if (kind === 'docker') {
        for (const name of ['targets/releases', 'targets/alice']) {
          const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
          const pub = PublicKey.fromKeyObject(pair.publicKey);
          await new FileKeyStore(ownerDir).save({
            privateKey: pair.privateKey,
            role: name.slice('targets/'.length),
            passphrase: CLIENT_PASSPHRASE,
          });
          delegationKeys.set(name, new KeySigner(pair.privateKey, pub));
          draft.changeDelegation(name, { addKeys: [pub], addPaths: [''] });
        }
        await owner.publish(draft);
        const d = (await owner.openDraft())!;
        d.addTarget('targets/releases', 'latest', target('1'));
        d.addTarget('targets/alice', 'latest', target('1'));
        await owner.publish(d);
      } else {
        draft.addTarget('targets', 'v1', target('1'));
        await owner.publish(draft);
      }
      const old = await recordState(server.url, gun);
      await open(readerDir, gun).read();
      const oldCache = join(work, 'caches', `${kind}-old`);
      cpSync(readerDir, oldCache, { recursive: true });

      // state "new": a new release, and root re-signed (root version 2)
      const next = (await owner.openDraft())!;
      if (kind === 'docker') next.addTarget('targets/releases', 'latest', target('2'));
      next.addTarget('targets', 'v2', target('2')); // targets changes too
      const rootKeys = next.signingKeys('root').keys;
      next.replaceBaseRoleKeys('root', rootKeys);
      await owner.publish(next);
      const fresh = await recordState(server.url, gun, old.files);
      await open(readerDir, gun).read();
      const newCache = join(work, 'caches', `${kind}-new`);
      cpSync(readerDir, newCache, { recursive: true });

      built[kind] = { kind, gun, states: { old, new: fresh }, caches: { old: oldCache, new: newCache }, ownerDir, delegationKeys };
    }
  } finally {
    client.close();
    await server.close();
  }

  // the keys an attacker could hold: the server's (from its database) and the owner's
  const store = await openStore(storage);
  try {
    const keyService = new EmbeddedKeyService({ store, passphrase: 'k', now: () => new Date() });
    const out: Partial<Recording> = {};
    for (const kind of ['docker', 'notary'] as const) {
      const b = built[kind]!;
      const root = parseMetadata(b.states.new.current.get('root')!, 'root').signed;
      const keyOf = (role: string) => getOwn(root.keys, root.roles[role]!.keyids[0]!)!;
      const serverSigner = async (role: string) => {
        const s = await keyService.signer(keyOf(role).id);
        if (!s) throw new Error(`the server does not hold the ${role} key of ${b.gun}`);
        return s;
      };
      const ring = new FileKeyRing(new FileKeyStore(b.ownerDir), passphrases);
      const ownerSigner = async (role: string) => {
        const key = keyOf(role);
        const privateKey = await ring.unlock(key.canonicalId);
        if (!privateKey) throw new Error(`the owner does not hold the ${role} key of ${b.gun}`);
        return signerWith(privateKey, key);
      };
      const keys: AttackerKeys = {
        timestamp: await preload(await serverSigner('timestamp')),
        snapshot: kind === 'docker' ? await preload(await serverSigner('snapshot')) : await ownerSigner('snapshot'),
        targets: await ownerSigner('targets'),
        delegations: b.delegationKeys,
      };
      out[kind] = { kind, gun: b.gun, states: b.states, caches: b.caches, keys };
    }
    return out as Recording;
  } finally {
    await store.close();
  }
}

/** Signs once so a key-service signer has decrypted its key before the store closes. */
async function preload(signer: Signer): Promise<Signer> {
  await signer.sign(Buffer.from('warm-up'));
  return signer;
}

async function fetchBytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`recording: GET ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Everything the honest server serves for `gun` now, added to what it served before. */
async function recordState(serverUrl: string, gun: string, earlier: ReadonlyMap<string, Buffer> = new Map()): Promise<RecordedState> {
  const base = `${serverUrl}/v2/${gun}/_trust/tuf/`;
  const current = new Map<string, Buffer>();
  const files = new Map(earlier);
  const add = async (role: string): Promise<Buffer> => {
    const now = await fetchBytes(`${base}${role}.json`);
    const byChecksum = await fetchBytes(`${base}${role}.${sha256(now)}.json`);
    if (!byChecksum.equals(now)) throw new Error(`recording: ${role} by checksum differs from the current file`);
    current.set(role, now);
    files.set(`${role}.json`, now);
    files.set(`${role}.${sha256(now)}.json`, byChecksum);
    return now;
  };
  const timestamp = await add('timestamp');
  const snapshot = await add('snapshot');
  const pinnedSnapshot = parseMetadata(timestamp, 'timestamp').signed.snapshotMeta;
  if (sha256(snapshot) !== pinnedSnapshot.hashes['sha256']!.toString('hex'))
    throw new Error('recording: the server changed while being recorded');
  const meta = parseMetadata(snapshot, 'snapshot').signed.meta;
  for (const role of Object.keys(meta).sort()) await add(role);
  const rootVersion = parseMetadata(current.get('root')!, 'root').signed.version;
  for (let v = 1; v <= rootVersion; v++) files.set(`${v}.root.json`, await fetchBytes(`${base}${v}.root.json`));
  for (const role of ['timestamp', 'snapshot']) files.set(`${role}.key`, await fetchBytes(`${base}${role}.key`));
  return { current, files };
}

// ---------------------------------------------------------------------------
// Cache snapshots
// ---------------------------------------------------------------------------

/** Every file below `dir` (relative path → bytes and mode); {} when `dir` does not exist. */
export function snapshotDir(dir: string): Record<string, { bytes: string; mode: number }> {
  const out: Record<string, { bytes: string; mode: number }> = {};
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      const p = join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[relative(dir, p)] = { bytes: readFileSync(p).toString('base64'), mode: st.mode & 0o777 };
    }
  };
  walk(dir);
  return out;
}

/** A fresh copy of a recorded cache in `dest` (a trust dir). */
export function copyCache(from: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  cpSync(from, dest, { recursive: true });
  return dest;
}
