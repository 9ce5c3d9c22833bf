import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot, relativePath, UiAssets } from '../../../src/server/dashboard/ui-assets.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request (the path is sent as written: no client-side normalisation of `..`). */
function get(server: Server, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Serves like the trust server's dispatcher: the path without its query, percent-decoded once. */
async function serving(assets: UiAssets): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    let decoded: string;
    try {
      decoded = path.includes('%') ? decodeURIComponent(path) : path;
    } catch {
      res.writeHead(404).end();
      return;
    }
    void assets.serve(req, res, decoded);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

function assertSecurityHeaders(a: Answer): void {
  assert.equal(a.headers['content-security-policy'], CSP);
  assert.equal(a.headers['x-content-type-options'], 'nosniff');
  assert.equal(a.headers['referrer-policy'], 'no-referrer');
}

describe('UiAssets: the built dashboard under /ui/', () => {
  let base: string;
  let server: Server;
  const INDEX = '<!doctype html><title>dct</title><script type="module" src="/ui/assets/index-Ab12Cd.js"></script>';
  const SCRIPT = 'console.log("dashboard");';

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'dct-ui-assets-'));
    const dir = join(base, 'dist', 'ui');
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'index-Ab12Cd.js'), SCRIPT);
    await writeFile(join(dir, 'assets', 'index-Ef34Gh.css'), 'body{margin:0}');
    await writeFile(join(base, 'dist', 'secret.txt'), 'outside the build');
    server = await serving(new UiAssets(dir));
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(base, { recursive: true, force: true });
  });

  it('answers index.html at /ui/ with no-cache, an ETag and the security headers', async () => {
    const a = await get(server, '/ui/');
    assert.equal(a.status, 200);
    assert.equal(a.body, INDEX);
    assert.equal(a.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(a.headers['cache-control'], 'no-cache');
    assert.match(String(a.headers.etag), /^"[A-Za-z0-9_-]+"$/);
    assertSecurityHeaders(a);
  });

  it('serves hashed assets as immutable with their content type', async () => {
    const js = await get(server, '/ui/assets/index-Ab12Cd.js');
    assert.equal(js.status, 200);
    assert.equal(js.body, SCRIPT);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assertSecurityHeaders(js);
    const css = await get(server, '/ui/assets/index-Ef34Gh.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  });

  it('answers 304 to a matching If-None-Match, and 200 to a stale one', async () => {
    const first = await get(server, '/ui/assets/index-Ab12Cd.js');
    const etag = String(first.headers.etag);
    const again = await get(server, '/ui/assets/index-Ab12Cd.js', { headers: { 'If-None-Match': `"other", ${etag}` } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, etag);
    assertSecurityHeaders(again);
    const stale = await get(server, '/ui/assets/index-Ab12Cd.js', { headers: { 'If-None-Match': '"other"' } });
    assert.equal(stale.status, 200);
    const index = await get(server, '/ui/repositories', { headers: { 'If-None-Match': String((await get(server, '/ui/')).headers.etag) } });
    assert.equal(index.status, 304, 'a page path revalidates against index.html');
  });

  it('answers index.html for client-side routes, deep links with dots in a GUN included', async () => {
    for (const path of [
      '/ui',
      '/ui/expiry',
      '/ui/decisions?verdict=deny',
      '/ui/repositories/example.com/team/app',
      '/ui/repositories/127.0.0.1%3A4443/a',
    ]) {
      const a = await get(server, path);
      assert.equal(a.status, 200, path);
      assert.equal(a.body, INDEX, path);
      assert.equal(a.headers['cache-control'], 'no-cache', path);
    }
  });

  it('answers 404 for a missing file (not index.html)', async () => {
    for (const path of ['/ui/assets/index-nope.js', '/ui/favicon.ico', '/ui/assets/deep']) {
      const a = await get(server, path);
      assert.equal(a.status, 404, path);
      assert.notEqual(a.body, INDEX);
      assertSecurityHeaders(a);
    }
  });

  it('refuses path traversal, raw or encoded', async () => {
    for (const path of [
      '/ui/../secret.txt',
      '/ui/assets/../../secret.txt',
      '/ui/%2e%2e/secret.txt',
      '/ui/assets/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/ui/..%5csecret.txt',
      '/ui/assets/%00.js',
    ]) {
      const a = await get(server, path);
      assert.equal(a.status, 400, path);
      assert.doesNotMatch(a.body, /outside the build/, path);
    }
    assert.equal(relativePath('/ui/assets/x/../../../secret.txt'), undefined);
    assert.equal(relativePath('/ui/./assets//index.js'), 'assets/index.js');
    assert.equal(relativePath('/ui/assets/a%2e%2e'), 'assets/a%2e%2e', 'decoded once, by the dispatcher, not again');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get(server, '/ui/assets/index-Ab12Cd.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(SCRIPT)));
    const post = await get(server, '/ui/', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });
});

describe('UiAssets without a build', () => {
  it('answers 503 naming `npm run build`, with the security headers', async () => {
    const base = await mkdtemp(join(tmpdir(), 'dct-ui-none-'));
    const server = await serving(new UiAssets(join(base, 'dist', 'ui')));
    try {
      for (const path of ['/ui/', '/ui/assets/index-Ab12Cd.js']) {
        const a = await get(server, path);
        assert.equal(a.status, 503, path);
        assert.match(a.body, /npm run build/);
        assertSecurityHeaders(a);
      }
    } finally {
      await new Promise((r) => server.close(r));
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('UiAssets: where the build is', () => {
  it("finds dct's package root from its own module, so the default directory is <root>/dist/ui", () => {
    const root = packageRoot();
    assert.equal((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name, 'dct');
    assert.equal(new UiAssets().dir, join(root, 'dist', 'ui'));
  });

  it('the real build (when built) has no inline script or style, as the CSP requires', (t) => {
    const index = join(packageRoot(), 'dist', 'ui', 'index.html');
    if (!existsSync(index)) return t.skip('dist/ui not built (npm run build)');
    const html = readFileSync(index, 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'index.html loads a script');
    for (const [, attrs, body] of scripts) {
      assert.match(attrs ?? '', /\bsrc="\/ui\/assets\//);
      assert.equal(body?.trim(), '');
    }
    assert.doesNotMatch(html, /<style\b|\sstyle=/);
  });
});
