/**
 * A Notary server that lies, for tests: it serves trust data recorded from a
 * real, honest `dct server` (every file that server served: current, by
 * checksum, by version, and the server keys), changed by one chosen attack —
 * tampered, re-signed with the wrong key, rolled back, frozen, mixed, oversized,
 * endless, hanging, garbage, or failing with 500.
 *
 * `recordRepositories` builds two good repositories through the client use
 * cases (docker style: server-managed snapshot and delegations; notary style:
 * client-held snapshot), each in two states (`old`, `new`), records what the
 * honest server serves, leaves a reader's cache of each state in a trust dir,
 * and keeps signers for the keys an attacker might hold (the server's timestamp
 * and snapshot keys, the repository's snapshot/targets/delegation keys) so
 * attacks can produce validly signed but malicious metadata.
 *
 * `MaliciousNotary` serves an `Attack`: a flat map of files below
 * `/v2/<gun>/_trust/tuf/` (whatever the GUN) to replies, or one reply for
 * every request. It logs each request and how many body bytes it sent.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
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
import { ensureSelfSignedTls } from '../../src/adapters/tls/self-signed.js';
import { signerWith } from '../../src/app/client/repository-draft.js';
import { TrustRepository } from '../../src/app/client/trust-repository.js';
import { GoTime } from '../../src/core/go-time.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import { getOwn } from '../../src/core/tuf/json-reader.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata, parseMetadata, type RoleMetadata } from '../../src/core/tuf/metadata.js';
import type { Snapshot } from '../../src/core/tuf/snapshot.js';
import { Timestamp } from '../../src/core/tuf/timestamp.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/start-server.js';
import { RepoSimulator } from './repo-simulator.js';

// ---------------------------------------------------------------------------
// Replies and attacks
// ---------------------------------------------------------------------------

export type Reply =
  /** a file (status 200 unless told); `chunked`: no Content-Length */
  | { kind: 'bytes'; bytes: Buffer; status?: number; contentType?: string; chunked?: boolean }
  /** an error status with a notary-style (or given) body */
  | { kind: 'status'; status: number; body?: string }
  /** a body that never ends (no Content-Length), `prefix` first; status 200 unless told */
  | { kind: 'endless'; prefix?: Buffer; status?: number }
  /** accepts the request and never answers */
  | { kind: 'hang' }
  /** 200, then one byte now and then, forever */
  | { kind: 'trickle' };

export interface Attack {
  name: string;
  /** replies by path below `_trust/tuf/`: `timestamp.json`, `targets.<sha256>.json`, `2.root.json`, `timestamp.key` … */
  files: Map<string, Reply>;
  /** one reply for every request (the `/v2/` ping included) */
  all?: Reply;
}

export interface RequestRecord {
  method: string;
  /** the path below `_trust/tuf/`, or the whole URL path for other requests */
  file: string;
  gun?: string;
  /** body bytes written */
  bytesSent: number;
  /** the client went away before the reply ended */
  aborted: boolean;
}

const bytes = (b: Buffer, extra: Partial<Extract<Reply, { kind: 'bytes' }>> = {}): Reply => ({ kind: 'bytes', bytes: b, ...extra });

/** A safety stop for endless replies, far above any client cap under test. */
const ENDLESS_SAFETY_CAP = 512 * 1024 * 1024;
const TUF_PATH = /^\/v2\/(.+)\/_trust\/tuf\/(.*)$/;

export class MaliciousNotary {
  attack: Attack | undefined;
  readonly requests: RequestRecord[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    /** the CA to trust when serving https */
    readonly ca: Buffer | undefined,
    readonly caFile: string | undefined,
  ) {}

