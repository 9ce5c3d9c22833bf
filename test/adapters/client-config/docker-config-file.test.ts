import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  authConfigKey,
  convertToHostname,
  dockerConfigDir,
  DOCKER_HUB_AUTH_KEY,
  loadDockerConfig,
  parseDockerConfig,
} from '../../../src/adapters/client-config/docker-config-file.js';
import { isDctError } from '../../../src/core/errors.js';
import { b64, configDir, useWorkDir } from './support.js';

const work = useWorkDir('dct-docker-config-');

describe('docker config.json', () => {
  it('finds the folder as docker does', () => {
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/x/y' }), '/x/y');
    assert.match(dockerConfigDir({}), /\.docker$/);
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
    const c = await loadDockerConfig(join(work.dir, 'nowhere'));
    assert.equal(c.exists, false);
    assert.deepEqual(c.auths, {});
    const empty = await loadDockerConfig(configDir(work, 'empty', ''));
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
