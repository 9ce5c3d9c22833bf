/**
 * `dct trust resign IMAGE|--bundle BUNDLE --as cosign|notation [--key …]`: every tag whose
 * digest verifies through DCT — the repository's trust data from its trust server (as
 * `dct trust inspect` reads it: DOCKER_CONTENT_TRUST_SERVER, the dct config, the registry;
 * docker's TLS files and credentials) or from a trust bundle (`dct trust export`), verified
 * offline — is signed again in the new format and the signature pushed to the registry
 * (src/app/trust-resign/). DCT's own signatures stay as they are. A report lists every tag
 * (migrated, skipped, failed, each with why); `--format json` for scripts; `--dry-run` signs
 * nothing. Exit 1 (RESIGN_INCOMPLETE) when a tag failed or trust data did not verify.
 */
import { basename, resolve } from 'node:path';
import { readBundleFile } from '../../../adapters/trust-bundle/bundle-file.js';
import { dctConfigFile, loadDctConfig } from '../../../adapters/client-config/dct-config.js';
import type { TrustDataOrigin } from '../../../app/trust-resign/provenance.js';
import { resignRepository, type RepositoryResign } from '../../../app/trust-resign/resign-repository.js';
import { trustedFromBundle, trustedFromServer, type TrustedRepository } from '../../../app/trust-resign/trusted-repositories.js';
import { isHttpsUrl, trustServerFor, urlHost, type TrustServer } from '../../../app/trust-server-url.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { parseImageReference } from '../../../core/image-reference.js';
import { parseManifest } from '../../../core/trust-bundle/manifest.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { dockerTrustHost } from '../../docker-trust/trust-context.js';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import type { TrustCommand } from './common.js';
import { loadResignKey, openResignSigner, type LoadedKey, type ResignKeyOptions } from './resign-signers.js';
import { reportText, resignReport, type ResignReport } from './resign-report.js';

function choice<T extends string>(p: ParsedArgs, flag: string, allowed: readonly T[], fallback?: T): T {
  const v = stringFlag(p, flag) ?? fallback;
  if (v !== undefined && (allowed as readonly string[]).includes(v)) return v as T;
  throw new DctError('INVALID_ARGUMENT', `--${flag} must be ${allowed.map((a) => `"${a}"`).join(' or ')}, not ${JSON.stringify(v ?? '')}`);
}

/** a bool flag that defaults to true (`--tlog-upload=false` turns it off) */
const onUnlessFalse = (p: ParsedArgs, name: string): boolean => p.flags.get(name) !== 'false';

interface Source {
  origin: TrustDataOrigin;
  repositories: TrustedRepository[];
}

async function fromBundle(io: TrustIo, path: string, gun: string | undefined): Promise<Source> {
  const contents = await readBundleFile(resolve(io.cwd, path));
  const manifest = parseManifest(contents.manifest);
  return {
    origin: { kind: 'bundle', path: basename(path), exportedAt: manifest.exportedAt },
    repositories: await trustedFromBundle(contents, io.now(), gun),
  };
}

async function fromServer(io: TrustIo, p: ParsedArgs, image: string): Promise<Source> {
  const ref = parseImageReference(image);
  const flag = stringFlag(p, 'server');
  let server: TrustServer;
  if (flag !== undefined) {
    if (!isHttpsUrl(flag)) throw new DctError('INVALID_TRUST_SERVER', `valid https URL required for trust server, got ${flag}`);
    server = { url: flag, source: 'env', tlsHost: urlHost(flag), skipTlsVerify: false, official: false };
  } else {
    const config = await loadDctConfig(dctConfigFile(io.env));
    server = trustServerFor({ registry: ref.domain, env: io.env, servers: config.trustServers });
    if (server.warning) io.err(server.warning);
  }
  const host = dockerTrustHost(io);
  const connection = await host.connect(server, () => host.credentials(ref.domain));
  try {
    return {
      origin: { kind: 'server', url: server.url },
      repositories: [await trustedFromServer(ref.name, server.url, connection.repository(ref.name), io.now())],
    };
  } finally {
    connection.close();
  }
}

/** One line redrawn in place on a terminal (stderr), as `dct trust export --all` does; nothing elsewhere. */
function progressLine(io: TrustIo): ((image: string, state: string) => void) | undefined {
  if (process.stderr.isTTY !== true) return undefined;
  return (image, state) => io.err(image === '' ? '\r\x1b[2K' : `\r\x1b[2K${state} ${image}`);
}