  /** Listens on 127.0.0.1 (random port); with `tlsDir`, https with a self-signed CA made there. */
  static async start(opts: { tlsDir?: string } = {}): Promise<MaliciousNotary> {
    let server: http.Server;
    let ca: Buffer | undefined;
    let caFile: string | undefined;
    const holder: { self?: MaliciousNotary } = {};
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => holder.self!.handle(req, res);
    if (opts.tlsDir) {
      const tls = await ensureSelfSignedTls(opts.tlsDir, ['127.0.0.1', 'localhost']);
      server = https.createServer({ cert: tls.cert, key: tls.key }, handler);
      ca = readFileSync(tls.caFile);
      caFile = tls.caFile;
    } else {
      server = http.createServer(handler);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const self = new MaliciousNotary(server, `${opts.tlsDir ? 'https' : 'http'}://127.0.0.1:${port}`, ca, caFile);
    holder.self = self;
    server.on('connection', (socket: Socket) => {
      self.sockets.add(socket);
      socket.on('close', () => self.sockets.delete(socket));
    });
    return self;
  }

  /** Serves `attack` from now on and forgets earlier requests. */
  serve(attack: Attack): void {
    this.attack = attack;
    this.requests.length = 0;
    this.dropConnections();
  }

  /** Requests that were writes (publish, delete, key rotation). */
  writes(): RequestRecord[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropConnections(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      path = req.url ?? '/';
    }
    const m = TUF_PATH.exec(path);
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      file: m ? m[2]! : path,
      bytesSent: 0,
      aborted: false,
      ...(m ? { gun: m[1]! } : {}),
    };
    this.requests.push(record);
    req.resume(); // discard any upload
    const attack = this.attack;
    let reply: Reply;
    if (attack?.all) reply = attack.all;
    else if (path === '/v2/' || path === '/v2') reply = bytes(Buffer.from('{}'));
    else if (!m) reply = { kind: 'status', status: 404 };
    else if (record.method !== 'GET')
      reply = { kind: 'status', status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"writes are not accepted here"}]}' };
    else reply = attack?.files.get(m[2]!) ?? { kind: 'status', status: 404 };
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    this.send(reply, res, record);
  }

  private send(reply: Reply, res: http.ServerResponse, record: RequestRecord): void {
    switch (reply.kind) {
      case 'bytes': {
        const headers: Record<string, string> = { 'Content-Type': reply.contentType ?? 'application/json' };
        if (!reply.chunked) headers['Content-Length'] = String(reply.bytes.length);
        res.writeHead(reply.status ?? 200, headers);
        if (!reply.chunked) {
          record.bytesSent = reply.bytes.length;
          res.end(reply.bytes);
          return;
        }
        this.pump(res, record, reply.bytes, false);
        return;
      }
      case 'status': {
        const body = Buffer.from(
          reply.body ??
            (reply.status === 404
              ? '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}'
              : '{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}'),
        );
        res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        record.bytesSent = body.length;
        res.end(body);
        return;
      }
      case 'endless':
        res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' });
        this.pump(res, record, reply.prefix ?? Buffer.from('{"signed":'), true);
        return;
      case 'hang':
        return; // the socket stays open until the client gives up (or close())
      case 'trickle': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        const timer = setInterval(() => {
          if (res.destroyed) {
            clearInterval(timer);
            this.timers.delete(timer);
            return;
          }
          res.write(' ');
          record.bytesSent++;
        }, 50);
        this.timers.add(timer);
        return;
      }
    }
  }

  /** Writes `first`, then (endless) spaces for ever, honouring back-pressure, until the client goes away. */
  private pump(res: http.ServerResponse, record: RequestRecord, first: Buffer, endless: boolean): void {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let pending: Buffer | undefined = first;
    const write = (): void => {
      while (!res.destroyed) {
        const next: Buffer | undefined = pending ?? (endless ? chunk : undefined);
        pending = undefined;
        if (!next) {
          res.end();
          return;
        }
        if (record.bytesSent >= ENDLESS_SAFETY_CAP) {
          res.destroy();
          return;
        }
        // a chunked reply of a whole file: send it in pieces
        const pieces = endless ? [next] : splitBuffer(next, 16 * 1024);
        let ok = true;
        for (const p of pieces) {
          record.bytesSent += p.length;
          ok = res.write(p) && ok;
        }
        if (!ok) {
          res.once('drain', write);
          return;
        }
      }
    };
    write();
  }
}

function splitBuffer(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out.length > 0 ? out : [b];
}

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

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

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
