/**
 * The world of the `dct server` bad-input tests (test/server/bad-input-*.test.ts):
 * raw HTTP and TCP senders that send paths exactly as given, multipart bodies
 * well and badly formed, notary's error envelope as an assertion, every stored
 * row read from the SQLite file, and two published repositories with their
 * owners' keys — `MANAGED` (the server signs the snapshot; targets delegate to
 * targets/releases) and `CLIENT` (the client signs the snapshot) — on a server
 * started per suite by `useBadInputServer()`.
 *
 * `refused` sends one bad request and asserts notary's 4xx answer and that not
 * one stored row changed.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { pino } from 'pino';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/storage/sqlite-driver.js';
import { encodeMultipart, NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { createRepository, signerFor } from '../../src/app/create-repository.js';
import { GoTime } from '../../src/core/go-time.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import type { PublicKey } from '../../src/core/keys/public-key.js';
import { defaultExpires } from '../../src/core/tuf/common.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata } from '../../src/core/tuf/metadata.js';
import { Root } from '../../src/core/tuf/root.js';
import { Snapshot } from '../../src/core/tuf/snapshot.js';
import { Targets, type Delegations } from '../../src/core/tuf/targets.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';

export const PASSPHRASE = 'bad-input-test';
export const MAX_BODY = 1024 * 1024;
export const MAX_ROLE = 256 * 1024;
export const MANAGED = 'example.com/bad/managed';
export const CLIENT = 'example.com/bad/client';
export const T = (gun: string) => `/v2/${gun}/_trust/tuf/`;

/** notary's messages (spec §5.3) and dct's own limits */
export const MESSAGES: Record<string, string> = {
  METADATA_NOT_FOUND: 'You have requested metadata that does not exist.',
  MALFORMED_UPLOAD: 'The body of your request is malformed.',
  NO_FILENAME: 'No file/role name provided.',
  INVALID_ROLE: 'The role you are attempting to operate on is invalid.',
  MALFORMED_JSON: 'JSON sent by the client could not be parsed by the server',
  INVALID_UPDATE: 'Update sent by the client is invalid.',
  VERSION: 'A newer version of metadata is already available.',
  INVALID_PARAMETERS: 'The parameters provided are not valid.',
  TOO_LARGE: 'The request body is larger than the server accepts.',
  TIMEOUT: 'The request took too long to arrive.',
};

export const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------
// HTTP

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let baseUrl: URL;

/** A request with the path sent exactly as given (no URL normalisation). */
export function send(
  method: string,
  path: string,
  opts: { body?: Buffer; headers?: Record<string, string>; chunked?: boolean; port?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body && !opts.chunked) headers['Content-Length'] = String(opts.body.length);
    const req = http.request({ host: baseUrl.hostname, port: opts.port ?? baseUrl.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    if (opts.body && opts.chunked) {
      // several chunks, no Content-Length
      for (let i = 0; i < opts.body.length; i += 64 * 1024) req.write(opts.body.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

/** Raw bytes on a TCP connection: everything the server sends until it closes (or `waitMs` passes). */
export function sendRaw(
  data: Buffer | string,
  opts: { port?: number; waitMs?: number; endInput?: boolean } = {},
): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: baseUrl.hostname, port: Number(opts.port ?? baseUrl.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false, ms: Date.now() - started });
    }, opts.waitMs ?? 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true, ms: Date.now() - started });
    });
    socket.write(data);
    if (opts.endInput) socket.end();
  });
}

export const statusOf = (raw: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);

export function multipart(parts: Array<{ filename: string; bytes: Buffer | string; field?: string }>): {
  body: Buffer;
  headers: Record<string, string>;
} {
  const { contentType, body } = encodeMultipart(
    parts.map((p) => ({ field: p.field ?? 'files', filename: p.filename, bytes: Buffer.from(p.bytes) })),
  );
  return { body, headers: { 'Content-Type': contentType } };
}

