/** `dct server`: the Notary-compatible trust server. */
import { Command, Option } from 'commander';
import { loadConfig, parseListen, type ServerConfig } from '../../server/config.js';
import { startServer } from '../../server/start-server.js';
import type { Output } from '../output.js';

const int = (v: string) => Number.parseInt(v, 10);

export function registerServerCommand(program: Command, out: Output): void {
  program
    .command('server')
    .description('run the Notary v1 compatible trust server (SQLite by default, PostgreSQL for replicas)')
    .option('--config <file>', 'JSON config file (keys as the long flags in camelCase: listen, storage, tlsCert, …)')
    .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:4443)')
    .option('--storage <url>', 'sqlite:PATH (default sqlite:.dct/dct.db), sqlite::memory: or postgres://user@host:port/db[?schema=name]')
    .option('--data-dir <dir>', 'folder for the SQLite file, self-signed TLS files and generated secrets (default .dct)')
    .option('--tls-cert <file>', 'TLS certificate (PEM, chain allowed)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--tls-self-signed', 'make a local CA and server certificate in the data folder once (the default without --tls-cert)')
    .option('--plain-http', 'serve plain HTTP (no TLS): only behind a TLS-terminating proxy')
    .option('--insecure-no-auth', 'accept unauthenticated writes on a non-loopback address')
    .option('--key-passphrase-env <name>', 'environment variable with the passphrase encrypting server keys at rest (default DCT_SERVER_KEY_PASSPHRASE)')
    .option('--signer-url <url>', 'use a remote `dct signer` (https://host:port) instead of the embedded key service')
    .option('--signer-cert <file>', 'client certificate for the remote signer (mutual TLS)')
    .option('--signer-key <file>', 'client key for the remote signer')
    .option('--signer-ca <file>', 'CA that signed the remote signer certificate')
    .option('--gun-prefix <prefix...>', 'serve only repositories whose names start with one of these (each ends with "/")')
    .addOption(new Option('--max-body-bytes <n>', 'largest update request accepted').argParser(int))
    .addOption(new Option('--max-role-bytes <n>', 'largest metadata file accepted in an update').argParser(int))
    .addOption(new Option('--writes-per-second <n>', 'write requests per second per client address').argParser(int))
    .addOption(new Option('--request-timeout-ms <n>', 'time allowed to receive a request').argParser(int))
    .option('--log-level <level>', 'trace, debug, info, warn or error (default info)')
    .addHelpText(
      'after',
      '\nEnvironment: DCT_LISTEN, DCT_STORAGE, DCT_DATA_DIR, DCT_TLS_CERT, DCT_TLS_KEY, DCT_TLS_SELF_SIGNED, DCT_PLAIN_HTTP,\n' +
        'DCT_INSECURE_NO_AUTH, DCT_SIGNER_URL, DCT_SIGNER_CERT, DCT_SIGNER_KEY, DCT_SIGNER_CA, DCT_LOG_LEVEL, and the key passphrase\n' +
        'variable (DCT_SERVER_KEY_PASSPHRASE). Flags win over the environment, which wins over the config file.\n',
    )
    .action(async (opts: Record<string, unknown>) => {
      const flags: Partial<ServerConfig> = {};
      const map: Record<string, keyof ServerConfig> = {
        listen: 'listen',
        storage: 'storage',
        dataDir: 'dataDir',
        tlsCert: 'tlsCert',
        tlsKey: 'tlsKey',
        tlsSelfSigned: 'tlsSelfSigned',
        plainHttp: 'plainHttp',
        insecureNoAuth: 'insecureNoAuth',
        keyPassphraseEnv: 'keyPassphraseEnv',
        signerUrl: 'signerUrl',
        signerCert: 'signerCert',
        signerKey: 'signerKey',
        signerCa: 'signerCa',
        gunPrefix: 'gunPrefixes',
        maxBodyBytes: 'maxBodyBytes',
        maxRoleBytes: 'maxRoleBytes',
        writesPerSecond: 'writesPerSecond',
        requestTimeoutMs: 'requestTimeoutMs',
        logLevel: 'logLevel',
      };
      for (const [flag, key] of Object.entries(map)) if (opts[flag] !== undefined) (flags as Record<string, unknown>)[key] = opts[flag];
      const config = loadConfig({ ...(typeof opts['config'] === 'string' ? { file: opts['config'] } : {}), env: process.env, flags });
      const running = await startServer(config, process.env);
      const { port } = parseListen(config.listen);
      out.text(`dct server listening on ${running.url}\n`);
      if (running.caFile) {
        out.text(
          `\nTLS: self-signed; clients must trust ${running.caFile}\n` +
            `  notary:  notary -s ${running.url} --tlscacert ${running.caFile} …\n` +
            `  docker:  export DOCKER_CONTENT_TRUST_SERVER=${running.url}\n` +
            `           mkdir -p ~/.docker/tls/127.0.0.1:${port} && cp ${running.caFile} ~/.docker/tls/127.0.0.1:${port}/ca.crt\n` +
            `  node:    export NODE_EXTRA_CA_CERTS=${running.caFile}\n`,
        );
      } else {
        out.text(`\n  notary:  notary -s ${running.url} …\n  docker:  export DOCKER_CONTENT_TRUST_SERVER=${running.url}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void running.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
