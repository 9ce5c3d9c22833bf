/**
 * RegistryClient.resolveManifest against a registry API v2 written here: HEAD/GET flow,
 * raw-byte digests, verification, size caps, auth, and the https/http endpoint rules.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RegistryAuth } from '../../../src/adapters/http/registry-auth.js';
import { DOCKER_HUB_REGISTRY, registryHostFor } from '../../../src/adapters/registry/endpoints.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/adapters/registry/registry-client.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { isDctError } from '../../../src/core/errors.js';
import { parseImageReference, type ImageReference } from '../../../src/core/image-reference.js';
import { DOCKER_MEDIA_TYPES, MANIFEST_ACCEPT_TYPES, OCI_MEDIA_TYPES } from '../../../src/core/oci/media-types.js';

const MEDIA_TYPES = {
  ociIndex: OCI_MEDIA_TYPES.index,
  ociManifest: OCI_MEDIA_TYPES.manifest,
  dockerManifestList: DOCKER_MEDIA_TYPES.manifestList,
  dockerManifest: DOCKER_MEDIA_TYPES.manifest,
} as const;
const MANIFEST_ACCEPT = MANIFEST_ACCEPT_TYPES.join(', ');

const clients: RegistryClient[] = [];
after(() => clients.forEach((c) => c.close()));

/** As `dct trust sign` resolves an image reference: a client for its registry, asked for its repository and tag or digest. */
function resolverOf(opts: RegistryClientOptions = {}) {
  const byDomain = new Map<string, RegistryClient>();
  return {
    resolve(reference: string | ImageReference) {
      const ref = typeof reference === 'string' ? parseImageReference(reference) : reference;
      let client = byDomain.get(ref.domain);
      if (!client) {
        client = new RegistryClient(ref.domain, opts);
        byDomain.set(ref.domain, client);
        clients.push(client);
      }
      return client.resolveManifest(ref.path, ref.digest ?? ref.tag ?? 'latest');
    },
  };
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** exact bytes with odd spacing: a re-serialisation would change the digest */
const MANIFEST = Buffer.from(
  `{\n   "schemaVersion": 2,\n   "mediaType": "${MEDIA_TYPES.dockerManifest}",\n   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7, "digest": "${sha256('config!')}"},\n   "layers": []\n}`,
);
const INDEX = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));

interface Seen {
  method: string;
  path: string;
  accept?: string;
  authorization?: string;
}

interface Entry {
  body: Buffer;
  contentType?: string;
  /** override Docker-Content-Digest: a string, or null to leave it out */
  headDigest?: string | null;
  getDigest?: string | null;
}

/** A tiny registry: manifests by repository path and tag/digest. */
class Registry {
  seen: Seen[] = [];
  manifests = new Map<string, Entry>();
  /** 405 on HEAD */
  noHead = false;
  /** answer HEAD and GET of manifests (after auth) here instead */
  override?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Bearer auth: realm on this server, user alice:pw */
  bearer = false;
  basic = false;
  tokens = new Set<string>();
  server!: http.Server;
  url = '';
  host = '';

  put(path: string, tag: string, entry: Entry): void {
    this.manifests.set(`${path}:${tag}`, entry);
    this.manifests.set(`${path}:${sha256(entry.body)}`, entry);
  }