/** A hand-made multipart body with boundary `b0undary`. */
export function rawMultipart(text: string | Buffer, boundary = 'b0undary'): { body: Buffer; headers: Record<string, string> } {
  return { body: Buffer.from(text), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}

export const post = (gun: string, form: { body: Buffer; headers: Record<string, string> }) => send('POST', T(gun), form);

/** An expected detail: a value to compare, a function `(detail) => void` that checks it, or ABSENT. */
export type DetailCheck = unknown;
export const ABSENT = Symbol('no detail');

/** notary's error envelope: one entry, the code's fixed message, the detail (or none), one trailing newline. */
export function assertError(res: Answer, status: number, code: string, detail: DetailCheck = ABSENT, what = ''): void {
  const text = res.body.toString('utf8');
  assert.equal(res.status, status, `${what}: status (body ${text.slice(0, 300)})`);
  assert.ok(res.status >= 400 && res.status < 500, `${what}: a 4xx`);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', `${what}: Content-Type`);
  assert.ok(text.endsWith('}\n'), `${what}: one trailing newline`);
  const doc = JSON.parse(text) as { errors: Array<Record<string, unknown>> };
  assert.equal(doc.errors.length, 1, `${what}: one error`);
  const entry = doc.errors[0]!;
  assert.equal(entry['code'], code, `${what}: code`);
  assert.equal(entry['message'], MESSAGES[code], `${what}: message`);
  if (detail === ABSENT) assert.ok(!('detail' in entry), `${what}: no detail (got ${JSON.stringify(entry['detail'])})`);
  else if (typeof detail === 'function') (detail as (d: unknown) => void)(entry['detail']);
  else assert.deepEqual(entry['detail'], detail, `${what}: detail`);
}

/** INVALID_UPDATE's detail: notary's SerializableError `{"Name":…,"Error":{"Msg":…}}`. */
export const update = (name: string, msg: string | RegExp) => (detail: unknown) => {
  const d = detail as { Name?: unknown; Error?: { Msg?: unknown } };
  assert.equal(d.Name, name, `detail.Name of ${JSON.stringify(detail)}`);
  if (typeof msg === 'string') assert.equal(d.Error?.Msg, msg);
  else assert.match(String(d.Error?.Msg), msg);
};

// ---------------------------------------------------------------------------
// what is stored: every row of every table

export let db: SqliteDatabase;

export function storedRows(): unknown {
  return {
    files: db.prepare('SELECT * FROM tuf_files ORDER BY id').all(),
    changes: db.prepare('SELECT * FROM changefeed ORDER BY id').all(),
    keys: db.prepare('SELECT * FROM private_keys ORDER BY key_id').all(),
  };
}

export const countRows = (table: 'tuf_files' | 'changefeed', gun: string): number =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE gun = ?`).get(gun) as { n: number }).n;

// ---------------------------------------------------------------------------
// the repositories and their owners

export interface Owner {
  gun: string;
  rootKey: KeyObject;
  rootCert: PublicKey;
  root: Root;
  targetsKey: KeyObject;
  snapshotKey?: KeyObject;
  releasesKey: KeyObject;
  /** published bytes: `<role>@<version>` */
  published: Map<string, Buffer>;
}

export const now = () => new Date();

export function delegationsOf(owner: Owner): Delegations {
  const pub = signerFor(owner.releasesKey).publicKey;
  return { keys: { [pub.id]: pub }, roles: [{ name: 'targets/releases', keyids: [pub.id], threshold: 1, paths: [''] }] };
}

/** A targets role of `owner`, signed (by its key unless `signers` is given). */
export async function targetsFile(
  owner: Owner,
  role: string,
  version: number,
  opts: { targets?: Record<string, string>; signers?: Signer[]; expires?: GoTime; delegate?: boolean } = {},
): Promise<Buffer> {
  const files: Record<string, ReturnType<typeof fileMetaOf>> = {};
  for (const [name, content] of Object.entries(opts.targets ?? {})) files[name] = fileMetaOf(Buffer.from(content));
  const model = new Targets(
    role,
    version,
    opts.expires ?? defaultExpires('targets', now()),
    files,
    opts.delegate ? delegationsOf(owner) : undefined,
  );
  const key = role === 'targets' ? owner.targetsKey : owner.releasesKey;
  return (await new Metadata(model, []).sign(opts.signers ?? [signerFor(key)])).serialize();
}

/** A client snapshot of `owner` pinning the given files. */
export async function snapshotFile(owner: Owner, version: number, pins: Record<string, Buffer>, signers?: Signer[]): Promise<Buffer> {
  const meta: Record<string, ReturnType<typeof fileMetaOf>> = {};
  for (const [role, bytes] of Object.entries(pins)) meta[role] = fileMetaOf(bytes);
  const model = new Snapshot(version, defaultExpires('snapshot', now()), meta);
  return (await new Metadata(model, []).sign(signers ?? [signerFor(owner.snapshotKey as KeyObject)])).serialize();
}

/** `owner`'s root with changes, signed by the given root keys (default: the owner's). */
export async function rootFile(owner: Owner, change: (root: Root) => void, signers?: Signer[]): Promise<Buffer> {
  const copy = new Root(
    owner.root.version,
    owner.root.expires,
    { ...owner.root.keys },
    structuredClone(owner.root.roles),
    owner.root.consistentSnapshot,
  );
  change(copy);
  return (await new Metadata(copy, []).sign(signers ?? [new KeySigner(owner.rootKey, owner.rootCert)])).serialize();
}

/**
 * managed (server snapshot): root v1 + targets v1, then targets v2 delegating to
 * targets/releases + releases v1. client (client snapshot): root v1, targets v1,
 * snapshot v1, then targets v2 + snapshot v2.
 */
export async function buildRepos(client: NotaryClient): Promise<{ managed: Owner; clientOwner: Owner }> {
  const make = async (gun: string, clientSnapshot: boolean): Promise<Owner> => {
    const rootKey = newEcKey();
    const targetsKey = newEcKey();
    const snapshotKey = clientSnapshot ? newEcKey() : undefined;
    const created = await createRepository({
      gun,
      now: now(),
      rootKey,
      targetsKey,
      ...(snapshotKey ? { snapshotKey } : { serverSnapshotKey: await client.getKey(gun, 'snapshot') }),
      timestampKey: await client.getKey(gun, 'timestamp'),
    });
    await client.publish(gun, created.files);
    const owner: Owner = {
      gun,
      rootKey,
      rootCert: created.keys.root,
      root: created.root.signed,
      targetsKey,
      ...(snapshotKey ? { snapshotKey } : {}),
      releasesKey: newEcKey(),
      published: new Map(created.files.map((f) => [`${f.role}@1`, f.bytes])),
    };
    return owner;
  };
  const managed = await make(MANAGED, false);
  const targets2 = await targetsFile(managed, 'targets', 2, { targets: { a: 'a' }, delegate: true });
  const releases1 = await targetsFile(managed, 'targets/releases', 1, { targets: { 'rel-1': 'rel 1' } });
  await client.publish(MANAGED, [
    { role: 'targets', bytes: targets2 },
    { role: 'targets/releases', bytes: releases1 },
  ]);
  managed.published.set('targets@2', targets2).set('targets/releases@1', releases1);

  const clientOwner = await make(CLIENT, true);
  const ctargets2 = await targetsFile(clientOwner, 'targets', 2, { targets: { b: 'b' } });
  const csnapshot2 = await snapshotFile(clientOwner, 2, { root: clientOwner.published.get('root@1')!, targets: ctargets2 });
  await client.publish(CLIENT, [
    { role: 'targets', bytes: ctargets2 },
    { role: 'snapshot', bytes: csnapshot2 },
  ]);
  clientOwner.published.set('targets@2', ctargets2).set('snapshot@2', csnapshot2);
  return { managed, clientOwner };
}

// ---------------------------------------------------------------------------
// the server each file's suite runs against (set in its `before`)

export let server: RunningServer;
export let client: NotaryClient;
export let managed: Owner;
export let clientOwner: Owner;
export let dbFile: string;

/**
 * Called in a suite: before it, a server over a fresh SQLite file with the two
 * repositories published (and the file opened read-only for `storedRows`);
 * after it, everything closed and removed.
 */
export function useBadInputServer(): void {
  const work = mkdtempSync(join(tmpdir(), 'dct-bad-input-'));
  dbFile = join(work, 'dct.db');

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${dbFile}`,
        dataDir: join(work, 'data'),
        plainHttp: true,
        logLevel: 'silent',
        maxBodyBytes: MAX_BODY,
        maxRoleBytes: MAX_ROLE,
        // the corpus sends far more writes than the default per-client limit allows
        writesPerSecond: 100_000,
        writeBurst: 100_000,
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: PASSPHRASE }, pino({ level: 'silent' }));
    baseUrl = new URL(server.url);
    client = new NotaryClient({ baseUrl: server.url });
    ({ managed, clientOwner } = await buildRepos(client));
    db = openSqliteDatabase(dbFile, { readonly: true });
  });
  after(async () => {
    db?.close();
    client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });
}

/** Sends one bad request; asserts notary's error and that nothing stored changed. */
export async function refused(
  what: string,
  request: () => Promise<Answer>,
  status: number,
  code: string,
  detail: DetailCheck = ABSENT,
): Promise<void> {
  const before = storedRows();
  const res = await request();
  assertError(res, status, code, detail, what);
  assert.deepEqual(storedRows(), before, `${what}: stored rows changed`);
}
