/**
 * `dct signer`: the remote key service (notary-signer's role). Holds the trust
 * server's timestamp and snapshot keys, encrypted in its own database, and signs
 * for trust servers that present a client certificate from `--tls-client-ca`.
 * Runs until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  EmbeddedKeyService,
  GENERATED_KEY_ALGORITHMS,
  type GeneratedKeyAlgorithm,
} from '../../adapters/key-service/embedded-key-service.js';
import { DctError } from '../../core/errors.js';
import type { RunningSignerService } from '../../signer/signer-service.js';
import type { Output } from '../output.js';

export const DEFAULT_SIGNER_PASSPHRASE_ENV = 'DCT_SIGNER_PASSPHRASE';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface SignerOptions {
  listen: string;
  storage: string;
  tlsCert: string;
  tlsKey: string;
  tlsClientCa: string;
  passphraseEnv: string;
  defaultAlgorithm: string;
  allowedClient?: string[];
}

/** comma-separated allowlist entries, used when --allowed-client is not given */
export const ALLOWED_CLIENTS_ENV = 'DCT_SIGNER_ALLOWED_CLIENTS';

export function registerSignerCommand(program: Command, out: Output, env: Record<string, string | undefined> = process.env): void {
  program
    .command('signer')
    .description(
      'run the remote key service: keeps the server-managed timestamp and snapshot keys (encrypted at rest) ' +
        'and signs for trust servers over mutual TLS; runs until SIGINT/SIGTERM',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7899')
    .requiredOption('--storage <url>', 'key database: sqlite:PATH or postgres://…')
    .requiredOption('--tls-cert <file>', "this service's certificate (PEM, chain allowed)")
    .requiredOption('--tls-key <file>', "this service's private key (PEM)")
    .requiredOption('--tls-client-ca <file>', "CA certificate(s) that issue the trust servers' client certificates (PEM)")
    .option('--passphrase-env <name>', 'environment variable holding the passphrase that encrypts the keys', DEFAULT_SIGNER_PASSPHRASE_ENV)
    .option(
      '--allowed-client <entry...>',
      `serve only these client certificates of the CA: SHA-256 fingerprints (sha256:<hex>) or SANs (DNS:name, IP:addr, URI:uri, email:addr); default $${ALLOWED_CLIENTS_ENV} (comma-separated), else every certificate the CA issued`,
    )
    .option(
      '--default-algorithm <algorithm>',
      `key algorithm when a server asks for none: ${GENERATED_KEY_ALGORITHMS.join(' or ')}`,
      'ecdsa',
    )
    .action(async (opts: SignerOptions) => {
      const { host, port } = parseListen(opts.listen);
      const defaultAlgorithm = parseAlgorithm(opts.defaultAlgorithm);
      const passphrase = passphraseFrom(env, opts.passphraseEnv);
      const allowedClients =
        opts.allowedClient ??
        (env[ALLOWED_CLIENTS_ENV] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      const [cert, key, ca] = await Promise.all([readPem(opts.tlsCert), readPem(opts.tlsKey), readPem(opts.tlsClientCa)]);

      const { openStore } = await import('../../adapters/storage/open-store.js');
      const { startSignerService } = await import('../../signer/signer-service.js');
      const store = await openStore(opts.storage);
      let service: RunningSignerService;
      try {
        const keyService = new EmbeddedKeyService({ store, passphrase, now: () => new Date(), defaultAlgorithm });
        service = await startSignerService({
          host,
          port,
          tls: { cert, key, ca },
          keyService,
          allowedClients,
          onRefusedClient: (message) => out.warn(`signer: ${message}`),
          onError: (err) => out.warn(`signer: unexpected error: ${err instanceof Error ? err.message : String(err)}`),
        });
      } catch (err) {
        await store.close();
        throw err;
      }
      out.text(`dct signer listening on ${service.url}\n`);

      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      try {
        await service.close();
      } finally {
        await store.close();
      }
      out.text('dct signer stopped\n');
    });
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new DctError('INVALID_ARGUMENT', `--listen must be HOST:PORT (e.g. 0.0.0.0:7899 or [::1]:7899), not ${JSON.stringify(listen)}`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

function parseAlgorithm(value: string): GeneratedKeyAlgorithm {
  if ((GENERATED_KEY_ALGORITHMS as readonly string[]).includes(value)) return value as GeneratedKeyAlgorithm;
  throw new DctError(
    'INVALID_ARGUMENT',
    `--default-algorithm must be ${GENERATED_KEY_ALGORITHMS.join(' or ')}, not ${JSON.stringify(value)}`,
  );
}

function passphraseFrom(env: Record<string, string | undefined>, name: string): string {
  if (!ENV_NAME.test(name))
    throw new DctError('INVALID_ARGUMENT', `--passphrase-env must name an environment variable, not ${JSON.stringify(name)}`);
  const passphrase = env[name];
  if (!passphrase) {
    throw new DctError(
      'PASSPHRASE_REQUIRED',
      `set ${name} to the passphrase that encrypts the signer's keys (the signer does not start without one)`,
    );
  }
  return passphrase;
}

async function readPem(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new DctError('FILE_NOT_READABLE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}
