import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  authConfigKey,
  convertToHostname,
  credentialsFromHelper,
  dctConfigFile,
  dockerConfigDir,
  dockerCredentials,
  DOCKER_HUB_AUTH_KEY,
  isInsecureRegistry,
  loadDctConfig,
  loadDockerConfig,
  parseDctConfig,
  parseDockerConfig,
  tlsFilesForHost,
  tlsSettingsFrom,
  type HelperRunner,
} from '../../src/adapters/docker-config.js';
import { ensureSelfSignedTls } from '../../src/adapters/tls/self-signed.js';
import { isDctError } from '../../src/core/errors.js';
import { createCertificate, extension, OID } from '../../src/core/keys/certificate.js';
import { der } from '../../src/core/der.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'dct-docker-config-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function configDir(name: string, config: unknown): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

/** a helper runner that records calls and answers from a table */
function fakeHelpers(table: Record<string, Record<string, { code?: number; stdout: string }>>): HelperRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (program: string, args: readonly string[], input: string) => {
    calls.push(`${program} ${args.join(' ')} <${input}`);
    const answer = table[program]?.[input];
    if (!answer) return { code: 1, stdout: 'credentials not found in native keychain\n' };
    return { code: answer.code ?? 0, stdout: answer.stdout };
  }) as HelperRunner & { calls: string[] };
  run.calls = calls;
  return run;
}

describe('docker config.json', () => {
  it('finds the folder as docker does', () => {
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/x/y' }), '/x/y');
    assert.match(dockerConfigDir({}), /\.docker$/);
    assert.equal(dctConfigFile({ DCT_CONFIG: '/etc/dct.json' }), '/etc/dct.json');
    assert.match(dctConfigFile({}), /\.dct\/config\.json$/);
  });

  it('decodes auths: auth (base64 user:pass) wins over username/password; identity tokens; Go-style case-insensitive names', () => {
    const c = parseDockerConfig(
      JSON.stringify({
        Auths: {
          'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass\u0000') },
          'registry.example.com': { Username: 'u', Password: 'p' },
          'both.example.com': { auth: b64('fromauth:pw'), username: 'ignored', password: 'ignored' },
          'token.example.com': { identitytoken: 'refresh-123' },
          'empty.example.com': {},
        },
        credsStore: 'desktop',
        credHelpers: { 'gcr.io': 'gcloud' },
        otherSettings: { x: 1 },
      }),
    );
    assert.deepEqual(c.auths[DOCKER_HUB_AUTH_KEY], { username: 'hubuser', password: 'hub:pass' });
    assert.deepEqual(c.auths['registry.example.com'], { username: 'u', password: 'p' });
    assert.deepEqual(c.auths['both.example.com'], { username: 'fromauth', password: 'pw' });
    assert.deepEqual(c.auths['token.example.com'], { identityToken: 'refresh-123' });
    assert.deepEqual(c.auths['empty.example.com'], {});
    assert.equal(c.credsStore, 'desktop');
    assert.deepEqual(c.credHelpers, { 'gcr.io': 'gcloud' });
  });

  it('refuses malformed files with INVALID_DOCKER_CONFIG naming the file, never echoing a secret', () => {
    const refused = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parseDockerConfig(text, '/home/u/.docker/config.json'),
        (err: unknown) =>
          isDctError(err, 'INVALID_DOCKER_CONFIG') && err.message.includes('/home/u/.docker/config.json') && pattern.test(err.message),
      );
    refused('{"auths": ', /JSON|Unexpected end/);
    refused('[]', /not a JSON object/);
    refused('{"auths": "x"}', /"auths" is not an object/);
    refused(`{"auths": {"r": {"auth": "${b64('nocolon')}"}}}`, /Invalid auth configuration file/);
    refused(`{"auths": {"r": {"auth": "${b64(':pw-secret')}"}}}`, /Invalid auth configuration file/);
    refused('{"auths": {"r": {"auth": "not base64!"}}}', /Invalid auth configuration file/);
    refused('{"auths": {"r": {"password": 5}}}', /password is not a string/);
    refused('{"credHelpers": {"r": 1}}', /credHelpers/);
    assert.throws(
      () => parseDockerConfig(`{"auths": {"r": {"auth": "${b64('u:sekrit-value')}x"}}}`),
      (err: unknown) => isDctError(err) && !err.message.includes('sekrit'),
    );
  });

  it('a missing config.json is an empty config; an empty file too', async () => {
    const c = await loadDockerConfig(join(work, 'nowhere'));
    assert.equal(c.exists, false);
    assert.deepEqual(c.auths, {});
    const empty = await loadDockerConfig(configDir('empty', ''));
    assert.equal(empty.exists, true);
  });

  it("the lookup key: Docker Hub's index URL, else the registry host", () => {
    assert.equal(authConfigKey('docker.io'), 'https://index.docker.io/v1/');
    assert.equal(authConfigKey('index.docker.io'), 'https://index.docker.io/v1/');
    assert.equal(authConfigKey('127.0.0.1:5000'), '127.0.0.1:5000');
    assert.equal(convertToHostname('https://registry.example.com/v2/'), 'registry.example.com');
    assert.equal(convertToHostname('http://Registry.Example.com:5000'), 'Registry.Example.com:5000');
    assert.equal(convertToHostname('https://u:p@h.example:443/x'), 'h.example:443');
    assert.equal(convertToHostname('https://[::1]:5000/v1/'), '[::1]:5000');
    assert.equal(convertToHostname('registry.example.com/v1/'), 'registry.example.com');
    assert.equal(convertToHostname('registry.example.com'), 'registry.example.com');
  });
});

