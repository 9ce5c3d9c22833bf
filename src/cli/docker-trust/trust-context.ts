/**
 * The docker-trust use cases' host, wired as docker wires its notary client
 * (`C:cli/trust/trust.go` `GetNotaryRepository`, spec §7.1): TLS files from
 * `$DOCKER_CONFIG/tls/<host:port>/` with docker's skip-verify rule, registry
 * credentials from the docker config, the trust dir `$DOCKER_CONFIG/trust`,
 * docker's passphrase variables, the dct config.
 */
import { join } from 'node:path';
import { FileChangelist } from '../../adapters/changelist/file-changelist.js';
import { dctConfigFile, loadDctConfig } from '../../adapters/client-config/dct-config.js';
import { dockerConfigDir } from '../../adapters/client-config/docker-config-file.js';
import { dockerCredentials } from '../../adapters/client-config/docker-credentials.js';
import { tlsFilesForHost, tlsSettingsFrom } from '../../adapters/client-config/docker-tls-files.js';
import { RegistryAuth } from '../../adapters/http/registry-auth.js';
import type { FileKeyStore } from '../../adapters/keystore/file-keystore.js';
import { FileMetadataCache, repositoryDir } from '../../adapters/metadata-cache.js';
import { NotaryClient } from '../../adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../adapters/notary-http/remote-repository.js';
import type { PassphraseSource } from '../../adapters/passphrase.js';
import { openTrustContext as openContext, type DockerTrustHost, type TrustContext } from '../../app/docker-trust/trust-context.js';
import type { ImportPassphrases } from '../../app/docker-trust/keys.js';
import type { HeldKey, KeyRing } from '../../core/ports.js';
import type { TrustIo } from './io.js';

export const USER_AGENT = 'dct (docker trust compatible)';

/** The docker config folder and trust dir of a command. */
export function dockerDirs(io: TrustIo): { configDir: string; trustDir: string } {
  const configDir = dockerConfigDir(io.env);
  return { configDir, trustDir: join(configDir, 'trust') };
}

export async function keyStoreOf(io: TrustIo): Promise<FileKeyStore> {
  const { FileKeyStore } = await import('../../adapters/keystore/file-keystore.js');
  return new FileKeyStore(dockerDirs(io).trustDir);
}

export async function passphrasesOf(io: TrustIo): Promise<PassphraseSource> {
  const { createPassphraseSource } = await import('../../adapters/passphrase.js');
  return createPassphraseSource({ mode: 'docker', env: io.env });
}

/** The trust dir's key ring, loaded when first used (reading trust data needs no keys). */
class LazyKeyRing implements KeyRing {
  private ring: Promise<KeyRing> | undefined;

  constructor(private readonly io: TrustIo) {}

  private get(): Promise<KeyRing> {
    return (this.ring ??= (async () => {
      const [{ FileKeyRing }, keyStore, passphrases] = await Promise.all([
        import('../../adapters/keystore/file-key-ring.js'),
        keyStoreOf(this.io),
        passphrasesOf(this.io),
      ]);
      return new FileKeyRing(keyStore, passphrases);
    })());
  }

  async list(): Promise<HeldKey[]> {
    return (await this.get()).list();
  }
  async has(keyId: string): Promise<boolean> {
    return (await this.get()).has(keyId);
  }
  async unlock(keyId: string) {
    return (await this.get()).unlock(keyId);
  }
  async generate(role: string, gun?: string) {
    return (await this.get()).generate(role, gun);
  }
}

/** The host of the docker-trust use cases for a command's environment. */
export function dockerTrustHost(io: TrustIo): DockerTrustHost {
  const { configDir, trustDir } = dockerDirs(io);
  return {
    env: io.env,
    now: () => io.now(),
    clientConfig: () => loadDctConfig(dctConfigFile(io.env)),
    credentials: (registry) => dockerCredentials(registry, { env: io.env, configDir, onWarning: (m) => io.err(`WARNING: ${m}\n`) }),
    async connect(server, credentials) {
      const tls = tlsSettingsFrom(await tlsFilesForHost(configDir, server.tlsHost), { rejectUnauthorized: !server.skipTlsVerify });
      const auth = new RegistryAuth({ credentials: () => credentials(), clientId: 'docker', userAgent: USER_AGENT });
      const client = new NotaryClient({ baseUrl: server.url, ...tls, auth, userAgent: USER_AGENT, timeoutMs: 30_000 });
      return {
        ping: () => client.ping(),
        repository: (gun) => new NotaryRemoteRepository(client, gun, server.url),
        close: () => client.close(),
      };
    },
    metadataCache: (gun) => new FileMetadataCache(trustDir, gun),
    changelist: (gun) => new FileChangelist(join(repositoryDir(trustDir, gun), 'changelist')),
    keyRing: () => new LazyKeyRing(io),
  };
}

/** The trust context of an image reference, for a command (warnings on its stderr). */
export function openTrustContext(io: TrustIo, original: string): Promise<TrustContext> {
  return openContext(dockerTrustHost(io), original, { onWarning: (text) => io.err(text) });
}

export type { TrustContext };

/** The passphrases of key import: docker's variables (or a prompt), and notary's way of unlocking an encrypted file. */
export async function importPassphrasesOf(io: TrustIo): Promise<ImportPassphrases> {
  const [source, { unlockWithPassphrase }] = await Promise.all([passphrasesOf(io), import('../../adapters/passphrase.js')]);
  return {
    get: (request) => source.get(request),
    canRetry: (request) => source.canRetry?.(request) ?? false,
    unlock: (request, unlock) => unlockWithPassphrase(source, request, unlock),
  };
}