async function resignAll(
  io: TrustIo,
  source: Source,
  key: LoadedKey,
  keyOptions: ResignKeyOptions,
  dryRun: boolean,
): Promise<ResignReport> {
  const progress = progressLine(io);
  const done: Array<RepositoryResign | TrustedRepository> = [];
  for (const trusted of source.repositories) {
    if (!trusted.repository) {
      done.push(trusted);
      continue;
    }
    let opened;
    try {
      opened = await openResignSigner(parseImageReference(trusted.gun), key, keyOptions, io.env, (m) => io.err(`${m}\n`));
    } catch (err) {
      // the registry cannot be opened: this repository is not re-signed, the others go on
      done.push({ gun: trusted.gun, refusal: { code: isDctError(err) ? err.code : 'ERROR', message: (err as Error).message } });
      continue;
    }
    try {
      const result = await resignRepository({
        repository: trusted.repository,
        origin: source.origin,
        signer: opened.signer,
        tags: opened.tags,
        dryRun,
        ...(progress ? { onTag: (tag: string, state: string) => progress(`${trusted.gun}:${tag}`, state) } : {}),
      });
      if (trusted.label) result.warnings.unshift(`the DCT trust data ${trusted.label}`);
      done.push(result);
    } finally {
      opened.close();
    }
  }
  progress?.('', '');
  return resignReport(source.origin, keyOptions, dryRun, done);
}

export const resignCommand: TrustCommand = {
  spec: {
    path: 'trust resign',
    use: '[OPTIONS] IMAGE | --bundle BUNDLE [IMAGE]',
    short: 'Re-sign the tags DCT verifies as cosign or Notation signatures',
    flags: [
      { name: 'as', kind: 'string', valueName: 'format', help: 'The new format: "cosign" or "notation" (required)' },
      {
        name: 'key',
        kind: 'string',
        help: "cosign: the key file (COSIGN_PASSWORD); notation: the key's name (default: notation's default)",
      },
      { name: 'bundle', kind: 'string', help: 'Read the DCT trust data from this trust bundle (dct trust export), verified offline' },
      { name: 'server', kind: 'string', help: 'Trust server URL (default: as dct trust chooses it)' },
      { name: 'tlog-upload', kind: 'bool', help: 'cosign: upload to the transparency log (--tlog-upload=false offline)', default: 'true' },
      {
        name: 'new-bundle-format',
        kind: 'bool',
        help: "cosign: cosign 3's bundle referrer (=false: the legacy .sig tag)",
        default: 'true',
      },
      { name: 'dry-run', kind: 'bool', help: 'List what would be signed, sign nothing' },
      { name: 'format', kind: 'string', valueName: 'string', help: 'Output format: "text" or "json"', default: 'text' },
    ],
    args: { min: 0 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = choice(p, 'format', ['text', 'json'] as const, 'text');
    const as = choice(p, 'as', ['cosign', 'notation'] as const);
    const bundle = stringFlag(p, 'bundle');
    if (p.args.length > 1) throw new DctError('INVALID_ARGUMENT', 'give one IMAGE (a repository) at most');
    const image = p.args[0];
    if (image === undefined && bundle === undefined) throw new DctError('INVALID_ARGUMENT', 'name an IMAGE, or --bundle BUNDLE');
    const key = stringFlag(p, 'key');
    const keyOptions: ResignKeyOptions = {
      format: as,
      ...(key !== undefined ? { key: resolve(io.cwd, key) } : {}),
      tlogUpload: onUnlessFalse(p, 'tlog-upload'),
      newBundleFormat: onUnlessFalse(p, 'new-bundle-format'),
    };
    if (as === 'notation' && key !== undefined) keyOptions.key = key;
    const gun = image === undefined ? undefined : parseImageReference(image).name;
    const loaded = await loadResignKey(keyOptions, io.env); // before any network: a wrong key or password fails first
    const source = bundle !== undefined ? await fromBundle(io, bundle, gun) : await fromServer(io, p, image as string);
    const report = await resignAll(io, source, loaded, keyOptions, boolFlag(p, 'dry-run'));
    if (format === 'json') jsonOut(io, report);
    else io.out(reportText(report));
    if (!report.complete) {
      if (format === 'text') io.err(`dct trust resign: not every tag was re-signed, see the report [RESIGN_INCOMPLETE]\n`);
      return 1;
    }
    return 0;
  },
};
