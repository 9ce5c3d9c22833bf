import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DCT_DEPRECATION_WARNING,
  DOCKER_HUB_TRUST_SERVER,
  isHttpsUrl,
  registryIndexName,
  trustServerFor,
  urlHost,
} from '../../src/app/trust-server-url.js';
import { isDctError } from '../../src/core/errors.js';
import { parseImageReference } from '../../src/core/image-reference.js';

describe('trustServerFor', () => {
  it("Docker Hub images use notary.docker.io, with docker's deprecation warning", () => {
    for (const image of ['alpine', 'user/app:1', 'index.docker.io/user/app']) {
      const s = trustServerFor({ registry: parseImageReference(image).domain, env: {} });
      assert.equal(s.url, 'https://notary.docker.io');
      assert.equal(s.source, 'docker-hub');
      assert.equal(s.official, true);
      assert.equal(s.skipTlsVerify, false);
      assert.equal(s.tlsHost, 'notary.docker.io');
      assert.equal(s.warning, DCT_DEPRECATION_WARNING);
    }
    assert.ok(DCT_DEPRECATION_WARNING.startsWith('WARNING: Docker is retiring DCT for Docker Official Images (DOI).\n'));
    assert.ok(DCT_DEPRECATION_WARNING.endsWith('https://docs.docker.com/go/dct-deprecation/\n\n'));
  });

  it('other registries use https://<registry host[:port]>', () => {
    const s = trustServerFor({ registry: 'registry.example.com:5000' });
    assert.deepEqual(s, {
      url: 'https://registry.example.com:5000',
      source: 'registry',
      tlsHost: 'registry.example.com:5000',
      skipTlsVerify: false,
      official: false,
    });
  });

  it("loopback registries skip TLS verification, as docker's isInsecure", () => {
    for (const registry of ['127.0.0.1:5000', 'localhost', 'localhost:5000', '[::1]:5000', '127.9.9.9']) {
      const s = trustServerFor({ registry });
      assert.equal(s.skipTlsVerify, true, registry);
      assert.equal(s.url, `https://${registry}`);
    }
    assert.equal(trustServerFor({ registry: '10.0.0.1:5000' }).skipTlsVerify, false);
  });

  it('DOCKER_CONTENT_TRUST_SERVER wins and is kept as written; the insecure rule still follows the registry', () => {
    const env = { DOCKER_CONTENT_TRUST_SERVER: 'https://Trust.Example:4443/prefix' };
    const s = trustServerFor({ registry: '127.0.0.1:5000', env, servers: { '127.0.0.1:5000': 'https://other.example' } });
    assert.equal(s.url, 'https://Trust.Example:4443/prefix');
    assert.equal(s.source, 'env');
    assert.equal(s.tlsHost, 'Trust.Example:4443');
    assert.equal(s.skipTlsVerify, true);
    assert.equal(s.warning, undefined);
    const hub = trustServerFor({ registry: 'docker.io', env: { DOCKER_CONTENT_TRUST_SERVER: DOCKER_HUB_TRUST_SERVER } });
    assert.equal(hub.warning, DCT_DEPRECATION_WARNING);
    assert.equal(hub.source, 'env');
    // empty counts as unset
    assert.equal(trustServerFor({ registry: 'docker.io', env: { DOCKER_CONTENT_TRUST_SERVER: '' } }).source, 'docker-hub');
  });

  it("refuses a DOCKER_CONTENT_TRUST_SERVER that is not https with docker's message", () => {
    for (const bad of ['http://127.0.0.1:4443', 'notary.example.com', 'https://', 'ftp://x', '::']) {
      assert.throws(
        () => trustServerFor({ registry: 'docker.io', env: { DOCKER_CONTENT_TRUST_SERVER: bad } }),
        (err: unknown) =>
          isDctError(err, 'INVALID_TRUST_SERVER') && err.message === `valid https URL required for trust server, got ${bad}`,
        bad,
      );
    }
  });

  it('the dct config maps registries to trust servers (before the defaults)', () => {
    const servers = {
      'Registry.Example.com': 'https://trust.example.com',
      'docker.io': 'https://mirror.example/notary',
      'localhost:5000': 'https://127.0.0.1:4443',
    };
    const a = trustServerFor({ registry: 'registry.example.com', servers });
    assert.equal(a.url, 'https://trust.example.com');
    assert.equal(a.source, 'dct-config');
    assert.equal(a.skipTlsVerify, false);
    const hub = trustServerFor({ registry: 'index.docker.io', servers });
    assert.equal(hub.url, 'https://mirror.example/notary');
    assert.equal(hub.official, true);
    assert.equal(hub.warning, undefined);
    const local = trustServerFor({ registry: 'localhost:5000', servers });
    assert.equal(local.skipTlsVerify, true);
    assert.equal(trustServerFor({ registry: 'other.example', servers }).source, 'registry');
    assert.throws(
      () => trustServerFor({ registry: 'x.example', servers: { 'x.example': 'http://x.example' } }),
      (err: unknown) => isDctError(err, 'INVALID_CONFIG') && /x\.example.*https URL/.test(err.message),
    );
  });

  it('refuses a reference without a registry domain', () => {
    assert.throws(
      () => trustServerFor({ registry: '' }),
      (err: unknown) => isDctError(err, 'INVALID_REFERENCE'),
    );
  });

  it('helpers', () => {
    assert.equal(registryIndexName('index.docker.io'), 'docker.io');
    assert.equal(registryIndexName('example.com'), 'example.com');
    assert.equal(urlHost('https://user:pw@h.example:1/p?q'), 'h.example:1');
    assert.equal(urlHost('https://[::1]:4443'), '[::1]:4443');
    assert.equal(urlHost('nonsense'), '');
    assert.equal(isHttpsUrl('HTTPS://x.example'), true);
    assert.equal(isHttpsUrl('https:x.example'), false);
  });
});
