/**
 * `dct trust migrate SOURCE-SERVER DEST-SERVER [GUN…|--all] [--dry-run]`: moves
 * repositories from a Notary server (notary-server, dct server) to a dct server keeping
 * their root (src/app/trust-migrate): the root key's holder (the trust dir, `--trust-dir`;
 * passphrases from DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE or NOTARY_ROOT_PASSPHRASE) signs
 * the rotation of timestamp (and a server-held snapshot) to the destination's keys.
 * Prints what clients must do. Text (default) or `--format json`; progress on a terminal.
 */
import { resolve } from 'node:path';
import { FileKeyRing } from '../../../adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../adapters/keystore/file-keystore.js';
import { createPassphraseSource } from '../../../adapters/passphrase.js';
import type { TrustServerConnection } from '../../../app/docker-trust/trust-context.js';
import { migrateRepositories } from '../../../app/trust-migrate/migrate-repositories.js';
import type { MigrationOutcome } from '../../../app/trust-migrate/migrate-repository.js';
import { urlHost, type TrustServer } from '../../../app/trust-server-url.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { dockerDirs, dockerTrustHost } from '../../docker-trust/trust-context.js';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import type { TrustCommand } from './common.js';
import { allRepositories, explicitServer } from './export.js';

function outputFormat(p: ParsedArgs): 'text' | 'json' {
  const v = stringFlag(p, 'format') ?? 'text';
  if (v === 'text' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text" or "json", not ${JSON.stringify(v)}`);
}

async function connect(io: TrustIo, server: TrustServer): Promise<TrustServerConnection> {
  const host = dockerTrustHost(io);
  return host.connect(server, () => host.credentials(urlHost(server.url)));
}

const CLIENTS_KEPT_ROOT =
  'Clients: nothing to re-trust (the root is kept; they see a key rotation). Point them at the new server:\n' +
  '  export DOCKER_CONTENT_TRUST_SERVER=';

function report(io: TrustIo, destination: string, outcomes: readonly MigrationOutcome[], dryRun: boolean): void {
  for (const o of outcomes) {
    const roots = o.roots.length > 0 ? `root chain v${o.roots[0]}..v${o.roots[o.roots.length - 1]}, ` : '';
    const what = `${roots}${o.tags} ${o.tags === 1 ? 'tag' : 'tags'}`;
    if (o.status === 'migrated') {
      io.out(`${o.gun}: migrated (${what}; ${o.rotated.join(' and ')} rotated to the destination's keys, root v${o.destinationRoot})\n`);
    } else if (o.status === 'would-migrate') io.out(`${o.gun}: would migrate (${what})\n`);
    else if (o.status === 'updated') io.out(`${o.gun}: updated, ${o.reason} (${what})\n`);
    else if (o.status === 'would-update') io.out(`${o.gun}: would update, ${o.reason} (${what})\n`);
    else if (o.status === 'skipped') io.out(`${o.gun}: skipped, ${o.reason} (${what})\n`);
    else io.out(`${o.gun}: FAILED: ${o.reason} [${o.code}]\n`);
  }
  const count = (s: string) => outcomes.filter((o) => o.status === s).length;
  io.out(
    dryRun
      ? `Dry run: ${count('would-migrate')} to migrate, ${count('would-update')} to update, ${count('skipped')} already there, ${count('failed')} failed\n`
      : `${count('migrated')} migrated, ${count('updated')} updated, ${count('skipped')} skipped, ${count('failed')} failed\n`,
  );
  if (!dryRun && count('migrated') + count('updated') + count('skipped') > 0) io.out(`${CLIENTS_KEPT_ROOT}${destination}\n`);
  if (count('failed') > 0) io.out('Rerun the same command to finish: what is already at the destination is skipped.\n');
}

/** One line redrawn in place on a terminal (stderr); nothing elsewhere. */
function progressLine(io: TrustIo): ((gun: string, done: number, total: number) => void) | undefined {
  if (process.stderr.isTTY !== true || !io.hints) return undefined;
  return (gun, done, total) => io.err(done < total ? `\r\x1b[2Kmigrating ${done + 1}/${total} ${gun}` : '\r\x1b[2K');
}

export const migrateCommand: TrustCommand = {
  spec: {
    path: 'trust migrate',
    use: '[OPTIONS] SOURCE-SERVER DEST-SERVER [GUN...] | --all',
    short: 'Move repositories with their history to a dct server',
    flags: [
      { name: 'all', kind: 'bool', help: 'Every repository of the source server (its changefeed)' },
      { name: 'dry-run', kind: 'bool', help: 'List what would move; change nothing' },
      { name: 'trust-dir', kind: 'string', help: 'Trust dir holding the root keys (default $DOCKER_CONFIG/trust)' },
      { name: 'format', kind: 'string', valueName: 'string', help: 'Output format: "text" or "json"', default: 'text' },
    ],
    args: { min: 2 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = outputFormat(p);
    const [sourceUrl, destinationUrl, ...names] = p.args as [string, string, ...string[]];
    const source = explicitServer(sourceUrl);
    const destination = explicitServer(destinationUrl);
    const all = boolFlag(p, 'all');
    if (all && names.length > 0) throw new DctError('INVALID_ARGUMENT', '--all migrates every repository: give no GUN with it');
    if (!all && names.length === 0) throw new DctError('INVALID_ARGUMENT', 'name at least one GUN to migrate, or --all');
    const dryRun = boolFlag(p, 'dry-run');
    const trustDir = resolve(io.cwd, stringFlag(p, 'trust-dir') ?? dockerDirs(io).trustDir);
    const keyRing = new FileKeyRing(new FileKeyStore(trustDir), createPassphraseSource({ mode: 'combined', env: io.env }));
    const onProgress = progressLine(io);
    const connections: Array<Promise<TrustServerConnection>> = [];
    try {
      const guns = all ? await allRepositories(io, source, undefined) : [...new Set(names)];
      const from = connect(io, source);
      const to = connect(io, destination);
      connections.push(from, to);
      const [fromConnection, toConnection] = await Promise.all([from, to]);
      const outcomes = await migrateRepositories({
        guns,
        source: (gun) => fromConnection.repository(gun),
        destination: (gun) => toConnection.repository(gun),
        keyRing,
        now: io.now(),
        dryRun,
        ...(onProgress ? { onProgress } : {}),
      });
      if (format === 'json') jsonOut(io, { source: source.url, destination: destination.url, dryRun, repositories: outcomes });
      else report(io, destination.url, outcomes, dryRun);
      return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
    } catch (err) {
      onProgress?.('', 1, 1);
      const code = isDctError(err) ? err.code : 'ERROR';
      const message = `migration failed: ${(err as Error).message}`;
      if (format === 'json') jsonOut(io, { code, message });
      else io.err(`dct trust migrate: ${message} [${code}]\n`);
      return 1;
    } finally {
      for (const c of connections) (await c.catch(() => undefined))?.close();
    }
  },
};