describe('dockerCredentials', () => {
  it('reads auths entries by exact key, else by a key whose host matches (scheme, trailing path)', async () => {
    const dir = configDir('auths', {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
        'https://registry.example.com/v2/': { auth: b64('ex:expw') },
        'http://127.0.0.1:5000': { username: 'local', password: 'localpw' },
        'tokens.example.com': { identitytoken: 'idt' },
        'docker.io': { auth: b64('wrong:key') },
        'half.example.com': { username: 'nopassword' },
      },
    });
    const get = (r: string) => dockerCredentials(r, { configDir: dir, env: {}, detectDefaultStore: false });
    assert.deepEqual(await get('docker.io'), { username: 'hub', password: 'hubpw' });
    assert.deepEqual(await get('registry.example.com'), { username: 'ex', password: 'expw' });
    assert.deepEqual(await get('127.0.0.1:5000'), { username: 'local', password: 'localpw' });
    assert.deepEqual(await get('tokens.example.com'), { identityToken: 'idt' });
    assert.equal(await get('half.example.com'), undefined);
    assert.equal(await get('unknown.example.com'), undefined);
    // the port is part of the host: 127.0.0.1 alone is another registry
    assert.equal(await get('127.0.0.1'), undefined);
  });

  it('credHelpers for the key win over credsStore; "<token>" means an identity token; not found = anonymous', async () => {
    const dir = configDir('helpers', {
      auths: { 'registry.example.com': { username: 'file', password: 'filepw' } },
      credsStore: 'store',
      credHelpers: { 'gcr.example.com': 'gcr', [DOCKER_HUB_AUTH_KEY]: 'hubhelper' },
    });
    const run = fakeHelpers({
      'docker-credential-store': {
        'registry.example.com': { stdout: '{"ServerURL":"registry.example.com","Username":"alice","Secret":"s1"}' },
      },
      'docker-credential-gcr': { 'gcr.example.com': { stdout: '{"ServerURL":"gcr.example.com","Username":"<token>","Secret":"refresh"}' } },
      'docker-credential-hubhelper': { [DOCKER_HUB_AUTH_KEY]: { stdout: '{"username":"bob","secret":"s2"}' } },
    });
    const warnings: string[] = [];
    const opts = { configDir: dir, env: {}, runHelper: run, onWarning: (m: string) => warnings.push(m) };
    assert.deepEqual(await dockerCredentials('registry.example.com', opts), { username: 'alice', password: 's1' });
    assert.deepEqual(await dockerCredentials('gcr.example.com', opts), { identityToken: 'refresh' });
    assert.deepEqual(await dockerCredentials('docker.io', opts), { username: 'bob', password: 's2' });
    // with a helper, the file's password is not used
    assert.equal(await dockerCredentials('other.example.com', opts), undefined);
    assert.deepEqual(run.calls, [
      'docker-credential-store get <registry.example.com',
      'docker-credential-gcr get <gcr.example.com',
      'docker-credential-hubhelper get <https://index.docker.io/v1/',
      'docker-credential-store get <other.example.com',
    ]);
    // "credentials not found in native keychain" is no failure
    assert.deepEqual(warnings, []);
    assert.equal(await credentialsFromHelper('store', 'nothing.example.com', { runHelper: run }), undefined);
  });

  it('a failing helper is a warning, and the file entry is used as docker does', async () => {
    const dir = configDir('failing', { auths: { 'r.example.com': { auth: b64('file:filepw') } }, credsStore: 'broken' });
    const warnings: string[] = [];
    const run = fakeHelpers({ 'docker-credential-broken': { 'r.example.com': { code: 1, stdout: 'keychain locked' } } });
    const got = await dockerCredentials('r.example.com', { configDir: dir, env: {}, runHelper: run, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(got, { username: 'file', password: 'filepw' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /docker-credential-broken \(exit status 1\): keychain locked/);
  });

  it('credentialsFromHelper: errors are CREDENTIAL_HELPER_FAILED and never quote JSON output', async () => {
    const run = fakeHelpers({
      'docker-credential-x': {
        bad: { code: 3, stdout: '{"Username":"u","Secret":"leaked-secret"}' },
        notjson: { stdout: 'hello' },
        empty: { stdout: '{"Username":"","Secret":""}' },
      },
    });
    await assert.rejects(
      credentialsFromHelper('x', 'bad', { runHelper: run }),
      (err: unknown) => isDctError(err, 'CREDENTIAL_HELPER_FAILED') && !err.message.includes('leaked'),
    );
    await assert.rejects(credentialsFromHelper('x', 'notjson', { runHelper: run }), (err: unknown) =>
      isDctError(err, 'CREDENTIAL_HELPER_FAILED'),
    );
    assert.equal(await credentialsFromHelper('x', 'empty', { runHelper: run }), undefined);
    await assert.rejects(credentialsFromHelper('../evil', 'r', { runHelper: run }), (err: unknown) =>
      isDctError(err, 'CREDENTIAL_HELPER_FAILED'),
    );
  });

  it('runs a real docker-credential-<name> program from PATH, server address on stdin', async () => {
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-dcttest');
    writeFileSync(
      helper,
      '#!/bin/sh\n[ "$1" = get ] || exit 2\nread -r server || true\ncase "$server" in\n' +
        '  registry.example.com) printf \'{"ServerURL":"%s","Username":"carol","Secret":"pw with spaces"}\' "$server" ;;\n' +
        '  *) echo "credentials not found in native keychain"; exit 1 ;;\nesac\n',
    );
    chmodSync(helper, 0o755);
    const dir = configDir('realhelper', { credsStore: 'dcttest' });
    const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    assert.deepEqual(await dockerCredentials('registry.example.com', { configDir: dir, env }), {
      username: 'carol',
      password: 'pw with spaces',
    });
    assert.equal(await dockerCredentials('other.example.com', { configDir: dir, env }), undefined);
    const warnings: string[] = [];
    const missing = configDir('missinghelper', { credsStore: 'nosuchhelper' });
    assert.equal(
      await dockerCredentials('registry.example.com', { configDir: missing, env, onWarning: (m) => warnings.push(m) }),
      undefined,
    );
    assert.match(warnings[0] as string, /docker-credential-nosuchhelper.*not found/);
  });

  it(
    "without any credentials in config.json, docker's platform default helper is used when installed",
    { skip: process.platform !== 'linux' },
    async () => {
      const bin = join(work, 'defaultbin');
      mkdirSync(bin, { recursive: true });
      for (const name of ['pass', 'docker-credential-pass']) {
        writeFileSync(
          join(bin, name),
          name === 'pass' ? '#!/bin/sh\nexit 0\n' : '#!/bin/sh\nprintf \'{"Username":"dave","Secret":"fromdefault"}\'\n',
        );
        chmodSync(join(bin, name), 0o755);
      }
      const dir = configDir('nodefault', { auths: {} });
      assert.deepEqual(await dockerCredentials('r.example.com', { configDir: dir, env: { PATH: bin } }), {
        username: 'dave',
        password: 'fromdefault',
      });
      // with credentials in the file the default store is not looked for
      const withAuth = configDir('withauth', { auths: { 'r.example.com': { auth: b64('file:pw') } } });
      assert.deepEqual(await dockerCredentials('r.example.com', { configDir: withAuth, env: { PATH: bin } }), {
        username: 'file',
        password: 'pw',
      });
      assert.equal(await dockerCredentials('r.example.com', { configDir: dir, env: { PATH: bin }, detectDefaultStore: false }), undefined);
    },
  );

  it('DOCKER_AUTH_CONFIG comes first; a bad value is a warning', async () => {
    const dir = configDir('envcfg', { auths: { 'r.example.com': { auth: b64('file:pw') } } });
    const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'r.example.com': { auth: b64('env:envpw') } } }) };
    assert.deepEqual(await dockerCredentials('r.example.com', { configDir: dir, env }), { username: 'env', password: 'envpw' });
    const warnings: string[] = [];
    const badEnv = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: {}, extra: 1 }) };
    assert.deepEqual(await dockerCredentials('r.example.com', { configDir: dir, env: badEnv, onWarning: (m) => warnings.push(m) }), {
      username: 'file',
      password: 'pw',
    });
    assert.match(warnings[0] as string, /DOCKER_AUTH_CONFIG: json: unknown field "extra"/);
  });
});

