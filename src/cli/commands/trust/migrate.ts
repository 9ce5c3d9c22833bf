/**
 * `dct trust migrate SOURCE-SERVER DEST-SERVER [GUN…|--all] [--dry-run]`: moves
 * repositories from a Notary server (notary-server, dct server) to a dct server keeping
 * their root (src/app/trust-migrate): the root key's holder (the trust dir, `--trust-dir`;
 * passphrases from DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE or NOTARY_ROOT_PASSPHRASE) signs
 * the rotation of timestamp (and a server-held snapshot) to the destination's keys; or,
 * `--new-root`, under a new root key (made in the trust dir, or `--rootkey FILE`).
 * Prints what clients must do (migrate-report.ts). Text (default) or `--format json`; progress on a terminal.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FileKeyRing } from '../../../adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../adapters/keystore/file-keystore.js';
import { createPassphraseSource, unlockWithPassphrase, type PassphraseSource } from '../../../adapters/passphrase.js';
import type { KeyPassphrases } from '../../../app/keys/key-files.js';
import { importRootKey } from '../../../app/keys/open-key-file.js';
import type { TrustServerConnection } from '../../../app/docker-trust/trust-context.js';
import { migrateRepositories } from '../../../app/trust-migrate/migrate-repositories.js';
import { urlHost, type TrustServer } from '../../../app/trust-server-url.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { dockerDirs, dockerTrustHost } from '../../docker-trust/trust-context.js';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import type { TrustCommand } from './common.js';
import { allRepositories, explicitServer } from './export.js';
import { clientSteps, report } from './migrate-report.js';

function outputFormat(p: ParsedArgs): 'text' | 'json' {
  const v = stringFlag(p, 'format') ?? 'text';
  if (v === 'text' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text" or "json", not ${JSON.stringify(v)}`);
}

async function connect(io: TrustIo, server: TrustServer): Promise<TrustServerConnection> {
  const host = dockerTrustHost(io);
  return host.connect(server, () => host.credentials(urlHost(server.url)));
}

/**
 * `--new-root` (and `--rootkey FILE`, as `notary init --rootkey`): where the new root key
 * comes from, made (or imported) once per run, when first needed.
 */
function newRootKeyOf(p: ParsedArgs, io: TrustIo, store: FileKeyStore, keyRing: FileKeyRing, passphrases: PassphraseSource) {
  const file = stringFlag(p, 'rootkey');
  if (!boolFlag(p, 'new-root')) {
    if (file !== undefined) throw new DctError('INVALID_ARGUMENT', '--rootkey chooses the root key of --new-root: give --new-root with it');
    return undefined;
  }
  let made: Promise<{ keyId: string; privateKey: KeyObject }> | undefined;
  const importKey = async (path: string) => {
    const pem = await readFile(resolve(io.cwd, path), 'utf8').catch((err: unknown) => {
      throw new DctError('INVALID_ARGUMENT', `--rootkey: cannot read ${path}: ${(err as Error).message}`);
    });
    const keyPassphrases: KeyPassphrases = {
      forNewKey: (key) => passphrases.get({ ...key, isNew: true }),
      unlock: (key, openKey) => unlockWithPassphrase(passphrases, key, openKey),
    };
    const keyId = await importRootKey({ keys: store, passphrases: keyPassphrases }, pem);
    const privateKey = await keyRing.unlock(keyId);
    if (!privateKey) throw new DctError('KEY_NOT_FOUND', `root key ${keyId} is not in the trust directory`);
    return { keyId, privateKey };
  };
  return () => (made ??= file !== undefined ? importKey(file) : keyRing.generate('root'));
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
      { name: 'new-root', kind: 'bool', help: 'Give the repositories a new root key at the destination (the old one is not needed)' },
      { name: 'rootkey', kind: 'string', valueName: 'file', help: 'With --new-root: this encrypted root key file instead of a new key' },
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
    const store = new FileKeyStore(trustDir);
    const passphrases = createPassphraseSource({ mode: 'combined', env: io.env });
    const keyRing = new FileKeyRing(store, passphrases);
    const newRootKey = newRootKeyOf(p, io, store, keyRing, passphrases);
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
        ...(newRootKey ? { newRootKey } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
      if (format === 'json') {
        const clients = clientSteps(destination.url, outcomes);
        jsonOut(io, { source: source.url, destination: destination.url, dryRun, newRoot: !!newRootKey, repositories: outcomes, clients });
      } else report(io, destination.url, outcomes, dryRun, !!newRootKey);
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
