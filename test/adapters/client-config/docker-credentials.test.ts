import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { credentialsFromHelper, type HelperRunner } from '../../../src/adapters/client-config/credential-helper.js';
import { DOCKER_HUB_AUTH_KEY } from '../../../src/adapters/client-config/docker-config-file.js';
import { dockerCredentials } from '../../../src/adapters/client-config/docker-credentials.js';
import { isDctError } from '../../../src/core/errors.js';
import { b64, configDir, useWorkDir } from './support.js';

const work = useWorkDir('dct-docker-credentials-');

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

describe('dockerCredentials', () => {
  it('reads auths entries by exact key, else by a key whose host matches (scheme, trailing path)', async () => {
    const dir = configDir(work, 'auths', {
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
    const dir = configDir(work, 'helpers', {
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
    const dir = configDir(work, 'failing', { auths: { 'r.example.com': { auth: b64('file:filepw') } }, credsStore: 'broken' });
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
    const bin = join(work.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-dcttest');
    writeFileSync(
      helper,
      '#!/bin/sh\n[ "$1" = get ] || exit 2\nread -r server || true\ncase "$server" in\n' +
        '  registry.example.com) printf \'{"ServerURL":"%s","Username":"carol","Secret":"pw with spaces"}\' "$server" ;;\n' +
        '  *) echo "credentials not found in native keychain"; exit 1 ;;\nesac\n',
    );
    chmodSync(helper, 0o755);
    const dir = configDir(work, 'realhelper', { credsStore: 'dcttest' });
    const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    assert.deepEqual(await dockerCredentials('registry.example.com', { configDir: dir, env }), {
      username: 'carol',
      password: 'pw with spaces',
    });
    assert.equal(await dockerCredentials('other.example.com', { configDir: dir, env }), undefined);
    const warnings: string[] = [];
    const missing = configDir(work, 'missinghelper', { credsStore: 'nosuchhelper' });
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
      const bin = join(work.dir, 'defaultbin');
      mkdirSync(bin, { recursive: true });
      for (const name of ['pass', 'docker-credential-pass']) {
        writeFileSync(
          join(bin, name),
          name === 'pass' ? '#!/bin/sh\nexit 0\n' : '#!/bin/sh\nprintf \'{"Username":"dave","Secret":"fromdefault"}\'\n',
        );
        chmodSync(join(bin, name), 0o755);
      }
      const dir = configDir(work, 'nodefault', { auths: {} });
      assert.deepEqual(await dockerCredentials('r.example.com', { configDir: dir, env: { PATH: bin } }), {
        username: 'dave',
        password: 'fromdefault',
      });
      // with credentials in the file the default store is not looked for
      const withAuth = configDir(work, 'withauth', { auths: { 'r.example.com': { auth: b64('file:pw') } } });
      assert.deepEqual(await dockerCredentials('r.example.com', { configDir: withAuth, env: { PATH: bin } }), {
        username: 'file',
        password: 'pw',
      });
      assert.equal(await dockerCredentials('r.example.com', { configDir: dir, env: { PATH: bin }, detectDefaultStore: false }), undefined);
    },
  );

  it('DOCKER_AUTH_CONFIG comes first; a bad value is a warning', async () => {
    const dir = configDir(work, 'envcfg', { auths: { 'r.example.com': { auth: b64('file:pw') } } });
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
