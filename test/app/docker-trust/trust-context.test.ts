/**
 * The trust context use case behind a made-up `DockerTrustHost`: docker's choice of
 * trust server, the deprecation notice for notary.docker.io, a ping before anything
 * else, credentials asked once, the changelist and connection of the GUN.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openTrustContext, type DockerTrustHost } from '../../../src/app/docker-trust/trust-context.js';
import type { TrustServer } from '../../../src/app/trust-server-url.js';
import { MemoryCache, NO_KEYS } from './fixture-repository.js';

function fakeHost(env: Record<string, string> = {}) {
  const calls: string[] = [];
  let credentialReads = 0;
  let server: TrustServer | undefined;
  const host: DockerTrustHost = {
    env,
    now: () => new Date('2026-11-23T12:00:00Z'),
    clientConfig: async () => ({ trustServers: { 'mapped.example': 'https://trust.mapped.example' }, insecureRegistries: ['10.0.0.0/8'] }),
    credentials: async (registry) => (credentialReads++, calls.push(`credentials ${registry}`), { username: 'alice', password: 'pw' }),
    connect: async (s) => {
      server = s;
      calls.push(`connect ${s.url}`);
      return {
        ping: async () => void calls.push('ping'),
        repository: (gun) => (calls.push(`repository ${gun}`), { serverName: new URL(s.url).host }) as never,
        close: () => void calls.push('close'),
      };
    },
    metadataCache: (gun) => (calls.push(`cache ${gun}`), new MemoryCache()),
    changelist: (gun) => ({ clear: async () => void calls.push(`clear ${gun}`) }),
    keyRing: () => NO_KEYS,
  };
  return { host, calls, credentialReads: () => credentialReads, server: () => server };
}

describe('openTrustContext (use case)', () => {
  it('a registry image: https://<registry>, ping first, credentials read once, changelist and connection of the GUN', async () => {
    const h = fakeHost();
    const ctx = await openTrustContext(h.host, 'registry.example:5000/team/app:1.0');
    assert.equal(ctx.gun, 'registry.example:5000/team/app');
    assert.equal(ctx.ref.tag, '1.0');
    assert.equal(ctx.server.url, 'https://registry.example:5000');
    assert.deepEqual(ctx.insecureRegistries, ['10.0.0.0/8']);
    assert.deepEqual(h.calls, [
      'connect https://registry.example:5000',
      'ping',
      'cache registry.example:5000/team/app',
      'repository registry.example:5000/team/app',
    ]);
    await ctx.credentials();
    await ctx.credentials();
    assert.equal(h.credentialReads(), 1);
    await ctx.clearChangelist();
    ctx.close();
    assert.deepEqual(h.calls.slice(-3), ['credentials registry.example:5000', 'clear registry.example:5000/team/app', 'close']);
  });

  it("the dct config's trust server for a registry; DOCKER_CONTENT_TRUST_SERVER over everything; notary.docker.io's notice", async () => {
    assert.equal((await openTrustContext(fakeHost().host, 'mapped.example/app:1')).server.url, 'https://trust.mapped.example');
    const env = { DOCKER_CONTENT_TRUST_SERVER: 'https://notary.internal:4443' };
    assert.equal((await openTrustContext(fakeHost(env).host, 'mapped.example/app:1')).server.url, 'https://notary.internal:4443');
    const warnings: string[] = [];
    const hub = await openTrustContext(fakeHost().host, 'alpine:3', { onWarning: (w) => warnings.push(w) });
    assert.equal(hub.gun, 'docker.io/library/alpine');
    assert.equal(hub.server.url, 'https://notary.docker.io');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /retiring DCT/);
  });

  it('a reference docker refuses fails before the host is asked for anything', async () => {
    const h = fakeHost();
    await assert.rejects(openTrustContext(h.host, 'team/UPPER:1'));
    assert.deepEqual(h.calls, []);
  });
});
