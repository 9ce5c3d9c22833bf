/** `dct server`: the Notary-compatible trust server. */
import { Command, Option } from 'commander';
import { loadConfig, parseListen, type ServerConfig } from '../../server/config.js';
import type { Output } from '../output.js';

const int = (v: string) => Number.parseInt(v, 10);

export function registerServerCommand(program: Command, out: Output): void {
  const server = program
    .command('server')
    .description('run the Notary v1 compatible trust server (SQLite by default, PostgreSQL for replicas)')
    .option('--config <file>', 'JSON config file (keys as the long flags in camelCase: listen, storage, tlsCert, …)')
    .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:4443)')
    .option(
      '--storage <url>',
      'sqlite:PATH (default sqlite:<data dir>/dct.db), sqlite::memory: or postgres://user@host:port/db[?schema=name]',
    )
    .option('--data-dir <dir>', 'folder for the SQLite file, self-signed TLS files and generated secrets (default .dct)')
    .option('--tls-cert <file>', 'TLS certificate (PEM, chain allowed)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--tls-self-signed', 'make a local CA and server certificate in the data folder once (the default without --tls-cert)')
    .option('--plain-http', 'serve plain HTTP (no TLS): only behind a TLS-terminating proxy')
    .option('--insecure-no-auth', 'accept unauthenticated writes on a non-loopback address')
    .option(
      '--auth-htpasswd <file>',
      'turn on docker registry token auth with the built-in token issuer; users in an htpasswd file (bcrypt: htpasswd -B)',
    )
    .option(
      '--auth-realm <url>',
      'token endpoint announced to clients (default <scheme>://<host the client used>/auth/token, the built-in issuer)',
    )
    .option('--auth-service <name>', 'token audience / service name (default dct)')
    .option('--auth-anonymous-pull', 'the built-in issuer grants pull on every repository to clients without credentials')
    .option('--auth-root-cert-bundle <file>', 'also accept tokens of an external issuer signed by these PEM certificates / public keys')
    .option(
      '--key-passphrase-env <name>',
      'environment variable with the passphrase encrypting server keys at rest (default DCT_SERVER_KEY_PASSPHRASE)',
    )
    .option('--signer-url <url>', 'use a remote `dct signer` (https://host:port) instead of the embedded key service')
    .option('--signer-cert <file>', 'client certificate for the remote signer (mutual TLS)')
    .option('--signer-key <file>', 'client key for the remote signer')
    .option('--signer-ca <file>', 'CA that signed the remote signer certificate')
    .option('--gun-prefix <prefix...>', 'serve only repositories whose names start with one of these (each ends with "/")')
    .option('--no-registry', 'do not serve the embedded registry (OCI distribution API) next to the trust API')
    .option(
      '--registry-name <host:port>',
      "the registry's public name: its images' GUNs are <name>/<repository> (default: the listen address)",
    )
    .option(
      '--policy <file>',
      'the pull gate judges every manifest GET/HEAD with this trust policy (dct policy check), reloaded when it changes',
    )
    .option(
      '--notation-config <dir>',
      "with --policy: notation's configuration directory for the trust stores rules name (default NOTATION_CONFIG)",
    )
    .option(
      '--cosign-trusted-root <file>',
      'with --policy: Sigstore trusted_root.json for keyless cosign rules (default: the one dct ships)',
    )
    .addOption(new Option('--max-body-bytes <n>', 'largest update request accepted').argParser(int))
    .addOption(new Option('--max-role-bytes <n>', 'largest metadata file accepted in an update').argParser(int))
    .addOption(new Option('--writes-per-second <n>', 'write requests per second per client address').argParser(int))
    .addOption(
      new Option(
        '--logins-per-second <n>',
        'failed logins per second per client address (IPv6: per /64) at the built-in token issuer (default 1, burst 10)',
      ).argParser(Number),
    )
    .option(
      '--allowed-host <name...>',
      'without auth: host names (besides loopback ones and the listen address) that clients may address writes to',
    )
    .option(
      '--trusted-proxy <address...>',
      'load balancers / reverse proxies (IP or CIDR) whose X-Forwarded-For names the client of the per-client limits',
    )
    .addOption(new Option('--request-timeout-ms <n>', 'time allowed to receive a request').argParser(int))
    .addOption(
      new Option(
        '--idle-timeout-ms <n>',
        'close a connection that sends and takes nothing this long, e.g. a stalled reader (default 120000)',
      ).argParser(int),
    )
    .addOption(new Option('--max-connections <n>', 'open connections per process (default 2048)').argParser(int))
    .addOption(
      new Option('--max-connections-per-client <n>', 'open connections per client address; trusted proxies exempt (default 128)').argParser(
        int,
      ),
    )
    .addOption(
      new Option(
        '--max-blob-bytes <n>',
        'largest blob the registry accepts, counted over the whole upload (default 10737418240 = 10 GiB)',
      ).argParser(int),
    )
    .addOption(new Option('--max-uploads-per-repository <n>', 'open registry upload sessions per repository (default 128)').argParser(int))
    .addOption(new Option('--max-uploads-per-client <n>', 'open registry upload sessions per client address (default 64)').argParser(int))
    .addOption(
      new Option(
        '--upload-expiry-ms <n>',
        'remove a registry upload session, and its bytes, after this long without data (default 900000 = 15 min)',
      ).argParser(int),
    )
    .addOption(
      new Option(
        '--cache-max-age-current <seconds>',
        'how long clients and proxies may cache <role>.json (notary caching.max_age.current_metadata; default 300, 0 = no caching)',
      ).argParser(int),
    )
    .addOption(
      new Option(
        '--cache-max-age-consistent <seconds>',
        'the same for metadata by checksum or version (consistent_metadata; default 2592000 = 30 days, at most a year)',
      ).argParser(int),
    )
    .addOption(
      new Option(
        '--read-cache-max-bytes <n>',
        'memory for prepared metadata responses, per process (default 33554432 = 32 MiB, about 29,000 timestamps; 0 = none)',
      ).argParser(int),
    )
    .addOption(
      new Option(
        '--dashboard-warn-days <n>',
        'the dashboard (/ui/) and its gauges: days ahead an expiry counts as expiring (default 14)',
      ).argParser(int),
    )
    .addOption(new Option('--workers <n>', 'processes serving requests on the one port (node cluster; default 1)').argParser(int))
    .option('--log-level <level>', 'trace, debug, info, warn or error (default info)')
    .addHelpText(
      'after',
      '\nEnvironment: DCT_LISTEN, DCT_STORAGE, DCT_DATA_DIR, DCT_TLS_CERT, DCT_TLS_KEY, DCT_TLS_SELF_SIGNED, DCT_PLAIN_HTTP,\n' +
        'DCT_INSECURE_NO_AUTH, DCT_SIGNER_URL, DCT_SIGNER_CERT, DCT_SIGNER_KEY, DCT_SIGNER_CA, DCT_LOG_LEVEL, DCT_AUTH_HTPASSWD,\n' +
        'DCT_AUTH_REALM, DCT_AUTH_SERVICE, DCT_AUTH_ISSUER, DCT_AUTH_RULES (JSON), DCT_AUTH_ANONYMOUS_PULL, DCT_AUTH_TOKEN_TTL_SECONDS,\n' +
        'DCT_AUTH_ROOT_CERT_BUNDLE, DCT_CACHE_MAX_AGE_CURRENT, DCT_CACHE_MAX_AGE_CONSISTENT, DCT_READ_CACHE_MAX_BYTES,\n' +
        'DCT_WRITES_PER_SECOND, DCT_WRITE_BURST, DCT_LOGINS_PER_SECOND, DCT_LOGIN_BURST, DCT_LOGIN_THREADS, DCT_LOGIN_QUEUE,\n' +
        'DCT_ALLOWED_HOSTS and DCT_TRUSTED_PROXIES (comma-separated), DCT_IDLE_TIMEOUT_MS, DCT_MAX_CONNECTIONS, DCT_MAX_CONNECTIONS_PER_CLIENT,\n' +
        'DCT_MAX_BLOB_BYTES, DCT_MAX_UPLOADS_PER_REPOSITORY, DCT_MAX_UPLOADS_PER_CLIENT, DCT_UPLOAD_EXPIRY_MS, DCT_POLICY,\n' +
        'DCT_NOTATION_CONFIG (else NOTATION_CONFIG), DCT_COSIGN_TRUSTED_ROOT, DCT_DASHBOARD_WARN_DAYS, and the key passphrase variable\n' +
        '(DCT_SERVER_KEY_PASSPHRASE). Flags win over the environment,\n' +
        'which wins over the config file.\n' +
        '\nAuthentication: without auth settings every client may read and write, so the server listens only on loopback\n' +
        'addresses and refuses --trusted-proxy unless --insecure-no-auth is given; writes must then name this server in\n' +
        'Host (loopback names, the listen address, registryName, --allowed-host / DCT_ALLOWED_HOSTS) and come from no\n' +
        'cross-site web page.\n' +
        'With --auth-htpasswd FILE clients authenticate as with a docker registry:\n' +
        'GET /v2/ answers 401 with a Bearer challenge, clients fetch a token from GET /auth/token with Basic credentials\n' +
        '(notary: NOTARY_AUTH=base64(user:pass); docker: the "auths" entry of the GUN\'s registry host in config.json) and\n' +
        'send it as "Authorization: Bearer …". Reads need pull, publishing and GET of server keys push+pull, deletion and\n' +
        'server key rotation "*", the global changefeed registry:catalog:*. Health and metrics stay open. In the config file:\n' +
        '  "authRules": [{"user": "ci", "repositories": "registry.example.com/team/*", "actions": ["push", "pull"]},\n' +
        '                {"user": "*", "repositories": "*", "actions": ["pull"]}]\n' +
        '("*" user = any authenticated user; "*" in repositories matches any characters, "${user}" the user name; grants add\n' +
        'up; without authRules every user may do everything, which a pull gate refuses), "authIssuer" (default dct),\n' +
        '"authTokenTtlSeconds" (default 300). Passwords are checked on "loginThreads" (DCT_LOGIN_THREADS) worker threads,\n' +
        'at most "loginQueue" (DCT_LOGIN_QUEUE) waiting (more: 503); failed logins are limited per client address, IPv6 per\n' +
        '/64 (--logins-per-second / DCT_LOGINS_PER_SECOND, "loginBurst" / DCT_LOGIN_BURST).\n' +
        'Tokens are ES256 JWTs signed with <data-dir>/auth/token-signing.key (made once); token-signing.crt beside it lets\n' +
        "other services (e.g. a docker registry's auth.token.rootcertbundle) accept them.\n" +
        '\nEmbedded registry (on by default; --no-registry turns it off): the OCI distribution API on the same port\n' +
        '(/v2/<name>/blobs|manifests|tags|referrers/…), blobs under <data-dir>/registry, scopes repository:<name>:pull|push|delete.\n' +
        'Images are named <registry name>/<name>, which is also their GUN. The pull gate serves manifests only when signed:\n' +
        '  "pullGate": [{"repositories": "registry.example.com/prod/*", "signers": ["alice"], "allowDigests": false}]\n' +
        'or, with --policy FILE (not both), by the trust policy in every format (DCT, cosign, Notation), as dct policy explain judges.\n' +
        '`dct server gc` removes unreferenced blobs and untagged manifests (never signed ones).\n',
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
        loginsPerSecond: 'loginsPerSecond',
        allowedHost: 'allowedHosts',
        writesPerSecond: 'writesPerSecond',
        trustedProxy: 'trustedProxies',
        requestTimeoutMs: 'requestTimeoutMs',
        idleTimeoutMs: 'idleTimeoutMs',
        maxConnections: 'maxConnections',
        maxConnectionsPerClient: 'maxConnectionsPerClient',
        maxBlobBytes: 'maxBlobBytes',
        maxUploadsPerRepository: 'maxUploadsPerRepository',
        maxUploadsPerClient: 'maxUploadsPerClient',
        uploadExpiryMs: 'uploadExpiryMs',
        cacheMaxAgeCurrent: 'cacheMaxAgeCurrent',
        cacheMaxAgeConsistent: 'cacheMaxAgeConsistent',
        readCacheMaxBytes: 'readCacheMaxBytes',
        logLevel: 'logLevel',
        workers: 'workers',
        authHtpasswd: 'authHtpasswd',
        authRealm: 'authRealm',
        authService: 'authService',
        authAnonymousPull: 'authAnonymousPull',
        authRootCertBundle: 'authRootCertBundle',
        registryName: 'registryName',
        policy: 'policy',
        notationConfig: 'notationConfig',
        cosignTrustedRoot: 'cosignTrustedRoot',
        dashboardWarnDays: 'dashboardWarnDays',
      };
      for (const [flag, key] of Object.entries(map)) if (opts[flag] !== undefined) (flags as Record<string, unknown>)[key] = opts[flag];
      // commander sets registry=true unless --no-registry: only the flag itself may override the config file
      if (opts['registry'] === false) flags.registry = false;
      const config = loadConfig({ ...(typeof opts['config'] === 'string' ? { file: opts['config'] } : {}), env: process.env, flags });
      // loaded here, not at start: the client commands must not pay for the server's modules
      const { destination, pino } = await import('pino');
      const { isClusterWorker, startClusterPrimary, startClusterWorker } = await import('../../server/cluster.js');
      const { startServer } = await import('../../server/start-server.js');
      const log = pino({ level: config.logLevel }, destination(2));
      if (config.workers > 1 && isClusterWorker()) {
        const worker = await startClusterWorker(config, process.env, log);
        await untilSignal();
        await worker.close();
        process.disconnect?.(); // the IPC channel to the primary would keep this process alive
        return;
      }
      const running =
        config.workers > 1 ? await startClusterPrimary(config, process.env, log) : await startServer(config, process.env, log);
      const { port } = parseListen(config.listen);
      out.text(`dct server listening on ${running.url}\n`);
      if (running.registry)
        out.text(`registry: ${running.registry.name} (images ${running.registry.name}/<name>, trust server ${running.url})\n`);
      if (running.auth) {
        const realm = config.authRealm ?? `${new URL(running.url).protocol}//<the host:port clients use>/auth/token`;
        out.text(
          `token auth: service ${running.auth.service}, realm ${realm}${config.authHtpasswd ? `, users in ${config.authHtpasswd}` : ''}\n`,
        );
      }
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
      await untilSignal();
      await running.close();
    });

  server
    .command('gc')
    .description(
      'garbage-collect the embedded registry: unreferenced blobs, untagged manifests and abandoned uploads older than the grace period (never a signed manifest)',
    )
    .option('--config <file>', "the server's JSON config file")
    .option('--storage <url>', "the server's storage (default sqlite:<data dir>/dct.db)")
    .option('--data-dir <dir>', "the server's data folder (default .dct)")
    .option('--registry-name <host:port>', "the registry's public name (default: the configured one, else the listen address)")
    .option('--grace <duration>', 'keep anything pushed more recently than this (e.g. 30m, 2h, 1d)', '1h')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: Record<string, unknown>) => {
      const flags: Partial<ServerConfig> = {};
      if (typeof opts['storage'] === 'string') flags.storage = opts['storage'];
      if (typeof opts['dataDir'] === 'string') flags.dataDir = opts['dataDir'];
      if (typeof opts['registryName'] === 'string') flags.registryName = opts['registryName'];
      const config = loadConfig({ ...(typeof opts['config'] === 'string' ? { file: opts['config'] } : {}), env: process.env, flags });
      const { formatGcReport, parseDuration, runGarbageCollection } = await import('../../server/registry/gc-command.js');
      const dryRun = opts['dryRun'] === true;
      const report = await runGarbageCollection(config, { graceMs: parseDuration(String(opts['grace'])), dryRun });
      if (opts['format'] === 'json') out.json({ dryRun, ...report });
      else out.text(formatGcReport(report, dryRun));
    });
}

/** Resolves at the first SIGINT or SIGTERM (graceful shutdown). */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
