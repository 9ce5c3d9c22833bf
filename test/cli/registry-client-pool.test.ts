/**
 * The registry clients the admission webhook's decisions share (`RegistryClientPool`): one per
 * registry and credentials, leased by each decision; an idle one closed, an old one replaced
 * (rotated credentials and CAs are read again), every one retired by `close()` (a policy
 * reload) — a client in use is closed only when its last lease is released.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import type { RegistryAccess } from '../../src/cli/registry-access.js';
import { credentialsFingerprint, RegistryClientPool, type RegistryClientPoolOptions } from '../../src/cli/registry-client-pool.js';
import { parseImageReference, type ImageReference } from '../../src/core/image-reference.js';

interface Opened {
  host: string;
  credentials: string;
  closed: number;
}

function pool(opts: RegistryClientPoolOptions = {}, fail?: () => Error) {
  const opened: Opened[] = [];
  const p = new RegistryClientPool(async (ref: ImageReference, credentials): Promise<RegistryAccess> => {
    if (fail) throw fail();
    const o: Opened = { host: ref.domain, credentials: credentials ? JSON.stringify(credentials) : 'own', closed: 0 };
    opened.push(o);
    const client = { close: () => void o.closed++ } as unknown as RegistryClient;
    return { client, repo: ref.path };
  }, opts);
  return { p, opened };
}

const ref = (image: string) => parseImageReference(image);
const A = { username: 'alice', password: 'a-secret' };
const B = { username: 'bob', password: 'b-secret' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RegistryClientPool', () => {
  it('one client per registry and credentials, shared by the decisions (each with its repository)', async () => {
    const { p, opened } = pool();
    const one = await p.lease(ref('registry.example.com/team/a:1'));
    const two = await p.lease(ref('registry.example.com/team/b:1'));
    assert.equal(one.client, two.client);
    assert.deepEqual([one.repo, two.repo], ['team/a', 'team/b']);
    one.release();
    two.release();
    const again = await p.lease(ref('registry.example.com/team/c@sha256:' + 'a'.repeat(64)));
    assert.equal(again.client, one.client);
    assert.equal(opened.length, 1);
    again.release();
    p.close();
  });

  it('a pull secret gets a client of its own: a client (and its tokens) only serves the credentials it was opened with', async () => {
    const { p, opened } = pool();
    const own = await p.lease(ref('registry.example.com/team/a:1'));
    const alice = await p.lease(ref('registry.example.com/team/a:1'), A);
    const alice2 = await p.lease(ref('registry.example.com/team/b:1'), { ...A });
    const bob = await p.lease(ref('registry.example.com/team/a:1'), B);
    const other = await p.lease(ref('other.example.com/team/a:1'), A);
    assert.equal(alice.client, alice2.client);
    assert.equal(new Set([own.client, alice.client, bob.client, other.client]).size, 4);
    assert.deepEqual(
      opened.map((o) => [o.host, o.credentials]),
      [
        ['registry.example.com', 'own'],
        ['registry.example.com', JSON.stringify(A)],
        ['registry.example.com', JSON.stringify(B)],
        ['other.example.com', JSON.stringify(A)],
      ],
    );
    // the key holds a fingerprint, never the secret
    assert.doesNotMatch(credentialsFingerprint(A), /a-secret|alice/);
    assert.notEqual(credentialsFingerprint(A), credentialsFingerprint(B));
    for (const l of [own, alice, alice2, bob, other]) l.release();
    p.close();
  });

  it('closes a client unused for idleMs; the next decision opens a new one', async () => {
    const { p, opened } = pool({ idleMs: 20 });
    const first = await p.lease(ref('registry.example.com/team/a:1'));
    first.release();
    first.release(); // twice is once
    assert.equal(opened[0]?.closed, 0);
    await sleep(60);
    assert.equal(opened[0]?.closed, 1);
    assert.equal(p.size, 0);
    const next = await p.lease(ref('registry.example.com/team/a:1'));
    assert.notEqual(next.client, first.client);
    next.release();
    p.close();
  });

  it('a client in use is never closed by the idle timer of another lease', async () => {
    const { p, opened } = pool({ idleMs: 10 });
    const held = await p.lease(ref('registry.example.com/team/a:1'));
    (await p.lease(ref('registry.example.com/team/b:1'))).release();
    await sleep(40);
    assert.equal(opened[0]?.closed, 0);
    held.release();
    await sleep(40);
    assert.equal(opened[0]?.closed, 1);
  });

  it('a client older than maxAgeMs is not leased again, and is closed once its last lease is released', async () => {
    let now = 1_000;
    const { p, opened } = pool({ maxAgeMs: 100, now: () => now });
    const old = await p.lease(ref('registry.example.com/team/a:1'));
    now += 100;
    const fresh = await p.lease(ref('registry.example.com/team/a:1'));
    assert.notEqual(fresh.client, old.client);
    assert.equal(opened[0]?.closed, 0);
    old.release();
    assert.equal(opened[0]?.closed, 1);
    fresh.release();
    p.close();
    assert.equal(opened[1]?.closed, 1);
  });

  it('close() (a policy reload) closes idle clients at once and leased ones when released; new leases open new clients', async () => {
    const { p, opened } = pool();
    const leased = await p.lease(ref('registry.example.com/team/a:1'));
    (await p.lease(ref('other.example.com/team/a:1'))).release();
    p.close();
    assert.deepEqual(
      opened.map((o) => o.closed),
      [0, 1],
    );
    const after = await p.lease(ref('registry.example.com/team/a:1'));
    assert.notEqual(after.client, leased.client);
    leased.release();
    assert.equal(opened[0]?.closed, 1);
    after.release();
    p.close();
    assert.equal(opened[2]?.closed, 1);
  });

  it('keeps at most maxClients: the longest unused idle one goes', async () => {
    let tick = 0;
    const { p, opened } = pool({ maxClients: 2, now: () => ++tick });
    (await p.lease(ref('one.example.com/a:1'))).release();
    (await p.lease(ref('two.example.com/a:1'))).release();
    (await p.lease(ref('one.example.com/a:1'))).release();
    (await p.lease(ref('three.example.com/a:1'))).release();
    assert.equal(p.size, 2);
    assert.deepEqual(
      opened.map((o) => [o.host, o.closed]),
      [
        ['one.example.com', 0],
        ['two.example.com', 1],
        ['three.example.com', 0],
      ],
    );
    p.close();
  });

  it('a client that could not be opened is not kept: the next decision tries again', async () => {
    let failing = true;
    const opened: string[] = [];
    const p = new RegistryClientPool(async (r) => {
      opened.push(r.domain);
      if (failing) throw new Error('no route to host');
      return { client: { close: () => {} } as unknown as RegistryClient, repo: r.path };
    });
    await assert.rejects(p.lease(ref('registry.example.com/team/a:1')), /no route to host/);
    assert.equal(p.size, 0);
    failing = false;
    const l = await p.lease(ref('registry.example.com/team/a:1'));
    assert.equal(opened.length, 2);
    l.release();
    p.close();
  });
});
