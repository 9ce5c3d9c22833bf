/**
 * Properties of `dct server`'s trust-API parsers, driven through a live in-process
 * server (SQLite) that holds a published repository:
 * - multipart/form-data bodies — the real client's uploads of a new repository and of a
 *   new targets version, with bytes mutated, parts' JSON mutated, boundaries and
 *   Content-Types changed — are answered, never with a 5xx;
 * - changefeed queries with generated records / change_id values (and extra, repeated
 *   or odd parameters) are answered, never with a 5xx; a 200 lists at most the asked
 *   number of records;
 * - generated request paths and methods under /v2/ are answered, never with a 5xx;
 * and after the uploads and queries the repository still serves the bytes it published
 * (the path run comes last: a DELETE of the repository is notary's API, not a fault).
 * The multipart parser alone: only MALFORMED_UPLOAD (an ApiError) for any body, and the
 * client's encodeMultipart round-trips through it.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { encodeMultipart, NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { createRepository, type TargetInput } from '../../src/app/create-repository.js';
import { loadConfig } from '../../src/server/config.js';
import { multipartBoundary, parseUploadParts } from '../../src/server/multipart.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkProperty, mutatedBytes, mutatedJson, typedOrValue } from './property-support.js';

const GUN = 'example.com/property/published';
const FRESH = 'example.com/property/fresh';
const newEcKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

interface Answer {
  status: number;
  body: Buffer;
}

function send(base: URL, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const no5xx = (what: string, a: Answer) => assert.ok(a.status < 500, `${what} → ${a.status} ${a.body.toString('utf8').slice(0, 300)}`);

describe('property: multipart parser', () => {
  it('any body is parsed or refused with MALFORMED_UPLOAD', async () => {
    const boundary = fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/);
    const body = fc
      .tuple(
        boundary,
        fc.array(
          fc.oneof(
            fc.constantFrom('--', '\r\n', ' ', 'Content-Disposition: form-data; name="files"; filename="root"', ': ', '\r\n\r\n', '"'),
            fc.string({ maxLength: 10 }),
          ),
          { maxLength: 30 },
        ),
      )
      .map(([b, pieces]) => ({ boundary: b, body: Buffer.from(pieces.map((p) => (p === '--' ? `--${b}` : p)).join(''), 'latin1') }));
    await checkProperty(
      'parseUploadParts arbitrary bodies',
      [fc.oneof(body, fc.record({ boundary, body: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)) }))],
      ({ boundary: b, body: bytes }) => {
        const parts = typedOrValue(() => parseUploadParts(bytes, b, 50));
        if (parts) assert.ok(parts.length <= 50);
      },
      { numRuns: 3000 },
    );
  });

  it('encodeMultipart round-trips through parseUploadParts and multipartBoundary', async () => {
    const part = fc.record({
      filename: fc.string({ maxLength: 20 }).filter((s) => !/[\r\n"\\]/.test(s)),
      bytes: fc.uint8Array({ maxLength: 100 }),
    });
    await checkProperty(
      'multipart round trip',
      [fc.array(part, { minLength: 1, maxLength: 5 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/)],
      (parts, b) => {
        const { contentType, body } = encodeMultipart(
          parts.map((p) => ({ field: 'files', filename: p.filename, bytes: p.bytes })),
          b,
        );
        const boundary = multipartBoundary(contentType);
        assert.equal(boundary, b);
        const back = parseUploadParts(body, b);
        assert.deepEqual(
          back.map((p) => [p.filename, [...p.data]]),
          parts.map((p) => [p.filename, [...p.bytes]]),
        );
      },
      { numRuns: 1000 },
    );
  });
});

describe('property: dct server trust API input', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-prop-server-'));
  let server: RunningServer;
  let base: URL;
  let client: NotaryClient;
  let published: Map<string, Buffer>;
  /** multipart uploads the real client would send: the fresh repository's first publish, the published one's next targets */
  const uploads: Array<{ gun: string; files: Array<{ role: string; bytes: Buffer }> }> = [];

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${join(work, 'dct.db')}`,
        dataDir: join(work, 'data'),
        plainHttp: true,
        logLevel: 'silent',
        writesPerSecond: 100_000,
        writeBurst: 100_000,
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'property-test' }, pino({ level: 'silent' }));
    base = new URL(server.url);
    client = new NotaryClient({ baseUrl: server.url });
    const make = async (gun: string, targets: Record<string, TargetInput> = {}) =>
      createRepository({
        gun,
        now: new Date(),
        rootKey: newEcKey(),
        targetsKey: newEcKey(),
        serverSnapshotKey: await client.getKey(gun, 'snapshot'),
        timestampKey: await client.getKey(gun, 'timestamp'),
        targets,
      });
    const first = await make(GUN);
    await client.publish(GUN, first.files);
    published = new Map(first.files.map((f) => [f.role, Buffer.from(f.bytes)]));
    const fresh = await make(FRESH, { a: { length: 1, hashes: { sha256: createHash('sha256').update('a').digest() } } });
    uploads.push({ gun: FRESH, files: fresh.files.map((f) => ({ role: f.role, bytes: Buffer.from(f.bytes) })) });
    // the published repository's files again (version 1: a VERSION refusal, mutated: anything)
    uploads.push({ gun: GUN, files: first.files.map((f) => ({ role: f.role, bytes: Buffer.from(f.bytes) })) });
  });
  after(async () => {
    client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('mutated uploads are answered without a 5xx', { timeout: 120_000 }, async () => {
    const encoded = uploads.map((u) => ({
      gun: u.gun,
      ...encodeMultipart(
        u.files.map((f) => ({ field: 'files', filename: f.role, bytes: f.bytes })),
        'PropertyBoundary0123',
      ),
    }));
    const byteMutation = fc
      .tuple(fc.nat({ max: encoded.length - 1 }), fc.nat())
      .chain(([i]) =>
        mutatedBytes([encoded[i]!.body]).map((body) => ({ gun: encoded[i]!.gun, contentType: encoded[i]!.contentType, body })),
      );
    const jsonMutation = fc.tuple(fc.nat({ max: uploads.length - 1 }), fc.nat({ max: 3 })).chain(([i, which]) => {
      const u = uploads[i]!;
      const target = u.files[which % u.files.length]!;
      return mutatedJson([JSON.parse(target.bytes.toString('utf8')) as unknown]).map((v) => {
        const files = u.files.map((f) => (f === target ? { ...f, bytes: Buffer.from(JSON.stringify(v)) } : f));
        return { gun: u.gun, ...encodeMultipart(files.map((f) => ({ field: 'files', filename: f.role, bytes: f.bytes }))) };
      });
    });
    const headerMutation = fc
      .tuple(
        fc.nat({ max: encoded.length - 1 }),
        fc.constantFrom(
          'multipart/form-data',
          'multipart/form-data; boundary=',
          'multipart/form-data; boundary="PropertyBoundary0123"',
          'multipart/form-data; boundary=Other',
          'application/json',
          'multipart/mixed; boundary=PropertyBoundary0123',
          'multipart/form-data; boundary=PropertyBoundary0123; boundary=x',
          '',
        ),
      )
      .map(([i, contentType]) => ({ gun: encoded[i]!.gun, contentType, body: encoded[i]!.body }));
    const gunPath = fc.constantFrom(GUN, FRESH, 'example.com/property/other', 'a', 'x/../y', 'example.com/property/published/../published');
    await checkProperty(
      'trust API uploads',
      [fc.oneof(byteMutation, jsonMutation, headerMutation), fc.option(gunPath, { nil: undefined })],
      async (upload, gun) => {
        const path = `/v2/${gun ?? upload.gun}/_trust/tuf/`;
        no5xx(
          `POST ${path}`,
          await send(base, 'POST', path, upload.body, upload.contentType ? { 'Content-Type': upload.contentType } : {}),
        );
      },
      { numRuns: 400 },
    );
  });

  it('changefeed queries are answered without a 5xx', { timeout: 120_000 }, async () => {
    const number = fc.oneof(
      fc.integer({ min: -200, max: 200 }).map(String),
      fc.constantFrom(
        '',
        '-0',
        '+5',
        '2147483647',
        '-2147483648',
        '2147483648',
        '9223372036854775807',
        '9223372036854775808',
        '-9223372036854775809',
        '0x10',
        '1e3',
        ' 1',
        '1 ',
        '00010',
        '١٢',
      ),
      fc.string({ maxLength: 8 }),
    );
    const query = fc.record({
      records: fc.option(number, { nil: undefined }),
      changeId: fc.option(fc.oneof(number, fc.constantFrom('0', '1', '2', '-1')), { nil: undefined }),
      extra: fc.array(fc.tuple(fc.constantFrom('records', 'change_id', 'gun', 'x', ''), number), { maxLength: 2 }),
    });
    await checkProperty(
      'changefeed queries',
      [query, fc.constantFrom('/v2/_trust/changefeed', `/v2/${GUN}/_trust/changefeed`, `/v2/${FRESH}/_trust/changefeed`)],
      async (q, route) => {
        const params = new URLSearchParams();
        if (q.records !== undefined) params.append('records', q.records);
        if (q.changeId !== undefined) params.append('change_id', q.changeId);
        for (const [k, v] of q.extra) params.append(k, v);
        const a = await send(base, 'GET', `${route}?${params.toString()}`);
        no5xx(`GET ${route}?${params.toString()}`, a);
        if (a.status === 200) {
          const out = JSON.parse(a.body.toString('utf8')) as { count: number; records: unknown[] | null };
          assert.equal(out.count, out.records?.length ?? 0);
          const asked = Number(params.get('records'));
          assert.ok(out.count <= (asked === 0 ? 100 : Math.abs(asked)), `${out.count} records for records=${params.get('records')}`);
        }
      },
      { numRuns: 600 },
    );
  });

  it('after the uploads and queries the published repository still serves its bytes', async () => {
    for (const role of ['root', 'targets']) {
      const a = await send(base, 'GET', `/v2/${GUN}/_trust/tuf/${role}.json`);
      assert.equal(a.status, 200);
      assert.ok(a.body.equals(published.get(role)!), `${role}.json changed`);
    }
  });

  it('generated paths and methods are answered without a 5xx', { timeout: 120_000 }, async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'v2',
        '_trust',
        'tuf',
        'root.json',
        'targets.json',
        'snapshot.json',
        'timestamp.json',
        'timestamp.key',
        'snapshot.key',
        'changefeed',
        '..',
        '.',
        '',
        '%2e%2e',
        '%00',
        'targets',
        'releases.json',
        '2.root.json',
        'blobs',
        'manifests',
        'uploads',
        'tags',
        'list',
        '_catalog',
      ),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    const path = fc
      .tuple(fc.constantFrom('/v2/', `/v2/${GUN}/`, `/v2/${GUN}/_trust/tuf/`, `/v2/${FRESH}/_trust/`), fc.array(segment, { maxLength: 5 }))
      .map(([p, s]) => p + s.join('/'));
    await checkProperty(
      'trust API paths',
      [path, fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')],
      async (p, method) => {
        no5xx(`${method} ${p}`, await send(base, method, p, method === 'POST' || method === 'PUT' ? Buffer.from('{}') : undefined));
      },
      { numRuns: 600 },
    );
  });
});
