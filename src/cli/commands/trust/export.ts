/**
 * `dct trust export IMAGE|REPOSITORY… --output BUNDLE` (or `--all`): writes a trust
 * bundle (src/app/trust-export/export-bundle.ts) from a Notary server — `--server URL`,
 * else the server `dct trust` would use (DOCKER_CONTENT_TRUST_SERVER, the dct config,
 * the registry) with docker's TLS files and credentials — or, with `--from-cache`, from
 * the trust dir's cache (`<trust dir>/tuf/<gun>/metadata`), the only source left once a
 * server is gone. Text (default) or `--format json`; progress on a terminal.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dockerCredentials } from '../../../adapters/client-config/docker-credentials.js';
import { dctConfigFile, loadDctConfig } from '../../../adapters/client-config/dct-config.js';
import { tlsFilesForHost, tlsSettingsFrom } from '../../../adapters/client-config/docker-tls-files.js';
import { RegistryAuth } from '../../../adapters/http/registry-auth.js';
import { cachedRepository, cachedRepositoryNames } from '../../../adapters/trust-bundle/cached-repositories.js';
import { listServerRepositories } from '../../../adapters/trust-bundle/changefeed.js';
import { TarBundleWriter } from '../../../adapters/trust-bundle/bundle-file.js';
import type { TrustServerConnection } from '../../../app/docker-trust/trust-context.js';
import { exportBundle, type ExportItem } from '../../../app/trust-export/export-bundle.js';
import { expiryLabel } from '../../../app/trust-export/expiry.js';
import { isHttpsUrl, trustServerFor, urlHost, type TrustServer } from '../../../app/trust-server-url.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { parseImageReference } from '../../../core/image-reference.js';
import type { BundleRepository, TrustBundleManifest } from '../../../core/trust-bundle/manifest.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { dockerDirs, dockerTrustHost, USER_AGENT } from '../../docker-trust/trust-context.js';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import type { TrustCommand } from './common.js';

const PACKAGE_NAME = 'dct';

/** dct's version, for the manifest: the package.json above this module (in src/ or bundled in dist/), else 'unknown'. */
export function dctVersion(): string {
  for (let up = 2; up <= 4; up++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${'../'.repeat(up)}package.json`, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there
    }
  }
  return 'unknown';
}

function textFormat(p: ParsedArgs): 'text' | 'json' {
  const v = stringFlag(p, 'format') ?? 'text';
  if (v === 'text' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text" or "json", not ${JSON.stringify(v)}`);
}

/** `--server URL`: an https URL, certificates checked (a private CA goes in $DOCKER_CONFIG/tls/<host:port>/ca.crt). */
export function explicitServer(url: string): TrustServer {
  if (!isHttpsUrl(url)) throw new DctError('INVALID_TRUST_SERVER', `valid https URL required for trust server, got ${url}`);
  return { url, source: 'env', tlsHost: urlHost(url), skipTlsVerify: false, official: url === 'https://notary.docker.io' };
}

/** The GUN of an argument (`IMAGE[:TAG]` or a repository name: the tag is ignored, the whole repository is exported). */
function gunOf(arg: string): { gun: string; registry: string } {
  const ref = parseImageReference(arg);
  return { gun: ref.name, registry: ref.domain };
}

/** One connection per trust server, opened when first needed and closed at the end. */
class Connections {
  private readonly open = new Map<string, Promise<TrustServerConnection>>();
  constructor(private readonly io: TrustIo) {}

  get(server: TrustServer, registry: string): Promise<TrustServerConnection> {
    let c = this.open.get(server.url);
    if (!c) {
      const host = dockerTrustHost(this.io);
      c = host.connect(server, () => host.credentials(registry));
      this.open.set(server.url, c);
    }
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.open.values()) (await c.catch(() => undefined))?.close();
  }
}

