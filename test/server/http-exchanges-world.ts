/**
 * The world of the replayed notary-server HTTP exchanges
 * (test/server/http-exchanges-*.test.ts; the recordings are
 * `shared/fixtures/notary-0.7/http-exchanges/01…34`): reading a recorded
 * exchange, sending its request to an in-process `dct server` (TLS with its
 * self-signed CA, SQLite in a temp folder), and comparing the answer with the
 * recording — status, Content-Type, the exact error bodies (code, message,
 * detail, trailing newline, Content-Length), the headers of metadata GETs
 * (Cache-Control, Last-Modified as `… 11:07:29 UTC`, no ETag or other extra
 * headers) and the metadata bytes. `replay` also asserts that every refused
 * request leaves the stored rows byte-for-byte unchanged.
 *
 * The repositories are built as the lab built them (`shared/reference/lab/
 * http-exchanges.sh`), with the same GUNs: `…/http/managed` is initialised
 * with a client snapshot key, then rotated to a server-managed snapshot (root
 * v2, so `1.root.json` has the old snapshot key), then targets v2 and v3 (v3
 * adds target `v1` = "x\n"); `…/http/client` keeps a client-managed snapshot
 * (targets v2 with `v1`). The server is configured as the lab configured
 * notary-server (`caching.max_age.consistent_metadata: 31536000` =
 * `--cache-max-age-consistent`), so every header is compared exactly.
 *
 * Deliberate difference, asserted as such: timestamp/snapshot versions differ
 * from the recording (the lab's notary CLI published more often); the bytes are
 * compared with what dct stored.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { pino } from 'pino';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/storage/sqlite-driver.js';
import { encodeMultipart, NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import {
  createRepository,
  targetFromContent,
  updateTargets,
  type RepositoryState,
  type TargetInput,
} from '../../src/app/create-repository.js';
import { KeySigner } from '../../src/core/keys/signer.js';
import { defaultExpires } from '../../src/core/tuf/common.js';
import { Metadata, parseMetadata } from '../../src/core/tuf/metadata.js';
import { Root } from '../../src/core/tuf/root.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fixturePath } from '../support/fixtures.js';

export const EXCHANGES = fixturePath('notary-0.7', 'http-exchanges');
export const MANAGED = '127.0.0.1:15000/http/managed';
export const CLIENT = '127.0.0.1:15000/http/client';
/** Go's RFC1123 with the zone name: `Mon, 23 Nov 2026 11:07:29 UTC` */
export const LAST_MODIFIED =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} UTC$/;
export const HTTP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
export const KEY_BODY = /^\{"keytype":"ecdsa","keyval":\{"public":"[A-Za-z0-9+/]+={0,2}","private":null\}\}$/;
/** headers any HTTP/1.1 server may add, whatever notary sent */
export const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

// ---------------------------------------------------------------------------
// the recordings