// ---- TLS folder ----------------------------------------------------------------------------------

function clientPair(): { cert: string; key: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const cert = createCertificate({
    commonName: 'client',
    publicKey: pair.publicKey,
    signingKey: pair.privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 3600_000),
    serial: randomBytes(8),
    extensions: [extension(OID.basicConstraints, true, der.sequence())],
  });
  return { cert, key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
}

describe('tlsFilesForHost', () => {
  it('reads *.crt CAs (skipping blocks that do not parse) and *.cert/*.key pairs', async () => {
    const tls = await ensureSelfSignedTls(join(work, 'ca1'), ['127.0.0.1']);
    const ca = (await import('node:fs')).readFileSync(tls.caFile, 'utf8');
    const dir = join(work, 'dc1', 'tls', 'notary.example.com:4443');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.crt'), `${ca}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    writeFileSync(join(dir, 'readme.txt'), 'ignored');
    const pair = clientPair();
    writeFileSync(join(dir, 'client.cert'), pair.cert);
    writeFileSync(join(dir, 'client.key'), pair.key);
    const files = await tlsFilesForHost(join(work, 'dc1'), 'notary.example.com:4443');
    assert.equal(files.dir, dir);
    assert.equal(files.ca.length, 1);
    assert.equal(files.ca[0]?.trim(), ca.trim());
    assert.deepEqual(files.caFiles, [join(dir, 'ca.crt')]);
    assert.equal(files.clientCertificates.length, 1);
    assert.equal(files.clientCertificates[0]?.cert, pair.cert);
    const settings = tlsSettingsFrom(files);
    // docker adds them to the system pool: extraCa, never `ca` (which would replace the roots)
    assert.deepEqual(settings.extraCa, files.ca);
    assert.equal(settings.ca, undefined);
    assert.equal(settings.key, pair.key);
    assert.equal(settings.rejectUnauthorized, undefined);
    assert.equal(tlsSettingsFrom(files, { rejectUnauthorized: false }).rejectUnauthorized, false);
  });

  it('a missing folder gives nothing; unmatched .cert/.key and bad pairs are INVALID_TLS_FILES', async () => {
    const none = await tlsFilesForHost(join(work, 'nothing'), 'h:1');
    assert.deepEqual([none.ca, none.clientCertificates], [[], []]);
    assert.deepEqual(tlsSettingsFrom(none), {});
    const base = join(work, 'dc2');
    const mk = (host: string, files: Record<string, string>) => {
      mkdirSync(join(base, 'tls', host), { recursive: true });
      for (const [n, t] of Object.entries(files)) writeFileSync(join(base, 'tls', host, n), t);
    };
    const a = clientPair();
    const b = clientPair();
    mk('nokey', { 'client.cert': a.cert });
    mk('nocert', { 'client.key': a.key });
    mk('mismatch', { 'client.cert': a.cert, 'client.key': b.key });
    mk('garbage', { 'client.cert': 'nope', 'client.key': a.key });
    const refused = (host: string, pattern: RegExp) =>
      assert.rejects(tlsFilesForHost(base, host), (err: unknown) => isDctError(err, 'INVALID_TLS_FILES') && pattern.test(err.message));
    await refused('nokey', /missing key client\.key for client certificate client\.cert\. CA certificates must use the extension \.crt/);
    await refused('nocert', /missing client certificate client\.cert for key client\.key/);
    await refused('mismatch', /does not match/);
    await refused('garbage', /not a PEM certificate/);
    await assert.rejects(tlsFilesForHost(base, '../etc'), (err: unknown) => isDctError(err, 'INVALID_ARGUMENT'));
  });
});

