/**
 * The dashboard's web UI (issue 15) as static files: `dist/ui`, built by `npm run build` (Vite, from
 * `ui/`), served under `/ui/` by the dashboard's dispatcher (dashboard-http.ts).
 *
 * - A file of the build is served as it is: `assets/` names carry a content hash, so they are cached
 *   for a year (`immutable`); anything else (index.html) is `no-cache`, revalidated by its ETag (304).
 * - A page path (no file extension, or under `repositories/`, whose names hold dots) answers
 *   index.html: the UI routes on the client, so deep links and reloads work.
 * - Every answer carries a strict Content-Security-Policy (no inline script or style: the build has
 *   none), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
 * - `..` segments, NUL and backslashes are refused (400), and a resolved path must stay in the build
 *   directory. No build: 503 naming the fix.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardAssets } from './dashboard-http.js';

export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': UI_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export const IMMUTABLE = 'public, max-age=31536000, immutable';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The directory of the nearest package.json above `from` (dct's root, from src/ under tsx or bundled in dist/bin). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

/** Serves the built UI; `dir` defaults to `<package root>/dist/ui`. */
export class UiAssets implements DashboardAssets {
  readonly dir: string;
  private readonly cache = new Map<string, CachedFile>();

  constructor(dir: string = join(packageRoot(), 'dist', 'ui')) {
    this.dir = resolve(dir);
  }

  /** `path`: the decoded request path, `/ui/…` (as DashboardAssets gets it; a query string is ignored). */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.text(req, res, 405, 'The dashboard is read-only: GET or HEAD.', { Allow: 'GET, HEAD' });
    }
    const rel = relativePath(path);
    if (rel === undefined) return this.text(req, res, 400, 'Bad dashboard path.');
    const index = join(this.dir, 'index.html');
    if (!existsSync(index)) {
      return this.text(req, res, 503, `The dashboard is not built (${this.dir} is missing): run \`npm run build\`.`);
    }
    const file = resolve(this.dir, rel);
    if (file !== this.dir && !file.startsWith(this.dir + sep)) return this.text(req, res, 400, 'Bad dashboard path.');
    const found = rel !== '' && (await this.load(file));
    if (found) return this.send(req, res, found, extname(file), rel.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    if (isPagePath(rel)) {
      const page = await this.load(index);
      if (page) return this.send(req, res, page, '.html', 'no-cache');
    }
    return this.text(req, res, 404, 'No such dashboard file.');
  }

  private async load(file: string): Promise<CachedFile | undefined> {
    let st;
    try {
      st = await stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = this.cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = await readFile(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const entry = { mtimeMs: st.mtimeMs, size: st.size, body, etag };
    this.cache.set(file, entry);
    return entry;
  }

  private send(req: IncomingMessage, res: ServerResponse, f: CachedFile, ext: string, cacheControl: string): void {
    const headers = { ...SECURITY_HEADERS, 'Cache-Control': cacheControl, ETag: f.etag };
    if (matches(req.headers['if-none-match'], f.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[ext] ?? 'application/octet-stream', 'Content-Length': f.body.length });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  }

  private text(req: IncomingMessage, res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
    const body = Buffer.from(`${message}\n`);
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      ...extra,
      'Cache-Control': 'no-store',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/**
 * The path inside the build from the decoded request path (the dispatcher decodes it once; it is not
 * decoded again); undefined when it holds NUL, a backslash or a `..` segment.
 */
export function relativePath(path: string): string | undefined {
  let p = path.split(/[?#]/, 1)[0] ?? '';
  if (p === '/ui' || p.startsWith('/ui/')) p = p.slice(3);
  if (p.includes('\0') || p.includes('\\')) return undefined;
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) return undefined;
  return parts.join('/');
}

/** A path the UI routes on the client: no file extension, or a repository's page (GUNs hold dots). */
function isPagePath(rel: string): boolean {
  if (rel.startsWith('assets/')) return false;
  if (rel === 'repositories' || rel.startsWith('repositories/')) return true;
  const last = rel.slice(rel.lastIndexOf('/') + 1);
  return !last.includes('.');
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === `W/${etag}`;
  });
}
