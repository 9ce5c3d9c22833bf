/**
 * Helpers for the embedded registry's tests: an in-process `dct server`, raw
 * HTTP(S) exchanges (exact statuses, headers and bodies), and small images
 * built in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig, type ServerConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';
import { dropSchemas, POSTGRES_URL } from '../../support/postgres.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.list.v2+json', DOCKER_MANIFEST].join(
  ', ',
);

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface TestServer {
  url: string;
  /** host:port, the registry's name */
  host: string;
  dir: string;
  running: RunningServer;
  /** the CA to trust (TLS servers) */
  ca?: Buffer;
  config: ServerConfig;
  close(): Promise<void>;
}

export interface StartOptions {
  /** default: a SQLite file in the data folder */
  storage?: string;
  tls?: boolean;
  flags?: Partial<ServerConfig>;
  /** reuse a data folder (restart) */
  dir?: string;
  keep?: boolean;
}

export async function startTestServer(opts: StartOptions = {}): Promise<TestServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dct-registry-'));
  const config = loadConfig({
    env: {},
    flags: {
      listen: '127.0.0.1:0',
      storage: opts.storage ?? `sqlite:${join(dir, 'dct.db')}`,
      dataDir: dir,
      logLevel: 'warn',
      ...(opts.tls ? {} : { plainHttp: true }),
      ...opts.flags,
    },
  });
  const running = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'registry-tests' }, pino({ level: 'silent' }));
  const url = running.url;
  return {
    url,
    host: new URL(url).host,
    dir,
    running,
    config,
    ...(running.caFile ? { ca: readFileSync(running.caFile) } : {}),
    async close() {
      await running.close();
      if (!opts.keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL schema's storage URL, and a function dropping the schemas made. */
export function postgresSchemas(): { storage(): string; drop(): Promise<void> } {
  const made: string[] = [];
  return {
    storage() {
      const schema = `dct_reg_${randomBytes(5).toString('hex')}`;
      made.push(schema);
      return `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    },
    drop: () => dropSchemas(made),
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** the registry error codes of the body */
  codes: string[];
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string | AsyncIterable<Buffer>;
  ca?: Buffer;
}

/** One HTTP(S) exchange, body read whole. */
export function request(url: string, opts: RequestOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca ? { ca: opts.ca } : {}), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          let codes: string[] = [];
          try {
            const parsed = JSON.parse(text) as { errors?: Array<{ code: string }> };
            codes = (parsed.errors ?? []).map((e) => e.code);
          } catch {
            codes = [];
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, codes, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      void (async () => {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(reject);
    }
  });
}

/** A registry client over `request` for one server (and optional bearer token). */
export class Raw {
  constructor(
    readonly base: string,
    private readonly ca?: Buffer,
    private readonly token?: string,
  ) {}

  withToken(token: string): Raw {
    return new Raw(this.base, this.ca, token);
  }

  call(path: string, opts: RequestOptions = {}): Promise<Reply> {
    const headers = { ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}), ...opts.headers };
    return request(path.startsWith('http') ? path : `${this.base}${path}`, { ...opts, headers, ...(this.ca ? { ca: this.ca } : {}) });
  }

  /** Monolithic upload (POST ?digest=). */
  async pushBlob(name: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    const r = await this.call(`/v2/${name}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
    });
    if (r.status !== 201) throw new Error(`blob push: ${r.status} ${r.text}`);
    return digest;
  }

  async pushManifest(name: string, reference: string, bytes: Buffer, mediaType = OCI_MANIFEST): Promise<Reply> {
    return this.call(`/v2/${name}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'Content-Type': mediaType } });
  }

  getManifest(name: string, reference: string, method = 'GET'): Promise<Reply> {
    return this.call(`/v2/${name}/manifests/${reference}`, { method, headers: { Accept: MANIFEST_ACCEPT } });
  }
}

export interface BuiltImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  digest: string;
  size: number;
}

/** A small OCI image (config + layers) as bytes. */
export function buildImage(
  seed: string,
  opts: { layers?: number; mediaType?: string; extra?: Record<string, unknown>; platform?: string } = {},
): BuiltImage {
  const docker = opts.mediaType === DOCKER_MANIFEST;
  const [os, architecture] = (opts.platform ?? 'linux/amd64').split('/') as [string, string];
  const layers = Array.from({ length: opts.layers ?? 2 }, (_, i) => Buffer.from(`layer ${i} of ${seed} ${'x'.repeat(100 * (i + 1))}`));
  const config = Buffer.from(
    JSON.stringify({ architecture, os, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) }, seed }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: opts.mediaType ?? OCI_MANIFEST,
      config: {
        mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256(l),
        size: l.length,
      })),
      ...opts.extra,
    }),
  );
  return { config, layers, manifest, digest: sha256(manifest), size: manifest.length };
}

/** Pushes an image's blobs and its manifest (under `tag`, or by digest when none). */
export async function pushImage(raw: Raw, name: string, image: BuiltImage, tag?: string): Promise<void> {
  await raw.pushBlob(name, image.config);
  for (const l of image.layers) await raw.pushBlob(name, l);
  const media = (JSON.parse(image.manifest.toString()) as { mediaType: string }).mediaType;
  const r = await raw.pushManifest(name, tag ?? image.digest, image.manifest, media);
  if (r.status !== 201) throw new Error(`manifest push: ${r.status} ${r.text}`);
}

/** An index over images (already pushed). */
export function buildIndex(images: Array<{ image: BuiltImage; platform: string }>): { bytes: Buffer; digest: string; size: number } {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: images.map(({ image, platform }) => {
        const [os, architecture] = platform.split('/');
        return { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size, platform: { architecture, os } };
      }),
    }),
  );
  return { bytes, digest: sha256(bytes), size: bytes.length };
}
