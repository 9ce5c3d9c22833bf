/**
 * The CLI's policy decider over a real registry (dct server, TLS, in process), as the
 * admission webhook wires it (`formats: 'needed'`), watched through the HTTP client's
 * diagnostics channel:
 * - decisions share one registry client per registry and credentials: the registry is pinged
 *   once for many decisions, a pull secret gets a client of its own, and a policy reload
 *   drops them (the next decision pings again);
 * - a DCT rule's decisions share one trust-server connection, pinged once, until a reload;
 * - only the formats the rule names are looked for: a cosign rule never asks the trust server;
 * - a tag is read once (one GET, no HEAD, no second GET by its digest);
 * - `formats: 'every'` (dct policy explain) still looks at every format, and decides the same.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPolicyFile } from '../../src/adapters/policy/policy-file.js';
import { policyDecider } from '../../src/cli/policy-decider.js';
import type { PullCredentials } from '../../src/core/policy/pull-credentials.js';
import type { TrustPolicy } from '../../src/core/policy/trust-policy.js';
import { cosignSign, startSigningWorld, trustSign, type PushedImage, type SigningWorld } from '../support/admission-world.js';

describe('policy decider: shared registry clients, only the formats the rule names', () => {
  let world: SigningWorld;
  let images: PushedImage[];
  let policyPath: string;
  const requests: string[] = [];
  const onRequest = (message: unknown) => {
    const req = (message as { request: ClientRequest }).request;
    requests.push(`${req.method} ${req.path}`);
  };

  before(async () => {
    world = await startSigningWorld();
    images = [];
    for (const name of ['a', 'b']) {
      const image = await world.push(world.server.host, `shared/${name}`, '1');
      await cosignSign(world, image);
      images.push(image);
    }
    await trustSign(world, images[0] as PushedImage);
    policyPath = join(world.home, 'policy.yaml');
    writeFileSync(
      policyPath,
      [
        'version: 1',
        'rules:',
        '  - name: shared',
        `    match: ${world.server.host}/shared/*`,
        '    require:',
        '      cosign: {key: release.pub, tlog: false}',
        '',
      ].join('\n'),
    );
    subscribe('http.client.request.start', onRequest);
  });
  after(async () => {
    unsubscribe('http.client.request.start', onRequest);
    await world?.stop();
  });

  const image = (i: number) => (images[i] as PushedImage).image;
  const pings = () => requests.filter((r) => r === 'GET /v2/').length;
  const load = async (): Promise<TrustPolicy> => (await loadPolicyFile(policyPath)).policy;

  it('many decisions, one registry client; a pull secret gets its own; a policy reload drops them', async () => {
    let policy = await load();
    const decider = policyDecider(world.io(), { current: async () => policy }, { formats: 'needed' });
    requests.length = 0;
    for (const i of [0, 1, 0]) {
      const d = await decider.decide(image(i));
      assert.equal(d.verdict, 'allow', d.reasons.join('\n'));
      assert.equal(d.digest, images[i]?.digest);
    }
    assert.equal(pings(), 1, requests.join('\n'));

    const secret: PullCredentials = {
      forRegistry: () => ({ login: { username: 'ci', password: 'pull-secret' }, source: 'secret ns/regcred' }),
    };
    assert.equal((await decider.decide(image(1), { credentials: secret })).verdict, 'allow');
    assert.equal((await decider.decide(image(0), { credentials: secret })).verdict, 'allow');
    assert.equal(pings(), 2, 'the pull secret has a client of its own, shared by its decisions');

    policy = await load(); // the webhook's reload: a new policy object
    assert.equal((await decider.decide(image(0))).verdict, 'allow');
    assert.equal(pings(), 3, 'a reload drops the clients: the next decision opens a new one');
  });

  it("a DCT rule's decisions share one trust-server connection, pinged once; a policy reload drops it", async () => {
    const dctPolicyPath = join(world.home, 'policy-dct.yaml');
    writeFileSync(
      dctPolicyPath,
      ['version: 1', 'rules:', '  - name: shared', `    match: ${world.server.host}/shared/*`, '    require:', '      dct: {}', ''].join(
        '\n',
      ),
    );
    const loadDct = async (): Promise<TrustPolicy> => (await loadPolicyFile(dctPolicyPath)).policy;
    let policy = await loadDct();
    const decider = policyDecider(world.io(), { current: async () => policy }, { formats: 'needed' });
    requests.length = 0;
    for (let i = 0; i < 3; i++) {
      const d = await decider.decide(image(0));
      assert.equal(d.verdict, 'allow', d.reasons.join('\n'));
      assert.equal(d.digest, images[0]?.digest);
    }
    // the embedded registry is its own trust server: one ping for the registry client, one for the trust connection
    assert.equal(pings(), 2, requests.join('\n'));
    assert.ok(requests.filter((r) => r.includes('/_trust/tuf/')).length >= 3, 'each decision reads the trust data');
    policy = await loadDct();
    assert.equal((await decider.decide(image(0))).verdict, 'allow');
    assert.equal(pings(), 4, 'a reload drops both: the next decision pings the registry and the trust server again');
  });

  it('a cosign rule never asks the trust server; a tag is read with one GET', async () => {
    const policy = await load();
    const decider = policyDecider(world.io(), { current: async () => policy }, { formats: 'needed' });
    requests.length = 0;
    const d = await decider.decide(image(0));
    assert.equal(d.verdict, 'allow', d.reasons.join('\n'));
    assert.deepEqual(
      requests.filter((r) => r.includes('/_trust/')),
      [],
    );
    assert.deepEqual(
      d.reports.map((r) => r.format),
      ['cosign'],
    );
    // the image's manifest: by tag once, never again by its digest (the referrer manifests and .sig are the signatures')
    const own = ['/v2/shared/a/manifests/1', `/v2/shared/a/manifests/${(images[0] as PushedImage).digest}`];
    assert.deepEqual(
      requests.filter((r) => own.some((path) => r.endsWith(` ${path}`))),
      ['GET /v2/shared/a/manifests/1'],
    );
  });

  it("formats 'every' (dct policy explain) asks the trust server and reports DCT too, and decides the same digest", async () => {
    const decider = policyDecider(world.io(), policyPath);
    requests.length = 0;
    const d = await decider.decide(image(0));
    assert.equal(d.verdict, 'allow', d.reasons.join('\n'));
    assert.equal(d.digest, images[0]?.digest);
    assert.ok(requests.some((r) => r.includes('/_trust/')));
    assert.deepEqual([...new Set(d.reports.map((r) => r.format))].sort(), ['cosign', 'dct']);
    assert.ok(d.reports.some((r) => r.format === 'dct' && r.verdict === 'verified'));
  });
});