// ---- dct config --------------------------------------------------------------------------------

describe('dct client config', () => {
  it('reads trust servers and insecure registries', async () => {
    const file = join(work, 'dct.json');
    writeFileSync(
      file,
      JSON.stringify({
        trust: { servers: { 'registry.example.com:5000': 'https://trust.example.com', 'docker.io': 'https://notary.mirror.example/' } },
        insecureRegistries: ['http://10.1.2.3:5000', 'plain.example', '192.168.0.0/16', 'fd00::/8', '[::1]:5000'],
        somethingElse: true,
      }),
    );
    const c = await loadDctConfig(file);
    assert.equal(c.exists, true);
    assert.deepEqual(c.trustServers, {
      'registry.example.com:5000': 'https://trust.example.com',
      'docker.io': 'https://notary.mirror.example/',
    });
    assert.deepEqual(c.insecureRegistries, ['10.1.2.3:5000', 'plain.example', '192.168.0.0/16', 'fd00::/8', '[::1]:5000']);
    assert.equal(isInsecureRegistry('10.1.2.3:5000', c), true);
    assert.equal(isInsecureRegistry('10.1.2.3:5001', c), false);
    assert.equal(isInsecureRegistry('PLAIN.example', c), true);
    assert.equal(isInsecureRegistry('192.168.7.7:443', c), true);
    assert.equal(isInsecureRegistry('[::ffff:192.168.1.1]:5000', c), true);
    assert.equal(isInsecureRegistry('[fd12::1]:5000', c), true);
    assert.equal(isInsecureRegistry('192.169.0.1', c), false);
    assert.equal(isInsecureRegistry('registry.example.com', c), false);
    const missing = await loadDctConfig(join(work, 'no-such.json'));
    assert.deepEqual(missing, { file: join(work, 'no-such.json'), exists: false, trustServers: {}, insecureRegistries: [] });
  });

  it('refuses malformed files with INVALID_CONFIG naming the file and the problem', async () => {
    const refused = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parseDctConfig(text, '/cfg/dct.json'),
        (err: unknown) =>
          isDctError(err, 'INVALID_CONFIG') && err.message.startsWith('dct config /cfg/dct.json: ') && pattern.test(err.message),
      );
    refused('{', /not valid JSON/);
    refused('"x"', /top level must be a JSON object/);
    refused('{"trust": []}', /"trust" must be an object/);
    refused('{"trust": {"servers": []}}', /trust\.servers/);
    refused('{"trust": {"servers": {"r.example": "http://r.example"}}}', /trust server for r\.example must be an https URL/);
    refused('{"trust": {"servers": {"r.example": 5}}}', /must be an https URL/);
    refused('{"trust": {"servers": {"https://r.example": "https://t.example"}}}', /is not a registry host\[:port\]/);
    refused('{"insecureRegistries": "x"}', /must be a list/);
    refused('{"insecureRegistries": [1]}', /is not a string/);
    refused('{"insecureRegistries": ["ftp://x"]}', /should not contain '\:\/\/'/);
    refused('{"insecureRegistries": ["10.0.0.0/33"]}', /not a valid CIDR/);
    refused('{"insecureRegistries": ["bad host"]}', /invalid host/);
    const dirAsFile = join(work, 'adir');
    mkdirSync(dirAsFile, { recursive: true });
    await assert.rejects(loadDctConfig(dirAsFile), (err: unknown) => isDctError(err, 'CONFIG_UNREADABLE'));
  });
});
