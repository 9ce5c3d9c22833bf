/**
 * `dct server` against bad input: a corpus of malformed multipart bodies,
 * non-JSON and non-envelope parts, invalid role names, tampered and wrongly
 * signed metadata, root rotations the old root did not sign, old and same
 * versions, bodies and roles over the limits, path tricks in the GUN, unrouted
 * methods, bad changefeed parameters and requests that stop sending — each
 * sent to a server that holds published repositories.
 *
 * For every request: a 4xx (never a 5xx), notary's error envelope with the
 * expected code (and detail, where notary has one), and every stored row
 * (tuf_files, changefeed, private_keys, read from the SQLite file) byte for
 * byte identical afterwards. Then concurrency: 8 simultaneous publishes of the
 * next version → exactly one 200, seven 400 VERSION, and the repository loads
 * through the client trust rules at the winner's version.
 *
 * Answers that are notary's own (spec §5.4) and so not refusals:
 * - a `timestamp` part is accepted and ignored: a timestamp-only upload to a
 *   repository whose snapshot the server signs is a 200 that re-signs snapshot
 *   and timestamp; the uploaded bytes are never stored (asserted).
 * - `targets.json` as a filename is the role `targets` (one `.json` is stripped).
 *
 * Protocol-level garbage (an unknown method token, broken chunking, a request
 * that stops sending) is answered by node's HTTP parser before any route runs,
 * as Go's net/http answers it for notary: a bare 4xx without the JSON envelope.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/storage/sqlite-driver.js';
import { EmbeddedKeyService } from '../../src/adapters/key-service/embedded-key-service.js';
import { encodeMultipart, NotaryClient, NotaryHttpError } from '../../src/adapters/notary-http/notary-client.js';
import { SqliteStore } from '../../src/adapters/storage/sqlite-store.js';
import { createRepository, signerFor } from '../../src/app/create-repository.js';
import { loadRepository } from '../../src/app/load-repository.js';
import { GoTime } from '../../src/core/go-time.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import type { PublicKey } from '../../src/core/keys/public-key.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import { defaultExpires } from '../../src/core/tuf/common.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata, parseMetadata } from '../../src/core/tuf/metadata.js';
import { Root } from '../../src/core/tuf/root.js';
import { Snapshot } from '../../src/core/tuf/snapshot.js';
import { Timestamp } from '../../src/core/tuf/timestamp.js';
import { Targets, type Delegations } from '../../src/core/tuf/targets.js';
import { loadConfig } from '../../src/server/config.js';
import { createTrustHttpServer } from '../../src/server/http-server.js';
import { ResponseCache } from '../../src/server/response-cache.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { newRootKey } from '../support/repo-simulator.js';

const PASSPHRASE = 'bad-input-test';
const MAX_BODY = 1024 * 1024;
const MAX_ROLE = 256 * 1024;
const MANAGED = 'example.com/bad/managed';
const CLIENT = 'example.com/bad/client';
const T = (gun: string) => `/v2/${gun}/_trust/tuf/`;

/** notary's messages (spec §5.3) and dct's own limits */
const MESSAGES: Record<string, string> = {
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

const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let baseUrl: URL;

/** A request with the path sent exactly as given (no URL normalisation). */
function send(
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
function sendRaw(
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

const statusOf = (raw: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);

function multipart(parts: Array<{ filename: string; bytes: Buffer | string; field?: string }>): {
  body: Buffer;
  headers: Record<string, string>;
} {
  const { contentType, body } = encodeMultipart(
    parts.map((p) => ({ field: p.field ?? 'files', filename: p.filename, bytes: Buffer.from(p.bytes) })),
  );
  return { body, headers: { 'Content-Type': contentType } };
}

/** A hand-made multipart body with boundary `b0undary`. */
function rawMultipart(text: string | Buffer, boundary = 'b0undary'): { body: Buffer; headers: Record<string, string> } {
  return { body: Buffer.from(text), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}

const post = (gun: string, form: { body: Buffer; headers: Record<string, string> }) => send('POST', T(gun), form);

/** An expected detail: a value to compare, a function `(detail) => void` that checks it, or ABSENT. */
type DetailCheck = unknown;
const ABSENT = Symbol('no detail');

/** notary's error envelope: one entry, the code's fixed message, the detail (or none), one trailing newline. */
function assertError(res: Answer, status: number, code: string, detail: DetailCheck = ABSENT, what = ''): void {
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
const update = (name: string, msg: string | RegExp) => (detail: unknown) => {
  const d = detail as { Name?: unknown; Error?: { Msg?: unknown } };
  assert.equal(d.Name, name, `detail.Name of ${JSON.stringify(detail)}`);
  if (typeof msg === 'string') assert.equal(d.Error?.Msg, msg);
  else assert.match(String(d.Error?.Msg), msg);
};

// ---------------------------------------------------------------------------
// what is stored: every row of every table

let db: SqliteDatabase;

function storedRows(): unknown {
  return {
    files: db.prepare('SELECT * FROM tuf_files ORDER BY id').all(),
    changes: db.prepare('SELECT * FROM changefeed ORDER BY id').all(),
    keys: db.prepare('SELECT * FROM private_keys ORDER BY key_id').all(),
  };
}

const countRows = (table: 'tuf_files' | 'changefeed', gun: string): number =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE gun = ?`).get(gun) as { n: number }).n;

// ---------------------------------------------------------------------------
// the repositories and their owners

interface Owner {
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

const now = () => new Date();

function delegationsOf(owner: Owner): Delegations {
  const pub = signerFor(owner.releasesKey).publicKey;
  return { keys: { [pub.id]: pub }, roles: [{ name: 'targets/releases', keyids: [pub.id], threshold: 1, paths: [''] }] };
}

/** A targets role of `owner`, signed (by its key unless `signers` is given). */
async function targetsFile(
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
async function snapshotFile(owner: Owner, version: number, pins: Record<string, Buffer>, signers?: Signer[]): Promise<Buffer> {
  const meta: Record<string, ReturnType<typeof fileMetaOf>> = {};
  for (const [role, bytes] of Object.entries(pins)) meta[role] = fileMetaOf(bytes);
  const model = new Snapshot(version, defaultExpires('snapshot', now()), meta);
  return (await new Metadata(model, []).sign(signers ?? [signerFor(owner.snapshotKey as KeyObject)])).serialize();
}

/** `owner`'s root with changes, signed by the given root keys (default: the owner's). */
async function rootFile(owner: Owner, change: (root: Root) => void, signers?: Signer[]): Promise<Buffer> {
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
async function buildRepos(client: NotaryClient): Promise<{ managed: Owner; clientOwner: Owner }> {
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

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-bad-input-'));
  const dbFile = join(work, 'dct.db');
  let server: RunningServer;
  let client: NotaryClient;
  let managed: Owner;
  let clientOwner: Owner;

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

  /** Sends one bad request; asserts notary's error and that nothing stored changed. */
  async function refused(
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

  it('the repositories are published and load through the client trust rules', async () => {
    const m = await loadRepository(new NotaryServerSource(client, MANAGED), { gun: MANAGED, now: now() });
    assert.deepEqual(
      m.trusted
        .listTargets()
        .map((t) => t.name)
        .sort(),
      ['a', 'rel-1'],
    );
    const c = await loadRepository(new NotaryServerSource(client, CLIENT), { gun: CLIENT, now: now() });
    assert.deepEqual(
      c.trusted.listTargets().map((t) => t.name),
      ['b'],
    );
  });

  describe('malformed multipart', () => {
    const part = (filename: string, data: string) =>
      `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n`;
    const targets = () => managed.published.get('targets@2')!.toString('utf8');

    it('no Content-Type, a non-multipart type, multipart/mixed → MALFORMED_UPLOAD', async () => {
      const body = Buffer.from(part('targets', targets()) + '--b0undary--\r\n');
      await refused('no Content-Type', () => send('POST', T(MANAGED), { body }), 400, 'MALFORMED_UPLOAD');
      await refused(
        'text/plain',
        () => send('POST', T(MANAGED), { body, headers: { 'Content-Type': 'text/plain' } }),
        400,
        'MALFORMED_UPLOAD',
      );
      await refused(
        'multipart/mixed',
        () => send('POST', T(MANAGED), { body, headers: { 'Content-Type': 'multipart/mixed; boundary=b0undary' } }),
        400,
        'MALFORMED_UPLOAD',
      );
    });

    it('no boundary, an empty or 71-character boundary → MALFORMED_UPLOAD', async () => {
      const body = Buffer.from(part('targets', targets()) + '--b0undary--\r\n');
      for (const type of [
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=""',
        `multipart/form-data; boundary=${'x'.repeat(71)}`,
      ]) {
        await refused(type, () => send('POST', T(MANAGED), { body, headers: { 'Content-Type': type } }), 400, 'MALFORMED_UPLOAD');
      }
    });

    it('a body that does not use the declared boundary → MALFORMED_UPLOAD', () =>
      refused(
        'broken boundary',
        () => post(MANAGED, rawMultipart(part('targets', targets()) + '--b0undary--\r\n', 'other')),
        400,
        'MALFORMED_UPLOAD',
      ));

    it('an empty body → MALFORMED_UPLOAD (notary-server drops the connection)', () =>
      refused('empty body', () => post(MANAGED, rawMultipart('')), 400, 'MALFORMED_UPLOAD'));

    it('no parts (only the close delimiter) is an update: where the server cannot sign the snapshot → ErrBadHierarchy', async () => {
      // what notary's CLI sends for a publish with nothing staged (test/server/empty-update.test.ts: the managed case)
      // a first "boundary" with text after it is preamble to Go's reader (as notary-server answers)
      const preambleOnly = `--b0undaryContent-Disposition: form-data; name="files"; filename="targets"\r\n\r\n${targets()}\r\n--b0undary--\r\n`;
      for (const body of ['--b0undary--\r\n', '\r\n--b0undary--\r\n', preambleOnly]) {
        await refused(
          `no parts ${JSON.stringify(body)}`,
          () => post(CLIENT, rawMultipart(body)),
          400,
          'INVALID_UPDATE',
          update('ErrBadHierarchy', /server does not hold current snapshot key/),
        );
      }
    });

    it('truncated bodies (no close delimiter, cut in the headers, cut in the data) → MALFORMED_UPLOAD', async () => {
      const whole = part('targets', targets()) + '--b0undary--\r\n';
      for (const cut of [whole.length - 16, whole.indexOf('\r\n\r\n') - 5, whole.indexOf('{"signed"') + 100, 12]) {
        await refused(`cut at ${cut}`, () => post(MANAGED, rawMultipart(whole.slice(0, cut))), 400, 'MALFORMED_UPLOAD');
      }
    });

    it('missing CRLFs (after the boundary, between headers and data, LF-only lines) → MALFORMED_UPLOAD', async () => {
      const t = targets();
      const bodies = [
        `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="targets"\r\n${t}\r\n--b0undary--\r\n`,
        `--b0undary\nContent-Disposition: form-data; name="files"; filename="targets"\n\n${t}\n--b0undary--\n`,
        `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="targets"\r\n\r\n${t}--b0undary--\r\n`,
      ];
      for (const [i, body] of bodies.entries())
        await refused(`missing CRLF #${i}`, () => post(MANAGED, rawMultipart(body)), 400, 'MALFORMED_UPLOAD');
    });

    it('a header line that is not "Name: value" → MALFORMED_UPLOAD', () =>
      refused(
        'bad header line',
        () => post(MANAGED, rawMultipart(`--b0undary\r\nthis is not a header\r\n\r\n${targets()}\r\n--b0undary--\r\n`)),
        400,
        'MALFORMED_UPLOAD',
      ));

    it('a part without headers, without Content-Disposition, without filename, with a repeated filename → NO_FILENAME', async () => {
      const t = targets();
      const bodies = [
        `--b0undary\r\n\r\n${t}\r\n--b0undary--\r\n`,
        `--b0undary\r\nContent-Type: application/octet-stream\r\n\r\n${t}\r\n--b0undary--\r\n`,
        `--b0undary\r\nContent-Disposition: form-data; name="files"\r\n\r\n${t}\r\n--b0undary--\r\n`,
        // Go's mime.ParseMediaType refuses a repeated parameter: no filename at all, never "the first" or "the last"
        `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="root"; filename="targets"\r\n\r\n${t}\r\n--b0undary--\r\n`,
        // a valid part first does not help: every part needs a role
        part('targets', t) + `--b0undary\r\n\r\n${t}\r\n--b0undary--\r\n`,
      ];
      for (const [i, body] of bodies.entries())
        await refused(`no filename #${i}`, () => post(MANAGED, rawMultipart(body)), 400, 'NO_FILENAME');
    });

    it('every part counts whatever its form name (as notary): name="other" filename="foo" → INVALID_ROLE', () =>
      refused(
        'other form field',
        () => post(MANAGED, multipart([{ filename: 'foo', bytes: targets(), field: 'other' }])),
        400,
        'INVALID_ROLE',
        'foo',
      ));

    it('2000 parts → MALFORMED_UPLOAD (at most 1000)', () => {
      const parts = Array.from({ length: 2000 }, () => ({ filename: 'timestamp', bytes: '{}' }));
      return refused('2000 parts', () => post(MANAGED, multipart(parts)), 400, 'MALFORMED_UPLOAD');
    });

    it('a huge filename → INVALID_ROLE with the name as detail', () => {
      const name = `targets/${'a'.repeat(100_000)}`;
      return refused('huge filename', () => post(MANAGED, multipart([{ filename: name, bytes: targets() }])), 400, 'INVALID_ROLE', name);
    });

    it('a well-formed body sent chunked is read as well (and refused for its content)', () =>
      refused(
        'chunked',
        () => send('POST', T(MANAGED), { ...multipart([{ filename: 'targets', bytes: targets() }]), chunked: true }),
        400,
        'VERSION',
        {},
      ));
  });

  describe('parts that are not metadata envelopes', () => {
    const envelopes: Array<[string, string | Buffer]> = [
      ['not JSON', 'not json'],
      ['empty', ''],
      ['null', 'null'],
      ['a JSON array', '[]'],
      ['a JSON string', '"targets"'],
      ['an empty object', '{}'],
      ['signed is an array', '{"signed":[],"signatures":[]}'],
      ['signed is null', '{"signed":null,"signatures":[]}'],
      ['no _type', '{"signed":{"expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]}'],
      ['_type is a number', '{"signed":{"_type":1,"expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]}'],
      ['no expires', '{"signed":{"_type":"Targets","version":3},"signatures":[]}'],
      ['expires not a time', '{"signed":{"_type":"Targets","expires":"tomorrow","version":3},"signatures":[]}'],
      ['no version', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z"},"signatures":[]}'],
      ['version is a string', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":"3"},"signatures":[]}'],
      ['version is fractional', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3.5},"signatures":[]}'],
      ['version overflows', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":1e400},"signatures":[]}'],
      ['signatures is an object', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":{}}'],
      ['a signature is a string', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":["sig"]}'],
      ['truncated JSON', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":['],
      ['trailing garbage', '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]} x'],
      ['a byte-order mark', '\ufeff{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3},"signatures":[]}'],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ];
    for (const [name, data] of envelopes) {
      it(`${name} → MALFORMED_JSON`, () =>
        refused(name, () => post(MANAGED, multipart([{ filename: 'targets', bytes: data }])), 400, 'MALFORMED_JSON'));
    }

    it('a bad part after a good one, and a bad timestamp part → MALFORMED_JSON (every part is decoded)', async () => {
      const next = await targetsFile(managed, 'targets', 3, { delegate: true });
      await refused(
        'good then bad',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'root', bytes: 'garbage' },
            ]),
          ),
        400,
        'MALFORMED_JSON',
      );
      await refused(
        'bad timestamp',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'timestamp', bytes: '[1,2' },
            ]),
          ),
        400,
        'MALFORMED_JSON',
      );
    });

    it('an envelope whose content is not the role (targets as snapshot or root, a number as targets) → INVALID_UPDATE', async () => {
      const targets3 = await targetsFile(managed, 'targets', 3, { delegate: true });
      await refused(
        'targets as snapshot',
        () => post(MANAGED, multipart([{ filename: 'snapshot', bytes: targets3 }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', 'snapshot type metadata invalid: expected type Snapshot, not Targets'),
      );
      await refused(
        'targets as root',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: managed.published.get('targets@1')! }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /Root|root/),
      );
      await refused(
        'targets member is a number',
        () =>
          post(
            MANAGED,
            multipart([
              {
                filename: 'targets',
                bytes: '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3,"targets":5},"signatures":[]}',
              },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /targets/),
      );
      const deep = `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","version":3,"targets":${'['.repeat(50_000)}${']'.repeat(50_000)}},"signatures":[]}`;
      await refused(
        'deeply nested',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: deep }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /targets/),
      );
    });
  });

  describe('role names', () => {
    const data = () => managed.published.get('targets@2')!;
    const invalid: Array<[string, string]> = [
      ['foo', 'foo'],
      ['targets/../root', 'targets/../root'],
      ['TARGETS/x', 'TARGETS/x'],
      ['Targets', 'Targets'],
      ['targets//x', 'targets//x'],
      ['targets/./x', 'targets/./x'],
      ['targets/', 'targets/'],
      ['/targets', '/targets'],
      ['targets/x/', 'targets/x/'],
      [' targets', ' targets'],
      ['targets.json.json', 'targets.json'],
      ['root.JSON', 'root.JSON'],
      ['targets/x y', 'targets/x y'],
      ['targets/é', 'targets/é'],
      ['..', '..'],
    ];
    for (const [filename, role] of invalid) {
      it(`filename ${JSON.stringify(filename)} → INVALID_ROLE detail ${JSON.stringify(role)}`, () =>
        refused(filename, () => post(MANAGED, multipart([{ filename, bytes: data() }])), 400, 'INVALID_ROLE', role));
    }

    it('filename "" and ".json" → NO_FILENAME', async () => {
      await refused('""', () => post(MANAGED, multipart([{ filename: '', bytes: data() }])), 400, 'NO_FILENAME');
      await refused('.json', () => post(MANAGED, multipart([{ filename: '.json', bytes: data() }])), 400, 'NO_FILENAME');
    });

    it('a bad role after a good part → INVALID_ROLE (nothing of the good part is stored)', async () => {
      const next = await targetsFile(managed, 'targets', 3, { delegate: true });
      await refused(
        'good then foo',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'foo', bytes: next },
            ]),
          ),
        400,
        'INVALID_ROLE',
        'foo',
      );
    });

    it('".json" suffixes are stripped once: targets.json / targets/releases.json of stored versions → VERSION', async () => {
      await refused('targets.json', () => post(MANAGED, multipart([{ filename: 'targets.json', bytes: data() }])), 400, 'VERSION', {});
      await refused(
        'targets/releases.json',
        () => post(MANAGED, multipart([{ filename: 'targets/releases.json', bytes: managed.published.get('targets/releases@1')! }])),
        400,
        'VERSION',
        {},
      );
    });

    it('a delegation the targets role does not list, and one below it → INVALID_UPDATE ErrBadTargets', async () => {
      const nope = await targetsFile(managed, 'targets/nope', 1, { signers: [signerFor(managed.releasesKey)] });
      await refused(
        'targets/nope',
        () => post(MANAGED, multipart([{ filename: 'targets/nope', bytes: nope }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'tuf: invalid role targets/nope. delegation does not exist'),
      );
      const deeper = await targetsFile(managed, 'targets/releases/deeper', 1, { signers: [signerFor(managed.releasesKey)] });
      await refused(
        'targets/releases/deeper',
        () => post(MANAGED, multipart([{ filename: 'targets/releases/deeper', bytes: deeper }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'tuf: invalid role targets/releases/deeper. delegation does not exist'),
      );
    });

    it('timestamp only where the server cannot sign a snapshot (client-managed) → ErrBadHierarchy', async () => {
      const ts = managed.published.get('targets@1')!; // any envelope: a timestamp part is ignored
      await refused(
        'timestamp only',
        () => post(CLIENT, multipart([{ filename: 'timestamp', bytes: ts }])),
        400,
        'INVALID_UPDATE',
        (d: unknown) =>
          assert.deepEqual(d, {
            Name: 'ErrBadHierarchy',
            Error: {
              Missing: 'snapshot',
              Msg: 'no snapshot was included in update and server does not hold current snapshot key for repository',
            },
          }),
      );
    });
  });

  describe('signatures, keys and versions', () => {
    it('a tampered signature → ErrBadTargets "valid signatures did not meet threshold for targets"', async () => {
      const good = await targetsFile(managed, 'targets', 3, { delegate: true });
      const doc = JSON.parse(good.toString('utf8')) as { signatures: Array<{ sig: string }> };
      const sig = Buffer.from(doc.signatures[0]!.sig, 'base64');
      sig[10] = (sig[10] as number) ^ 0x01;
      doc.signatures[0]!.sig = sig.toString('base64');
      await refused(
        'flipped bit',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: JSON.stringify(doc) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets'),
      );
      // the signature of v2 on v3 content (the lab's exchange 24)
      const v2 = JSON.parse(managed.published.get('targets@2')!.toString('utf8')) as { signatures: unknown };
      const moved = JSON.parse(good.toString('utf8')) as { signatures: unknown };
      moved.signatures = v2.signatures;
      await refused(
        'old signature',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: JSON.stringify(moved) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets'),
      );
    });

    it('no signatures → ErrBadTargets "tuf: data has no signatures"', async () => {
      const doc = JSON.parse((await targetsFile(managed, 'targets', 3, { delegate: true })).toString('utf8')) as { signatures: unknown[] };
      doc.signatures = [];
      await refused(
        'no signatures',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: JSON.stringify(doc) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'tuf: data has no signatures'),
      );
    });

    it('signed by a wrong key (targets, a delegation, a client snapshot, a snapshot on a server-snapshot GUN) → INVALID_UPDATE', async () => {
      const stranger = signerFor(newEcKey());
      const byStranger = await targetsFile(managed, 'targets', 3, { delegate: true, signers: [stranger] });
      await refused(
        'targets by a stranger',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: byStranger }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets'),
      );
      // by the targets key instead of the delegation's
      const releases = await targetsFile(managed, 'targets/releases', 2, { signers: [signerFor(managed.targetsKey)] });
      await refused(
        'releases by the targets key',
        () => post(MANAGED, multipart([{ filename: 'targets/releases', bytes: releases }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets/releases'),
      );
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      const badSnapshot = await snapshotFile(clientOwner, 3, { root: clientOwner.published.get('root@1')!, targets: ctargets }, [stranger]);
      await refused(
        'client snapshot by a stranger',
        () =>
          post(
            CLIENT,
            multipart([
              { filename: 'targets', bytes: ctargets },
              { filename: 'snapshot', bytes: badSnapshot },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', 'valid signatures did not meet threshold for snapshot'),
      );
      const next = await targetsFile(managed, 'targets', 3, { delegate: true });
      const forged = await snapshotFile(managed, 9, { root: managed.published.get('root@1')!, targets: next }, [stranger]);
      await refused(
        'snapshot upload on a server-snapshot GUN',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'snapshot', bytes: forged },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', 'valid signatures did not meet threshold for snapshot'),
      );
    });

    it('a good targets with a badly signed delegation in the same upload → refused whole (atomic)', async () => {
      const targets3 = await targetsFile(managed, 'targets', 3, { delegate: true, targets: { a: 'a', new: 'new' } });
      const releases = await targetsFile(managed, 'targets/releases', 2, { signers: [signerFor(newEcKey())] });
      await refused(
        'targets + bad releases',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: targets3 },
              { filename: 'targets/releases', bytes: releases },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets/releases'),
      );
    });

    it('a client snapshot that pins other bytes than uploaded → ErrBadSnapshot', async () => {
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      const wrongPin = await snapshotFile(clientOwner, 3, {
        root: clientOwner.published.get('root@1')!,
        targets: clientOwner.published.get('targets@2')!,
      });
      await refused(
        'wrong pin',
        () =>
          post(
            CLIENT,
            multipart([
              { filename: 'targets', bytes: ctargets },
              { filename: 'snapshot', bytes: wrongPin },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', /^sha256 checksum for targets did not match/),
      );
    });

    it('targets without a snapshot on a client-snapshot GUN → ErrBadHierarchy', async () => {
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      await refused(
        'no snapshot',
        () => post(CLIENT, multipart([{ filename: 'targets', bytes: ctargets }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadHierarchy', /server does not hold current snapshot key/),
      );
    });

    it('an expired targets → ErrBadTargets "targets expired at …"', async () => {
      const expired = await targetsFile(managed, 'targets', 3, { delegate: true, expires: GoTime.fromEpochMs(Date.now() - 60_000) });
      await refused(
        'expired',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: expired }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /^targets expired at \w{3} \w{3} \d+ \d\d:\d\d:\d\d UTC \d{4}$/),
      );
    });

    it('versions 0 and beyond 32 bits, correctly signed → 400 INVALID_UPDATE (never a storage error)', async () => {
      await refused(
        'version 0',
        async () =>
          post(MANAGED, multipart([{ filename: 'targets', bytes: await targetsFile(managed, 'targets', 0, { delegate: true }) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /version cannot be less than 1/),
      );
      await refused(
        'version 2^31',
        async () =>
          post(MANAGED, multipart([{ filename: 'targets', bytes: await targetsFile(managed, 'targets', 2 ** 31, { delegate: true }) }])),
        400,
        'INVALID_UPDATE',
        update('ErrValidation', `version ${2 ** 31} of targets is not an integer in 0..2147483647`),
      );
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      const bigSnapshot = await snapshotFile(clientOwner, 2 ** 40, { root: clientOwner.published.get('root@1')!, targets: ctargets });
      await refused(
        'snapshot version 2^40',
        () =>
          post(
            CLIENT,
            multipart([
              { filename: 'targets', bytes: ctargets },
              { filename: 'snapshot', bytes: bigSnapshot },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrValidation', `version ${2 ** 40} of snapshot is not an integer in 0..2147483647`),
      );
    });

    it('old versions (stored bytes again, or newly signed with a lower version) → VERSION', async () => {
      await refused(
        'targets v1 again',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: managed.published.get('targets@1')! }])),
        400,
        'VERSION',
        {},
      );
      await refused(
        'root v1 again',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: managed.published.get('root@1')! }])),
        400,
        'VERSION',
        {},
      );
      await refused(
        'releases v1 again',
        () => post(MANAGED, multipart([{ filename: 'targets/releases', bytes: managed.published.get('targets/releases@1')! }])),
        400,
        'VERSION',
        {},
      );
      const older = await targetsFile(managed, 'targets', 1, { delegate: true, targets: { rollback: 'x' } });
      await refused('targets v1 re-signed', () => post(MANAGED, multipart([{ filename: 'targets', bytes: older }])), 400, 'VERSION', {});
      const oldSnapshot = clientOwner.published.get('snapshot@1')!;
      await refused(
        'client snapshot v1 again',
        () => post(CLIENT, multipart([{ filename: 'snapshot', bytes: oldSnapshot }])),
        400,
        'VERSION',
        {},
      );
    });

    it('same versions with other content → VERSION', async () => {
      const same = await targetsFile(managed, 'targets', 2, { delegate: true, targets: { other: 'content' } });
      await refused('targets v2 re-signed', () => post(MANAGED, multipart([{ filename: 'targets', bytes: same }])), 400, 'VERSION', {});
      const ctargets = clientOwner.published.get('targets@2')!;
      const csnap = await snapshotFile(clientOwner, 2, { root: clientOwner.published.get('root@1')!, targets: ctargets });
      await refused(
        'client snapshot v2 re-signed',
        () => post(CLIENT, multipart([{ filename: 'snapshot', bytes: csnap }])),
        400,
        'VERSION',
        {},
      );
    });

    it('root rotations the old root did not sign, that skip a version or name another GUN → ErrBadRoot', async () => {
      const newRoot = newRootKey(MANAGED, now());
      const rotate = (r: Root) => {
        r.version = 2;
        for (const id of r.roles['root']!.keyids) delete r.keys[id];
        r.keys[newRoot.publicKey.id] = newRoot.publicKey;
        r.roles['root'] = { keyids: [newRoot.publicKey.id], threshold: 1 };
      };
      const onlyNew = await rootFile(managed, rotate, [new KeySigner(newRoot.privateKey, newRoot.publicKey)]);
      await refused(
        'signed by the new key only',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: onlyNew }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', 'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates'),
      );
      const onlyOld = await rootFile(managed, rotate);
      await refused(
        'signed by the old key only',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: onlyOld }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /^could not validate the path to a trusted root/),
      );
      const jump = await rootFile(managed, (r) => (r.version = 3));
      await refused(
        'version 3',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: jump }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', 'Root modifications must increment the version. Current 1, new 3'),
      );
      const otherGun = newRootKey('example.com/someone/else', now());
      const foreign = await rootFile(
        managed,
        (r) => {
          r.version = 2;
          r.keys[otherGun.publicKey.id] = otherGun.publicKey;
          r.roles['root'] = { keyids: [otherGun.publicKey.id], threshold: 1 };
        },
        [new KeySigner(managed.rootKey, managed.rootCert), new KeySigner(otherGun.privateKey, otherGun.publicKey)],
      );
      await refused(
        'a certificate for another GUN',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: foreign }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /./),
      );
      const timestampGone = await rootFile(managed, (r) => {
        r.version = 2;
        const stranger = signerFor(newEcKey()).publicKey;
        r.keys[stranger.id] = stranger;
        r.roles['timestamp'] = { keyids: [stranger.id], threshold: 1 };
      });
      await refused(
        'a timestamp key the server does not hold',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: timestampGone }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', 'no  timestamp keys exist on the server'),
      );
    });

    it('a first publish of a new GUN with a root of another GUN, or without a root → INVALID_UPDATE', async () => {
      const gun = 'example.com/bad/new';
      await refused(
        'root of another GUN',
        () =>
          post(
            gun,
            multipart([
              { filename: 'root', bytes: managed.published.get('root@1')! },
              { filename: 'targets', bytes: managed.published.get('targets@1')! },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /./),
      );
      await refused(
        'no root',
        () => post(gun, multipart([{ filename: 'targets', bytes: managed.published.get('targets@1')! }])),
        400,
        'INVALID_UPDATE',
        update('ErrValidation', 'no pre-existing root and no root provided in update.'),
      );
    });
  });

  describe('sizes', () => {
    it('a body over the limit (declared, or chunked) → 413 TOO_LARGE', async () => {
      const big = multipart([{ filename: 'targets', bytes: 'x'.repeat(MAX_BODY + 1) }]);
      await refused('Content-Length over the limit', () => post(MANAGED, big), 413, 'TOO_LARGE', { limit: MAX_BODY });
      await refused('chunked over the limit', () => send('POST', T(MANAGED), { ...big, chunked: true }), 413, 'TOO_LARGE', {
        limit: MAX_BODY,
      });
    });

    it('a role over the per-role limit in a body under the limit → 413 TOO_LARGE naming the role', () =>
      refused(
        'role over the limit',
        () => post(MANAGED, multipart([{ filename: 'targets/releases', bytes: 'x'.repeat(MAX_ROLE + 1) }])),
        413,
        'TOO_LARGE',
        {
          role: 'targets/releases',
          limit: MAX_ROLE,
        },
      ));
  });

  describe('path tricks in the GUN', () => {
    const form = () => multipart([{ filename: 'targets', bytes: managed.published.get('targets@2')! }]);
    const tricks: Array<[string, string]> = [
      ['..', 'example.com/bad/../bad/managed'],
      ['.', 'example.com/bad/./managed'],
      ['//', 'example.com/bad//managed'],
      ['leading /', '/example.com/bad/managed'],
      ['trailing /', 'example.com/bad/managed/'],
      ['%2e%2e', 'example.com/bad/%2e%2e/bad/managed'],
      ['%2E%2E', 'example.com/bad/%2E%2E/bad/managed'],
      ['only ..', '..'],
      ['*', 'example.com/bad/*'],
      ['%2a', 'example.com/bad/man%2aaged'],
      ['very long', `example.com/${'a'.repeat(300)}`],
      ['NUL', 'example.com/bad/managed%00'],
      ['newline', 'example.com/bad/man%0Aaged'],
      ['tab', 'example.com/bad/man%09aged'],
      ['DEL', 'example.com/bad/man%7Faged'],
      ['bad escape', 'example.com/bad/man%zzaged'],
      ['truncated UTF-8', 'example.com/bad/%E0%A4'],
      ['lone surrogate', 'example.com/bad/%ED%A0%80'],
    ];
    for (const [name, gun] of tricks) {
      it(`${name}: every route → 404 METADATA_NOT_FOUND without detail`, async () => {
        await refused(`GET root.json ${name}`, () => send('GET', `/v2/${gun}/_trust/tuf/root.json`), 404, 'METADATA_NOT_FOUND');
        await refused(`GET 1.root.json ${name}`, () => send('GET', `/v2/${gun}/_trust/tuf/1.root.json`), 404, 'METADATA_NOT_FOUND');
        await refused(`GET timestamp.key ${name}`, () => send('GET', `/v2/${gun}/_trust/tuf/timestamp.key`), 404, 'METADATA_NOT_FOUND');
        await refused(`POST snapshot.key ${name}`, () => send('POST', `/v2/${gun}/_trust/tuf/snapshot.key`), 404, 'METADATA_NOT_FOUND');
        await refused(`POST update ${name}`, () => send('POST', `/v2/${gun}/_trust/tuf/`, form()), 404, 'METADATA_NOT_FOUND');
        await refused(`DELETE ${name}`, () => send('DELETE', `/v2/${gun}/_trust/tuf/`), 404, 'METADATA_NOT_FOUND');
        await refused(`changefeed ${name}`, () => send('GET', `/v2/${gun}/_trust/changefeed?records=10`), 404, 'METADATA_NOT_FOUND');
      });
    }

    it('a unicode GUN is a name like any other: nothing stored → 404 detail {}; junk → 400', async () => {
      const gun = 'example.com/b%C3%A4d/%E2%9C%93';
      await refused('GET root.json', () => send('GET', `/v2/${gun}/_trust/tuf/root.json`), 404, 'METADATA_NOT_FOUND', {});
      await refused(
        'POST junk',
        () => send('POST', `/v2/${gun}/_trust/tuf/`, multipart([{ filename: 'targets', bytes: 'junk' }])),
        400,
        'MALFORMED_JSON',
      );
    });

    it('a 255-character GUN is still served (the limit is inclusive)', async () => {
      const gun = `example.com/${'a'.repeat(255 - 'example.com/'.length)}`;
      const res = await send('GET', `/v2/${gun}/_trust/tuf/root.json`);
      assertError(res, 404, 'METADATA_NOT_FOUND', {}, '255 characters');
    });

    it('a version beyond 32 bits in the URL → 404 detail {} (no database error)', async () => {
      await refused(
        'huge version',
        () => send('GET', `/v2/${MANAGED}/_trust/tuf/99999999999999999999999.root.json`),
        404,
        'METADATA_NOT_FOUND',
        {},
      );
      await refused('2^31', () => send('GET', `/v2/${MANAGED}/_trust/tuf/2147483648.root.json`), 404, 'METADATA_NOT_FOUND', {});
    });
  });

  describe('methods', () => {
    const cases: Array<[string, string]> = [
      ['PUT', T(MANAGED)],
      ['PATCH', T(MANAGED)],
      ['OPTIONS', T(MANAGED)],
      ['GET', T(MANAGED)],
      ['PUT', `${T(MANAGED)}root.json`],
      ['POST', `${T(MANAGED)}root.json`],
      ['DELETE', `${T(MANAGED)}root.json`],
      ['PATCH', `${T(MANAGED)}timestamp.key`],
      ['DELETE', `${T(MANAGED)}snapshot.key`],
      ['POST', `${T(MANAGED)}targets.key`],
      ['POST', '/v2/'],
      ['DELETE', '/v2/_trust/changefeed?records=1'],
      ['PROPFIND', T(MANAGED)],
    ];
    for (const [method, path] of cases) {
      it(`${method} ${path} → 404 METADATA_NOT_FOUND without detail`, () =>
        refused(
          `${method} ${path}`,
          () => send(method, path, { body: Buffer.from('{}'), headers: { 'Content-Type': 'application/json' } }),
          404,
          'METADATA_NOT_FOUND',
        ));
    }

    it('HEAD → 404 with no body', async () => {
      for (const path of [`${T(MANAGED)}timestamp.json`, `${T(MANAGED)}root.json`, '/v2/', '/_notary_server/health']) {
        const before = storedRows();
        const res = await send('HEAD', path);
        assert.equal(res.status, 404, `HEAD ${path}`);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.body.length, 0);
        assert.deepEqual(storedRows(), before);
      }
    });
  });

  describe('changefeed parameters', () => {
    const bad: Array<[string, string]> = [
      ['', 'invalid records parameter: strconv.ParseInt: parsing "": invalid syntax'],
      ['records=', 'invalid records parameter: strconv.ParseInt: parsing "": invalid syntax'],
      ['records=abc', 'invalid records parameter: strconv.ParseInt: parsing "abc": invalid syntax'],
      ['records=1.5', 'invalid records parameter: strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['records=0x10', 'invalid records parameter: strconv.ParseInt: parsing "0x10": invalid syntax'],
      ['records=1e3', 'invalid records parameter: strconv.ParseInt: parsing "1e3": invalid syntax'],
      ['records=%205', 'invalid records parameter: strconv.ParseInt: parsing " 5": invalid syntax'],
      ['records=99999999999', 'invalid records parameter: strconv.ParseInt: parsing "99999999999": value out of range'],
      ['records=-2147483649', 'invalid records parameter: strconv.ParseInt: parsing "-2147483649": value out of range'],
      ['records=10&change_id=abc', 'did not recognize parameters: change ID expected to be integer, provided ID was: abc'],
      ['records=10&change_id=1.5', 'did not recognize parameters: change ID expected to be integer, provided ID was: 1.5'],
      ['records=10&change_id=99999999999', 'did not recognize parameters: change ID expected to be integer, provided ID was: 99999999999'],
    ];
    for (const [query, detail] of bad) {
      it(`?${query} → 400 INVALID_PARAMETERS`, async () => {
        await refused(`global ?${query}`, () => send('GET', `/v2/_trust/changefeed?${query}`), 400, 'INVALID_PARAMETERS', detail);
        await refused(
          `per GUN ?${query}`,
          () => send('GET', `/v2/${MANAGED}/_trust/changefeed?${query}`),
          400,
          'INVALID_PARAMETERS',
          detail,
        );
      });
    }

    it('good parameters still work: records=0 (100), negative records and change_id page backwards', async () => {
      for (const query of ['records=0', 'records=-1', 'records=2&change_id=-1', 'records=%2B3', 'records=5&change_id=']) {
        const res = await send('GET', `/v2/_trust/changefeed?${query}`);
        assert.equal(res.status, 200, `?${query}: ${res.body.toString('utf8')}`);
        const doc = JSON.parse(res.body.toString('utf8')) as { count: number };
        assert.ok(doc.count >= 1, `?${query}`);
      }
    });
  });

  describe('protocol-level garbage (answered by the HTTP parser, as Go does for notary)', () => {
    it('an unknown method token, a broken chunk size, a bad request line, an oversized header → 4xx, connection closed', async () => {
      const before = storedRows();
      const raw = [
        `FOO ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
        `GET /v2/ HTTP/9.9.9\r\nHost: x\r\n\r\n`,
        `GET ${T(MANAGED)}root.json HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        `GET /v2/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`,
      ];
      for (const request of raw) {
        const res = await sendRaw(request);
        const status = statusOf(res.text);
        assert.ok(status >= 400 && status < 500, `${JSON.stringify(request.slice(0, 40))}: ${res.text.slice(0, 100)}`);
        assert.ok(res.closed, 'connection closed');
      }
      assert.deepEqual(storedRows(), before);
      // and the server keeps serving
      assert.equal((await send('GET', '/v2/')).status, 200);
    });
  });

  describe('server faults with a known cause: 500 UNKNOWN on purpose (as notary), nothing stored', () => {
    const UNKNOWN = '{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":{}}]}\n';

    /** A fresh server-snapshot repository, then `damage` applied to the SQLite file behind the server's back. */
    async function damaged(gun: string, damage: (rw: SqliteDatabase) => Promise<void>): Promise<void> {
      const created = await createRepository({
        gun,
        now: now(),
        rootKey: newEcKey(),
        targetsKey: newEcKey(),
        serverSnapshotKey: await client.getKey(gun, 'snapshot'),
        timestampKey: await client.getKey(gun, 'timestamp'),
      });
      await client.publish(gun, created.files);
      const rw = openSqliteDatabase(dbFile);
      try {
        rw.exec('PRAGMA busy_timeout = 5000');
        await damage(rw);
      } finally {
        rw.close();
      }
    }
    const latest = (rw: SqliteDatabase, gun: string, role: string) =>
      rw.prepare('SELECT version, data FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1').get(gun, role) as {
        version: number;
        data: Buffer;
      };
    const insert = (rw: SqliteDatabase, gun: string, role: string, version: number, data: Buffer) =>
      rw
        .prepare('INSERT INTO tuf_files (gun, role, version, data, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(gun, role, version, data, sha256(data), new Date().toISOString());

    async function answersUnknown(gun: string): Promise<void> {
      for (const role of ['timestamp', 'snapshot']) {
        const before = storedRows();
        const res = await send('GET', `${T(gun)}${role}.json`);
        assert.equal(res.status, 500, `${role}.json: ${res.body.toString('utf8')}`);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.body.toString('utf8'), UNKNOWN);
        assert.deepEqual(storedRows(), before, `${role}.json: stored rows changed`);
      }
    }

    it('a stored timestamp that no longer parses (STORED_METADATA_INVALID) → 500 UNKNOWN detail {}', async () => {
      const gun = 'example.com/bad/corrupt';
      await damaged(gun, async (rw) => {
        insert(rw, gun, 'timestamp', latest(rw, gun, 'timestamp').version + 1, Buffer.from('{"signed":'));
      });
      await answersUnknown(gun);
    });

    it('an expired timestamp the server must re-sign without its key (SIGNING_KEYS_UNAVAILABLE) → 500 UNKNOWN detail {}', async () => {
      const gun = 'example.com/bad/keyless';
      await damaged(gun, async (rw) => {
        // the server's timestamp key is gone, and the latest timestamp has expired
        const root = parseMetadata(latest(rw, gun, 'root').data, 'root').signed;
        for (const keyId of root.roles['timestamp']!.keyids) rw.prepare('DELETE FROM private_keys WHERE key_id = ?').run(keyId);
        const snapshot = latest(rw, gun, 'snapshot').data;
        const model = new Timestamp(latest(rw, gun, 'timestamp').version + 1, GoTime.fromEpochMs(Date.now() - 60_000), {
          snapshot: fileMetaOf(snapshot),
        });
        insert(rw, gun, 'timestamp', model.version, (await new Metadata(model, []).sign([signerFor(newEcKey())])).serialize());
      });
      await answersUnknown(gun);
    });
  });

  describe('what notary accepts: a timestamp part is ignored', () => {
    it('a forged timestamp alone → 200; the server re-signs, the forged bytes are never stored', async () => {
      const stranger = signerFor(newEcKey());
      const model = new Timestamp(999, defaultExpires('timestamp', now()), { snapshot: fileMetaOf(Buffer.from('x')) });
      const forged = (await new Metadata(model, []).sign([stranger])).serialize();
      const rootRow = db
        .prepare("SELECT data FROM tuf_files WHERE gun = ? AND role = 'root' ORDER BY version DESC LIMIT 1")
        .get(MANAGED) as { data: Buffer };
      const timestampKeys = parseMetadata(rootRow.data, 'root').signed.roles['timestamp']!.keyids;
      const res = await post(MANAGED, multipart([{ filename: 'timestamp', bytes: forged }]));
      assert.equal(res.status, 200, res.body.toString('utf8'));
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM tuf_files WHERE sha256 = ?').get(sha256(forged)) as { n: number }).n, 0);
      const { trusted } = await loadRepository(new NotaryServerSource(client, MANAGED), { gun: MANAGED, now: now() });
      assert.ok(trusted.timestamp!.signed.version < 999);
      assert.deepEqual(
        trusted.timestamp!.signatures.map((s) => s.keyid),
        timestampKeys,
      );
      assert.deepEqual(
        trusted
          .listTargets()
          .map((t) => t.name)
          .sort(),
        ['a', 'rel-1'],
      );
    });
  });

  describe('concurrency: 8 publishes of the next version at once', () => {
    async function race(
      owner: Owner,
      version: number,
      files: (i: number) => Promise<Array<{ role: string; bytes: Buffer }>>,
    ): Promise<number> {
      const uploads = await Promise.all(Array.from({ length: 8 }, (_, i) => files(i)));
      const clients = uploads.map(() => new NotaryClient({ baseUrl: server.url }));
      const filesBefore = countRows('tuf_files', owner.gun);
      const changesBefore = countRows('changefeed', owner.gun);
      try {
        const results = await Promise.allSettled(uploads.map((u, i) => clients[i]!.publish(owner.gun, u)));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(won.length, 1, `exactly one publish wins: ${JSON.stringify(results.map((r) => r.status))}`);
        for (const r of results) {
          if (r.status === 'fulfilled') continue;
          const err = r.reason as NotaryHttpError;
          assert.ok(err instanceof NotaryHttpError, String(err));
          assert.equal(err.status, 400, err.message);
          assert.equal(err.code, 'VERSION', err.message);
          assert.deepEqual(err.details.errors, [{ code: 'VERSION', message: MESSAGES['VERSION'], detail: {} }]);
        }
        const winner = won[0]!;
        // one update stored: the winner's files + the server's timestamp (+ snapshot), one change record
        assert.equal(countRows('tuf_files', owner.gun), filesBefore + uploads[winner]!.length + (owner.snapshotKey ? 1 : 2));
        assert.equal(countRows('changefeed', owner.gun), changesBefore + 1);
        // the repository verifies, at the winner's version, with the winner's content
        const { trusted } = await loadRepository(new NotaryServerSource(client, owner.gun), { gun: owner.gun, now: now() });
        assert.equal(trusted.targets()!.signed.version, version);
        assert.ok(trusted.targets()!.raw!.equals(uploads[winner]!.find((f) => f.role === 'targets')!.bytes));
        assert.ok(trusted.findTarget(`race-${winner}`), `the winner's target race-${winner}`);
        for (let i = 0; i < 8; i++) if (i !== winner) assert.equal(trusted.findTarget(`race-${i}`), undefined);
        return winner;
      } finally {
        for (const c of clients) c.close();
      }
    }

    it('server-managed snapshot: targets v3 × 8 → one 200, seven 400 VERSION; loads at v3', async () => {
      await race(managed, 3, async (i) => [
        {
          role: 'targets',
          bytes: await targetsFile(managed, 'targets', 3, { delegate: true, targets: { a: 'a', [`race-${i}`]: `${i}` } }),
        },
      ]);
    });

    it('client-managed snapshot: targets v3 + snapshot v3 × 8 → one 200, seven 400 VERSION; loads at v3', async () => {
      await race(clientOwner, 3, async (i) => {
        const targets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', [`race-${i}`]: `${i}` } });
        const snapshot = await snapshotFile(clientOwner, 3, { root: clientOwner.published.get('root@1')!, targets });
        return [
          { role: 'targets', bytes: targets },
          { role: 'snapshot', bytes: snapshot },
        ];
      });
    });
  });

  describe('requests that stop sending', () => {
    // node checks request timeouts every `connectionsCheckingInterval` (30 s by
    // default, and start-server does not lower it): this server is the same HTTP
    // edge (createTrustHttpServer) over the same stores, checked every 50 ms.
    let edge: http.Server;
    let edgeStore: SqliteStore;
    let port: number;

    before(async () => {
      edgeStore = await SqliteStore.open(dbFile);
      const keys = new EmbeddedKeyService({ store: edgeStore, passphrase: PASSPHRASE, now });
      ({ server: edge } = createTrustHttpServer(
        { store: edgeStore, keys, now, cache: new ResponseCache(), gunPrefixes: [], limits: { maxRoleBytes: MAX_ROLE, maxParts: 1000 } },
        { maxBodyBytes: MAX_BODY, writeRate: { perSecond: 100_000, burst: 100_000 }, requestTimeoutMs: 300 },
        pino({ level: 'silent' }),
      ));
      (edge as http.Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 50;
      await new Promise<void>((resolve) => edge.listen(0, '127.0.0.1', resolve));
      port = (edge.address() as AddressInfo).port;
    });
    after(async () => {
      edge.closeAllConnections();
      await new Promise<void>((resolve) => edge.close(() => resolve()));
      await edgeStore.close();
    });

    const stalled = [
      [
        'a body that stops half way',
        `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 1000\r\n\r\n--b0undary\r\n`,
      ],
      [
        'a chunked body that stops',
        `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n--b0u\r\n`,
      ],
      ['headers that stop', `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-`],
    ] as const;

    for (const [name, request] of stalled) {
      it(`${name} → 408 within the request timeout, nothing stored, the server keeps serving`, async () => {
        const before = storedRows();
        const res = await sendRaw(request, { port, waitMs: 5_000 });
        assert.equal(statusOf(res.text), 408, res.text);
        assert.ok(res.closed, 'connection closed');
        assert.ok(res.ms < 3_000, `answered after ${res.ms} ms`);
        assert.deepEqual(storedRows(), before);
        assert.equal((await send('GET', '/v2/', { port })).status, 200);
      });
    }

    it("a body that stops half way → 408 with notary's envelope (TIMEOUT)", async () => {
      const res = await sendRaw(stalled[0][1], { port, waitMs: 5_000 });
      const body = res.text.slice(res.text.indexOf('\r\n\r\n') + 4);
      assert.equal(statusOf(res.text), 408);
      assert.equal(body, `{"errors":[{"code":"TIMEOUT","message":"${MESSAGES['TIMEOUT']}"}]}\n`);
    });
  });
});