/** The repositories `--all` means: the server's changefeed, or every GUN cached in the trust dir. */
export async function allRepositories(io: TrustIo, server: TrustServer | undefined, trustDir: string | undefined): Promise<string[]> {
  if (trustDir !== undefined) return cachedRepositoryNames(trustDir);
  if (!server) {
    throw new DctError('INVALID_ARGUMENT', '--all needs a trust server: --server URL or DOCKER_CONTENT_TRUST_SERVER (or --from-cache)');
  }
  const { configDir } = dockerDirs(io);
  const tls = tlsSettingsFrom(await tlsFilesForHost(configDir, server.tlsHost), { rejectUnauthorized: !server.skipTlsVerify });
  const credentials = () => dockerCredentials(server.tlsHost, { env: io.env, configDir, onWarning: (m) => io.err(`WARNING: ${m}\n`) });
  const auth = new RegistryAuth({ credentials, clientId: 'docker', userAgent: USER_AGENT });
  return listServerRepositories({ baseUrl: server.url, tls, auth, userAgent: USER_AGENT });
}

async function exportItems(io: TrustIo, p: ParsedArgs, connections: Connections): Promise<ExportItem[]> {
  const fromCache = boolFlag(p, 'from-cache');
  const trustDir = fromCache ? resolve(io.cwd, stringFlag(p, 'trust-dir') ?? dockerDirs(io).trustDir) : undefined;
  const serverFlag = stringFlag(p, 'server');
  const envServer = io.env['DOCKER_CONTENT_TRUST_SERVER'];
  const fixed = serverFlag ? explicitServer(serverFlag) : undefined;
  let names: Array<{ gun: string; registry: string }>;
  if (boolFlag(p, 'all')) {
    if (p.args.length > 0) throw new DctError('INVALID_ARGUMENT', '--all exports every repository: give no IMAGE|REPOSITORY with it');
    const server = fixed ?? (envServer ? explicitServer(envServer) : undefined);
    names = (await allRepositories(io, server, trustDir)).map((gun) => ({ gun, registry: urlHost(server?.url ?? '') }));
  } else {
    if (p.args.length === 0) throw new DctError('INVALID_ARGUMENT', 'name at least one IMAGE|REPOSITORY to export, or --all');
    const seen = new Set<string>();
    names = p.args.map(gunOf).filter((n) => !seen.has(n.gun) && seen.add(n.gun));
  }
  const config = fromCache || fixed ? undefined : await loadDctConfig(dctConfigFile(io.env));
  return names.map(({ gun, registry }) => ({
    gun,
    async source() {
      if (trustDir !== undefined) {
        const cached = await cachedRepository(trustDir, gun);
        return { kind: 'cache', path: cached.path, files: cached.files, writtenAt: cached.writtenAt ?? new Date(0) };
      }
      const server = fixed ?? trustServerFor({ registry, env: io.env, servers: config?.trustServers ?? {} });
      if (server.warning) io.err(server.warning);
      const connection = await connections.get(server, registry);
      return { kind: 'server', url: server.url, remote: connection.repository(gun) };
    },
  }));
}

function humanAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} days`;
}

function sourceText(r: BundleRepository): string {
  if (r.source.kind === 'server') return `from ${r.source.url}`;
  return (
    `from the cache ONLY (${r.source.path}): no trust server was asked; the cached data was last verified by a client at ` +
    `${r.source.writtenAt} (${humanAge(r.source.ageSeconds)} old) — anything signed since is not in the bundle`
  );
}

function rootsText(roots: readonly number[]): string {
  return roots.length === 1 ? `root v${roots[0]}` : `root chain v${roots[0]}..v${roots[roots.length - 1]}`;
}

function report(io: TrustIo, output: string, manifest: TrustBundleManifest): void {
  const n = manifest.repositories.length;
  io.out(`Exported ${n} ${n === 1 ? 'repository' : 'repositories'} to ${output} (verified at ${manifest.exportedAt})\n`);
  for (const r of manifest.repositories) {
    io.out(`  ${r.gun}: ${rootsText(r.roots)}, ${r.tags.length} ${r.tags.length === 1 ? 'tag' : 'tags'}, ${r.files.length} files\n`);
    io.out(`    ${sourceText(r)}\n`);
    const label = expiryLabel(r.expired, new Date(r.verifiedAsOf));
    if (label) io.out(`    ${label}\n`);
    for (const w of r.warnings) io.out(`    warning: ${w}\n`);
  }
  io.out(`Check it offline with: dct trust verify-bundle ${output}\n`);
}

function summary(output: string, manifest: TrustBundleManifest): unknown {
  return {
    bundle: output,
    exportedAt: manifest.exportedAt,
    dctVersion: manifest.dctVersion,
    repositories: manifest.repositories.map((r) => ({
      gun: r.gun,
      source: r.source,
      verifiedAsOf: r.verifiedAsOf,
      expired: r.expired,
      roots: r.roots,
      files: r.files.length,
      tags: r.tags,
      warnings: r.warnings,
    })),
  };
}

/** One line redrawn in place on a terminal (stderr); nothing elsewhere. */
function progressLine(io: TrustIo): ((gun: string, done: number, total: number) => void) | undefined {
  if (process.stderr.isTTY !== true || !io.hints) return undefined;
  return (gun, done, total) => io.err(done < total ? `\r\x1b[2Kexporting ${done + 1}/${total} ${gun}` : '\r\x1b[2K');
}

export const exportCommand: TrustCommand = {
  spec: {
    path: 'trust export',
    use: '[OPTIONS] IMAGE|REPOSITORY... | --all',
    short: 'Export trust data as a self-contained, verifiable bundle',
    flags: [
      { name: 'output', short: 'o', kind: 'string', help: 'Write the bundle (a tar file) here (required)' },
      {
        name: 'all',
        kind: 'bool',
        help: "Every repository of the trust server (its changefeed) or, with --from-cache, of the trust dir's cache",
      },
      { name: 'server', kind: 'string', help: 'Trust server URL (default: as dct trust chooses it)' },
      { name: 'from-cache', kind: 'bool', help: "Export the trust dir's cached metadata instead of asking a server" },
      { name: 'trust-dir', kind: 'string', help: 'Trust dir of --from-cache (default $DOCKER_CONFIG/trust)' },
      { name: 'format', kind: 'string', valueName: 'string', help: 'Output format: "text" or "json"', default: 'text' },
    ],
    args: { min: 0 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = textFormat(p);
    const output = stringFlag(p, 'output');
    if (!output) throw new DctError('INVALID_ARGUMENT', '--output BUNDLE is required');
    const connections = new Connections(io);
    const onProgress = boolFlag(p, 'all') ? progressLine(io) : undefined;
    try {
      const items = await exportItems(io, p, connections);
      if (items.length === 0) throw new DctError('REPOSITORY_NOT_FOUND', 'no repository to export');
      const manifest = await exportBundle({
        items,
        now: io.now(),
        dctVersion: dctVersion(),
        writer: new TarBundleWriter(output, io.now()),
        ...(onProgress ? { onProgress } : {}),
      });
      if (format === 'json') jsonOut(io, summary(output, manifest));
      else report(io, output, manifest);
      return 0;
    } catch (err) {
      if (isDctError(err, 'INVALID_ARGUMENT') || isDctError(err, 'INVALID_TRUST_SERVER')) throw err;
      onProgress?.('', 1, 1);
      const code = isDctError(err) ? err.code : 'ERROR';
      const message = `export failed, no bundle written to ${output}: ${(err as Error).message}`;
      if (format === 'json') jsonOut(io, { code, message });
      else io.err(`dct trust export: ${message} [${code}]\n`);
      return 1;
    } finally {
      await connections.close();
    }
  },
};