  async start(opts: { tls?: https.ServerOptions; address?: string } = {}): Promise<this> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const seen: Seen = { method: req.method ?? '', path: u.pathname };
      if (req.headers.accept) seen.accept = req.headers.accept;
      if (req.headers.authorization) seen.authorization = req.headers.authorization;
      this.seen.push(seen);
      if (u.pathname === '/token') {
        if (req.headers.authorization !== `Basic ${Buffer.from('alice:pw').toString('base64')}`)
          return reply(res, 401, JSON.stringify({ details: 'incorrect username or password' }));
        const token = `tok${this.tokens.size}:${u.searchParams.getAll('scope').join(' ')}`;
        this.tokens.add(token);
        return reply(res, 200, JSON.stringify({ token }));
      }
      if (this.bearer) {
        const token = req.headers.authorization?.replace(/^Bearer /, '');
        if (!token || !this.tokens.has(token)) {
          return reply(res, 401, JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }), {
            'WWW-Authenticate': `Bearer realm="${this.url}/token",service="test-registry",scope="repository:x:pull"`,
          });
        }
      }
      if (this.basic && req.headers.authorization !== `Basic ${Buffer.from('alice:pw').toString('base64')}`) {
        return reply(res, 401, '', { 'WWW-Authenticate': 'Basic realm="registry"' });
      }
      if (this.override?.(req, res)) return;
      const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(u.pathname);
      const entry = m ? this.manifests.get(`${m[1]}:${m[2]}`) : undefined;
      if (!entry) return reply(res, 404, JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      if (req.method === 'HEAD' && this.noHead) return reply(res, 405, '');
      const digest = req.method === 'HEAD' ? entry.headDigest : entry.getDigest;
      const headers: Record<string, string> = {
        'Content-Type': entry.contentType ?? MEDIA_TYPES.dockerManifest,
        'Content-Length': String(entry.body.length),
      };
      if (digest !== null) headers['Docker-Content-Digest'] = digest ?? sha256(entry.body);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : entry.body);
    };
    this.server = opts.tls ? https.createServer(opts.tls, listener) : http.createServer(listener);
    await new Promise<void>((resolve) => this.server.listen(0, opts.address ?? '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.host = `${opts.address ?? '127.0.0.1'}:${port}`;
    this.url = `${opts.tls ? 'https' : 'http'}://${this.host}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function reply(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), 'Content-Type': 'application/json', ...headers });
  res.end(body);
}

const refusedWith = (code: string, pattern?: RegExp) => (err: unknown) => {
  assert.ok(isDctError(err, code), `expected ${code}, got ${String(err)}`);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

describe('resolveManifest on a loopback registry (plain http allowed)', () => {
  let reg: Registry;
  let resolver: ReturnType<typeof resolverOf>;
  const image = (rest: string) => `${reg.host}/${rest}`;

  before(async () => {
    reg = await new Registry().start();
  });
  after(() => reg.close());
  beforeEach(() => {
    reg.seen = [];
    reg.manifests.clear();
    reg.noHead = false;
    reg.bearer = false;
    reg.basic = false;
    delete reg.override;
    reg.put('team/app', 'v1', { body: MANIFEST });
    resolver = resolverOf({ certDirs: [] });
  });

  it('HEAD by tag, then GET by digest: digest and size of the raw bytes, media type, Accept header', async () => {
    const got = await resolver.resolve(image('team/app:v1'));
    assert.equal(got.digest, sha256(MANIFEST));
    assert.notEqual(got.digest, sha256(JSON.stringify(JSON.parse(MANIFEST.toString()))), 'not a re-serialisation');
    assert.equal(got.size, MANIFEST.length);
    assert.equal(got.mediaType, MEDIA_TYPES.dockerManifest);
    assert.ok(got.bytes.equals(MANIFEST));
    assert.equal(got.endpoint, reg.url);
    const manifestCalls = reg.seen.filter((s) => s.path.includes('/manifests/'));
    assert.deepEqual(
      manifestCalls.map((s) => `${s.method} ${s.path}`),
      [`HEAD /v2/team/app/manifests/v1`, `GET /v2/team/app/manifests/${sha256(MANIFEST)}`],
    );
    for (const s of manifestCalls) assert.equal(s.accept, MANIFEST_ACCEPT);
    for (const t of [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest])
      assert.ok(MANIFEST_ACCEPT.includes(t));
    // the https attempt failed, so the second resolve goes to http directly
    assert.equal((await resolver.resolve(parseImageReference(image('team/app:v1')))).digest, sha256(MANIFEST));
  });

  it('digest references are fetched and checked; the default tag is latest', async () => {
    const d = sha256(MANIFEST);
    assert.equal((await resolver.resolve(image(`team/app@${d}`))).digest, d);
    reg.put('team/app', 'latest', { body: INDEX, contentType: MEDIA_TYPES.ociIndex });
    const latest = await resolver.resolve(image('team/app'));
    assert.equal(latest.digest, sha256(INDEX));
    assert.equal(latest.mediaType, MEDIA_TYPES.ociIndex);
  });

  it('refuses bytes that do not hash to a digest given by the registry or the reference', async () => {
    const wrong = sha256('something else');
    reg.put('team/head', 'v1', { body: MANIFEST, headDigest: wrong });
    reg.manifests.set(`team/head:${wrong}`, { body: MANIFEST });
    await assert.rejects(resolver.resolve(image('team/head:v1')), refusedWith('DIGEST_MISMATCH', /given by the registry \(HEAD\)/));
    reg.put('team/get', 'v1', { body: MANIFEST, getDigest: wrong });
    await assert.rejects(resolver.resolve(image('team/get:v1')), refusedWith('DIGEST_MISMATCH', /given by the registry \(GET\)/));
    // a registry serving other bytes under a digest
    reg.manifests.set(`team/app:${wrong}`, { body: MANIFEST, headDigest: null, getDigest: null });
    await assert.rejects(resolver.resolve(image(`team/app@${wrong}`)), refusedWith('DIGEST_MISMATCH', /given by the reference/));
    reg.put('team/baddigest', 'v1', { body: MANIFEST, headDigest: 'sha256:xyz' });
    await assert.rejects(
      resolver.resolve(image('team/baddigest:v1')),
      refusedWith('REGISTRY_BAD_RESPONSE', /invalid Docker-Content-Digest/),
    );
  });

  it('without HEAD support, GET by tag; the digest comes from the bytes (and must match a Docker-Content-Digest)', async () => {
    reg.noHead = true;
    reg.put('team/nodigest', 'v1', { body: MANIFEST, getDigest: null });
    const got = await resolver.resolve(image('team/nodigest:v1'));
    assert.equal(got.digest, sha256(MANIFEST));
    assert.deepEqual(
      reg.seen.filter((s) => s.path.includes('/manifests/')).map((s) => `${s.method} ${s.path}`),
      ['HEAD /v2/team/nodigest/manifests/v1', 'GET /v2/team/nodigest/manifests/v1'],
    );
    reg.put('team/liar', 'v1', { body: MANIFEST, getDigest: sha256('x') });
    await assert.rejects(resolver.resolve(image('team/liar:v1')), refusedWith('DIGEST_MISMATCH'));
  });

  it("unknown tags are MANIFEST_NOT_FOUND with the registry's message", async () => {
    await assert.rejects(
      resolver.resolve(image('team/app:nope')),
      refusedWith('MANIFEST_NOT_FOUND', /manifest for 127\.0\.0\.1:\d+\/team\/app:nope not found on http:\/\/127\.0\.0\.1:\d+/),
    );
    reg.noHead = true;
    await assert.rejects(resolver.resolve(image('team/app:nope')), refusedWith('MANIFEST_NOT_FOUND', /manifest unknown/));
  });

  it('caps manifests at 4 MiB: by the declared length, or while reading', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    reg.put('team/big', 'v1', { body: big });
    await assert.rejects(resolver.resolve(image('team/big:v1')), refusedWith('MANIFEST_TOO_LARGE', /4194305 bytes/));
    reg.noHead = true;
    reg.override = (req, res) => {
      if (!req.url?.includes('/team/stream/')) return false;
      if (req.method === 'HEAD') {
        reply(res, 405, '');
        return true;
      }
      res.writeHead(200, { 'Content-Type': MEDIA_TYPES.dockerManifest });
      res.on('error', () => {});
      for (let i = 0; i < 80; i++) res.write(Buffer.alloc(64 * 1024, 0x20));
      res.end();
      return true;
    };
    await assert.rejects(resolver.resolve(image('team/stream:v1')), refusedWith('MANIFEST_TOO_LARGE'));
    const small = resolverOf({ certDirs: [], maxManifestBytes: 100 });
    await assert.rejects(small.resolve(image('team/app:v1')), refusedWith('MANIFEST_TOO_LARGE'));
  });

  it("media types: from Content-Type, else the manifest's mediaType, else its shape; schema 1 is refused", async () => {
    reg.put('team/json', 'v1', { body: MANIFEST, contentType: 'application/json; charset=utf-8' });
    assert.equal((await resolver.resolve(image('team/json:v1'))).mediaType, MEDIA_TYPES.dockerManifest);
    reg.put('team/shape', 'v1', { body: INDEX, contentType: 'application/octet-stream' });
    assert.equal((await resolver.resolve(image('team/shape:v1'))).mediaType, MEDIA_TYPES.ociIndex);
    const v1 = Buffer.from('{"schemaVersion":1,"name":"x","signatures":[]}');
    reg.put('team/old', 'v1', { body: v1, contentType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
    await assert.rejects(resolver.resolve(image('team/old:v1')), refusedWith('UNSUPPORTED_MANIFEST', /schema 1/));
    reg.put('team/notjson', 'v1', { body: Buffer.from('<html>'), contentType: 'text/plain' });
    await assert.rejects(resolver.resolve(image('team/notjson:v1')), refusedWith('REGISTRY_BAD_RESPONSE'));
  });

  it('Bearer token auth with scope repository:<path>:pull; wrong or missing credentials are clear errors', async () => {
    reg.bearer = true;
    const withAuth = resolverOf({
      certDirs: [],
      auth: new RegistryAuth({ credentials: () => ({ username: 'alice', password: 'pw' }) }),
    });
    assert.equal((await withAuth.resolve(image('team/app:v1'))).digest, sha256(MANIFEST));
    const tokenRequests = reg.seen.filter((s) => s.path === '/token');
    assert.equal(tokenRequests.length, 1, 'one token for HEAD and GET');
    assert.ok([...reg.tokens][0]?.endsWith(':repository:team/app:pull'));
    await assert.rejects(
      resolverOf({
        certDirs: [],
        auth: new RegistryAuth({ credentials: () => ({ username: 'alice', password: 'bad' }) }),
      }).resolve(image('team/app:v1')),
      refusedWith('AUTH_FAILED', /incorrect username or password/),
    );
    await assert.rejects(
      resolverOf({ certDirs: [] }).resolve(image('team/app:v1')),
      refusedWith('REGISTRY_UNAUTHORIZED', /docker login 127\.0\.0\.1:\d+/),
    );
  });

  it('Basic auth', async () => {
    reg.basic = true;
    const withAuth = resolverOf({
      certDirs: [],
      auth: new RegistryAuth({ credentials: () => ({ username: 'alice', password: 'pw' }) }),
    });
    assert.equal((await withAuth.resolve(image('team/app:v1'))).size, MANIFEST.length);
    await assert.rejects(
      resolverOf({ certDirs: [], auth: new RegistryAuth() }).resolve(image('team/app:v1')),
      refusedWith('AUTH_REQUIRED'),
    );
  });

  it('registryHostFor: Docker Hub is registry-1.docker.io', () => {
    assert.equal(registryHostFor('docker.io'), DOCKER_HUB_REGISTRY);
    assert.equal(registryHostFor('index.docker.io'), 'registry-1.docker.io');
    assert.equal(registryHostFor('127.0.0.1:5000'), '127.0.0.1:5000');
  });
});

// ---- non-loopback registries: https only, CAs from the cert folders, http only when listed insecure -------------

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe(
  'resolveManifest on a non-loopback address',
  { skip: external === undefined ? 'no non-loopback IPv4 address on this machine' : false },
  () => {
    let work: string;

    before(() => {
      work = mkdtempSync(join(tmpdir(), 'dct-resolver-'));
    });
    after(() => rmSync(work, { recursive: true, force: true }));

    it('plain http is used only when the dct config lists the registry as insecure', async () => {
      const reg = await new Registry().start({ address: external as string });
      reg.put('team/app', 'v1', { body: MANIFEST });
      try {
        await assert.rejects(
          resolverOf({ certDirs: [], timeoutMs: 5000 }).resolve(`${reg.host}/team/app:v1`),
          refusedWith('REGISTRY_UNREACHABLE', /https:\/\//),
        );
        assert.ok(
          reg.seen.every((s) => !s.path.startsWith('/v2/')),
          'no plain-http request was made',
        );
        const insecure = resolverOf({ certDirs: [], insecureRegistries: [reg.host] });
        assert.equal((await insecure.resolve(`${reg.host}/team/app:v1`)).endpoint, reg.url);
        const byCidr = resolverOf({ certDirs: [], insecureRegistries: [`${external}/32`] });
        assert.equal((await byCidr.resolve(`${reg.host}/team/app:v1`)).digest, sha256(MANIFEST));
      } finally {
        await reg.close();
      }
    });

    it('https verifies the certificate against the system roots plus <certDir>/<host:port>/*.crt', async () => {
      const tls = await ensureSelfSignedTls(join(work, 'server'), [external as string]);
      const reg = await new Registry().start({ address: external as string, tls: { cert: tls.cert, key: tls.key } });
      reg.put('team/app', 'v1', { body: MANIFEST });
      try {
        await assert.rejects(
          resolverOf({ certDirs: [join(work, 'empty')] }).resolve(`${reg.host}/team/app:v1`),
          refusedWith('REGISTRY_UNREACHABLE', /certificate/),
        );
        const certs = join(work, 'certs.d');
        mkdirSync(join(certs, reg.host), { recursive: true });
        writeFileSync(join(certs, reg.host, 'ca.crt'), readFileSync(tls.caFile));
        const got = await resolverOf({ certDirs: [join(work, 'empty'), certs] }).resolve(`${reg.host}/team/app:v1`);
        assert.equal(got.digest, sha256(MANIFEST));
        assert.equal(got.endpoint, reg.url);
        // or TLS settings given directly
        assert.equal(
          (await resolverOf({ tls: () => ({ ca: readFileSync(tls.caFile) }) }).resolve(`${reg.host}/team/app:v1`)).size,
          MANIFEST.length,
        );
      } finally {
        await reg.close();
      }
    });
  },
);