export interface Exchange {
  file: string;
  description: string;
  curl: string;
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Parses a recording: `# description`, `# curl …`, blank, then `curl -i` output (CRs stripped) and one `echo`ed newline. */
export function readExchange(file: string): Exchange {
  const text = readFileSync(join(EXCHANGES, file), 'utf8');
  const lines = text.split('\n');
  const statusAt = lines.findIndex((l) => /^HTTP\/\d(\.\d)? \d{3}/.test(l));
  assert.ok(statusAt > 0, `${file}: no status line`);
  const headers = new Map<string, string>();
  let i = statusAt + 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = lines.slice(i + 1).join('\n');
  assert.ok(rest.endsWith('\n'), `${file}: the recording ends with the echoed newline`);
  const body = Buffer.from(rest.slice(0, -1), 'utf8');
  const declared = headers.get('content-length');
  // the parse is right when it gives back exactly the bytes notary declared (HEAD: none sent)
  if (declared !== undefined && !/^# HEAD/.test(lines[0] as string)) assert.equal(body.length, Number(declared), `${file}: body length`);
  return {
    file,
    description: (lines[0] as string).replace(/^# /, ''),
    curl: (lines[1] as string).replace(/^# /, ''),
    status: Number((lines[statusAt] as string).split(' ')[1]),
    headers,
    body,
  };
}

/** The request path of a recording's curl command (`printf %q` escapes undone). */
export function pathOf(ex: Exchange): string {
  const m = /https:\/\/127\.0\.0\.1:14443(\/\S*)/.exec(ex.curl);
  assert.ok(m, `${ex.file}: no URL in ${ex.curl}`);
  return (m[1] as string).replace(/\\(.)/g, '$1');
}

// ---------------------------------------------------------------------------
// HTTP against the server

export interface Answer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

export let server: RunningServer;
export let ca: Buffer;

export function request(method: string, path: string, opts: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body) headers['Content-Length'] = String(opts.body.length);
    const req = https.request(new URL(path, server.url), { method, headers, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const map = new Map<string, string>();
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          map.set((res.rawHeaders[i] as string).toLowerCase(), res.rawHeaders[i + 1] as string);
        resolve({ status: res.statusCode ?? 0, headers: map, body: Buffer.concat(chunks) });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A multipart body as curl `-F files=@FILE;filename=ROLE` sends it. */
export function curlForm(filename: string, bytes: Buffer): { body: Buffer; headers: Record<string, string> } {
  const { contentType, body } = encodeMultipart([{ field: 'files', filename, bytes }]);
  return { body, headers: { 'Content-Type': contentType } };
}

/**
 * Compares our answer with the recording. `body`: 'same' = the recorded bytes
 * exactly; a Buffer = these bytes (metadata dct stored); 'key' = a public key
 * JSON like the recorded one; 'empty'.
 */
export function compare(ex: Exchange, ours: Answer, body: 'same' | 'key' | 'empty' | Buffer): void {
  const what = `${ex.file} (${ex.description})`;
  assert.equal(ours.status, ex.status, `${what}: status (body ${ours.body.toString('utf8').slice(0, 300)})`);
  for (const [name, value] of ex.headers) {
    if (name === 'date') assert.match(ours.headers.get('date') ?? '', HTTP_DATE, `${what}: Date`);
    else if (name === 'last-modified') {
      assert.match(value, LAST_MODIFIED, `${what}: recorded Last-Modified`);
      assert.match(ours.headers.get(name) ?? '(none)', LAST_MODIFIED, `${what}: Last-Modified`);
    } else if (name === 'content-length') {
      if (body === 'same' || body === 'key') assert.equal(ours.headers.get(name), value, `${what}: Content-Length`);
    } else if (name !== 'transfer-encoding') {
      assert.equal(ours.headers.get(name), value, `${what}: ${name}`);
    }
  }
  for (const name of ours.headers.keys()) {
    assert.ok(
      ex.headers.has(name) || TRANSPORT_HEADERS.has(name),
      `${what}: notary sends no ${name} header (ours: ${ours.headers.get(name)})`,
    );
  }
  const length = ours.headers.get('content-length');
  if (length !== undefined && ex.file.indexOf('head-') < 0) assert.equal(Number(length), ours.body.length, `${what}: our Content-Length`);
  if (body === 'same') assert.equal(ours.body.toString('utf8'), ex.body.toString('utf8'), `${what}: body`);
  else if (body === 'empty') {
    assert.equal(ours.body.length, 0, `${what}: empty body`);
    assert.equal(ex.body.length, 0, `${what}: recorded empty body`);
  } else if (body === 'key') {
    assert.match(ex.body.toString('utf8'), KEY_BODY, `${what}: recorded key`);
    assert.match(ours.body.toString('utf8'), KEY_BODY, `${what}: key`);
    assert.equal(ours.body.length, ex.body.length, `${what}: key JSON length`);
  } else {
    assert.ok(ours.body.equals(body), `${what}: metadata bytes`);
    // same document shape as notary's: members of `signed` and of a signature
    const theirs = JSON.parse(ex.body.toString('utf8')) as { signed: Record<string, unknown>; signatures: Array<Record<string, unknown>> };
    const mine = JSON.parse(ours.body.toString('utf8')) as typeof theirs;
    assert.deepEqual(Object.keys(mine.signed), Object.keys(theirs.signed), `${what}: members of signed`);
    assert.deepEqual(Object.keys(mine.signatures[0] ?? {}), Object.keys(theirs.signatures[0] ?? {}), `${what}: members of a signature`);
    assert.equal(mine.signed['_type'], theirs.signed['_type'], `${what}: _type`);
  }
}

// ---------------------------------------------------------------------------
// what is stored: every row of every table, compared byte for byte

export let db: SqliteDatabase;

export function storedRows(): unknown {
  return {
    files: db.prepare('SELECT * FROM tuf_files ORDER BY id').all(),
    changes: db.prepare('SELECT * FROM changefeed ORDER BY id').all(),
    keys: db.prepare('SELECT * FROM private_keys ORDER BY key_id').all(),
  };
}

export async function storedCurrent(gun: string, role: string): Promise<Buffer> {
  const row = db.prepare('SELECT data FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1').get(gun, role) as
    { data: Buffer } | undefined;
  assert.ok(row, `${gun} has a stored ${role}`);
  return row.data;
}

// ---------------------------------------------------------------------------
// the repositories

export interface Built {
  rootV1: Buffer;
  rootV2: Buffer;
  targets: Buffer;
  timestampKey: string;
}

export async function buildManaged(client: NotaryClient, now: Date): Promise<Built> {
  const rootKey = newEcKey();
  const targetsKey = newEcKey();
  const timestampKey = await client.getKey(MANAGED, 'timestamp');
  // notary init -p (client snapshot key)
  const created = await createRepository({ gun: MANAGED, now, rootKey, targetsKey, snapshotKey: newEcKey(), timestampKey });
  await client.publish(MANAGED, created.files);
  // notary key rotate snapshot -r: root v2 lists the server's new snapshot key; only root is uploaded
  const serverSnapshot = await client.rotateKey(MANAGED, 'snapshot');
  const v1 = created.root.signed;
  const keys = { ...v1.keys };
  for (const id of v1.roles['snapshot']?.keyids ?? []) delete keys[id];
  keys[serverSnapshot.id] = serverSnapshot;
  const rootV2 = new Root(2, defaultExpires('root', now), keys, { ...v1.roles, snapshot: { keyids: [serverSnapshot.id], threshold: 1 } });
  const rootV2Md = await new Metadata(rootV2, []).sign([new KeySigner(rootKey, created.keys.root)]);
  const rootV2Bytes = rootV2Md.serialize();
  await client.publish(MANAGED, [{ role: 'root', bytes: rootV2Bytes }]);
  // two targets publishes with a server-made snapshot: v2, then v3 with target v1 = "x\n"
  let state: RepositoryState = { gun: MANAGED, root: parseMetadata(rootV2Bytes, 'root'), targets: created.targets };
  let last: Buffer = Buffer.alloc(0);
  const adds: Array<Record<string, TargetInput>> = [{}, { v1: targetFromContent(Buffer.from('x\n')) }];
  for (const add of adds) {
    const next = await updateTargets(state, { now, targetsKey, add });
    await client.publish(MANAGED, next.files);
    state = { ...state, targets: next.targets };
    last = next.files[0]!.bytes;
  }
  return { rootV1: created.bytes.root, rootV2: rootV2Bytes, targets: last, timestampKey: timestampKey.id };
}

export async function buildClientManaged(client: NotaryClient, now: Date): Promise<Buffer> {
  const targetsKey = newEcKey();
  const snapshotKey = newEcKey();
  const created = await createRepository({
    gun: CLIENT,
    now,
    rootKey: newEcKey(),
    targetsKey,
    snapshotKey,
    timestampKey: await client.getKey(CLIENT, 'timestamp'),
  });
  await client.publish(CLIENT, created.files);
  const state: RepositoryState = {
    gun: CLIENT,
    root: created.root,
    targets: created.targets,
    ...(created.snapshot ? { snapshot: created.snapshot } : {}),
  };
  const next = await updateTargets(state, { now, targetsKey, snapshotKey, add: { v1: targetFromContent(Buffer.from('x\n')) } });
  await client.publish(CLIENT, next.files);
  return next.files[0]!.bytes;
}

// ---------------------------------------------------------------------------
// the server each file's suite runs against (set in its `before`)

export let client: NotaryClient;
export let managed: Built;
export let clientTargets: Buffer;
export let now: Date;

/**
 * Called in a suite: before it, a `dct server` configured as the lab's
 * notary-server (TLS, SQLite in a temp folder) with both repositories built as
 * the lab built them, and its SQLite file opened read-only for `storedRows`;
 * after it, everything closed and removed.
 */
export function useExchangeServer(): void {
  const work = mkdtempSync(join(tmpdir(), 'dct-http-exchanges-'));
  const dbFile = join(work, 'dct.db');
  now = new Date();

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${dbFile}`,
        dataDir: join(work, 'data'),
        logLevel: 'silent',
        // as the lab's notary-server (shared/reference/start-reference.sh: caching.max_age)
        cacheMaxAgeCurrent: 300,
        cacheMaxAgeConsistent: 31536000,
        writesPerSecond: 100_000,
        writeBurst: 100_000,
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'http-exchanges-test' }, pino({ level: 'silent' }));
    assert.ok(server.url.startsWith('https://'), 'the recordings were made over TLS');
    ca = readFileSync(server.caFile as string);
    client = new NotaryClient({ baseUrl: server.url, ca });
    managed = await buildManaged(client, now);
    clientTargets = await buildClientManaged(client, now);
    db = openSqliteDatabase(dbFile, { readonly: true });
  });
  after(async () => {
    db?.close();
    client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });
}

/** Sends the recorded request (or the one given) and compares; refused requests must leave storage unchanged. */
export async function replayFor(
  file: string,
  body: 'same' | 'key' | 'empty' | Buffer | (() => Promise<Buffer>),
  req: { method?: string; path?: string; body?: Buffer; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const ex = readExchange(file);
  const before = storedRows();
  const ours = await request(req.method ?? 'GET', req.path ?? pathOf(ex), {
    ...(req.body ? { body: req.body } : {}),
    ...(req.headers ? { headers: req.headers } : {}),
  });
  compare(ex, ours, typeof body === 'function' ? await body() : body);
  if (ex.status >= 400) assert.deepEqual(storedRows(), before, `${file}: stored rows changed`);
  return ours;
}
export const replay = async (...args: Parameters<typeof replayFor>): Promise<void> => {
  await replayFor(...args);
};
