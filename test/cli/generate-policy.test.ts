/**
 * `dct policy generate` end to end on dct server: a repository signed through DCT by its owner
 * and two delegations (docker's `trust signer add` alice and bob), one image re-signed with
 * cosign and Notation. The generated policy loads with `dct policy check`'s loader, names the
 * DCT signers it came from, and under it `dct policy explain` allows the re-signed image;
 * with `--keep-dct` the DCT-only image is allowed (grace period), without it denied. The
 * notation trust policy loads with notation's loader; a trust bundle gives the same rule.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTrustPolicy } from '../../src/adapters/notation/config/trust-policy-file.js';
import { runPolicyCheck, runPolicyExplain } from '../../src/cli/commands/policy.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';
import { runPolicyGenerate, type GenerateCommandOptions } from '../../src/cli/policy-generate.js';
import type { ImageDecision } from '../../src/core/policy/decision.js';
import {
  cosignSign,
  notationSign,
  ok,
  startSigningWorld,
  trustSign,
  type PushedImage,
  type Run,
  type SigningWorld,
} from '../support/admission-world.js';

describe('dct policy generate: DCT signers → cosign/Notation requirements', { timeout: 240_000 }, () => {
  let world: SigningWorld;
  let resigned: PushedImage; // DCT + cosign + Notation
  let dctOnly: PushedImage; // DCT only
  let gun: string;

  const capture = async (f: (io: TrustIo) => Promise<number>): Promise<Run> => {
    let out = '';
    let err = '';
    const io = { ...world.io(), out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    return { code: await f(io), out, err };
  };
  const options = (o: Partial<GenerateCommandOptions>): GenerateCommandOptions => ({
    cosignKey: [],
    tlog: true,
    notationTrustStore: [],
    notationIdentity: [],
    keepDct: false,
    requireBoth: false,
    ...o,
  });
  const generate = (names: string[], o: Partial<GenerateCommandOptions>) => capture((io) => runPolicyGenerate(names, options(o), io));
  const explain = async (image: string, policy: string): Promise<ImageDecision> => {
    const r = await capture((io) => runPolicyExplain(image, { policy: join(world.home, policy), format: 'json' }, io));
    return JSON.parse(r.out) as ImageDecision;
  };

  before(async () => {
    world = await startSigningWorld();
    const host = world.server.host;
    resigned = await world.push(host, 'gen/app', 'v1');
    dctOnly = await world.push(host, 'gen/app', 'v2');
    gun = resigned.name;
    await trustSign(world, resigned);
    for (const name of ['alice', 'bob']) {
      ok(await world.trust(['key', 'generate', name, '--dir', world.home]), `key generate ${name}`);
      ok(await world.trust(['signer', 'add', '--key', join(world.home, `${name}.pub`), name, gun]), `signer add ${name}`);
    }
    await trustSign(world, dctOnly); // signed by the delegations now
    await cosignSign(world, resigned);
    await notationSign(world, resigned);
  });
  after(async () => world?.stop());

  it('cosign with --keep-dct: the policy loads, names the DCT signers; re-signed and DCT-only images both allowed', async () => {
    const r = await generate([resigned.image], { cosignKey: ['release.pub'], tlog: false, keepDct: true, output: 'grace.yaml' });
    assert.equal(r.code, 0, r.err);
    const yaml = readFileSync(join(world.home, 'grace.yaml'), 'utf8');
    assert.match(yaml, /- dct: \{signers: \["alice", "bob", "releases"\], fresh: true\}/);
    assert.match(yaml, /# {3}targets\/alice: \d+ tags?, signed by key [0-9a-f]{12}/);
    assert.match(yaml, /- cosign: \{key: "release\.pub", tlog: false\}/);
    assert.match(yaml, /# cosign: release\.pub signs what DCT signer\(s\) .*alice.* signed/);
    const check = await capture((io) => runPolicyCheck(join(world.home, 'grace.yaml'), 'text', io));
    assert.equal(check.code, 0, check.err);

    const a = await explain(resigned.image, 'grace.yaml');
    assert.equal(a.verdict, 'allow', a.reasons.join('\n'));
    const b = await explain(dctOnly.image, 'grace.yaml');
    assert.equal(b.verdict, 'allow', b.reasons.join('\n'));
  });

  it('cosign without --keep-dct: the re-signed image is allowed, the DCT-only one denied', async () => {
    const r = await generate([gun], { cosignKey: ['release.pub'], tlog: false, output: 'cosign.yaml' });
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(readFileSync(join(world.home, 'cosign.yaml'), 'utf8'), /- dct:/);
    assert.equal((await explain(resigned.image, 'cosign.yaml')).verdict, 'allow');
    const d = await explain(dctOnly.image, 'cosign.yaml');
    assert.equal(d.verdict, 'deny');
    assert.match(d.reasons.join('\n'), /cosign: key release\.pub/);
  });

  it('--require-both: allOf, the DCT-only image denied', async () => {
    const r = await generate([gun], { cosignKey: ['release.pub'], tlog: false, keepDct: true, requireBoth: true, output: 'both.yaml' });
    assert.equal(r.code, 0, r.err);
    assert.match(readFileSync(join(world.home, 'both.yaml'), 'utf8'), /^ {6}allOf:$/m);
    assert.equal((await explain(resigned.image, 'both.yaml')).verdict, 'allow');
    assert.equal((await explain(dctOnly.image, 'both.yaml')).verdict, 'deny');
  });

  it("Notation: the policy allows the Notation-signed image; the notation trust policy loads with notation's loader", async () => {
    const identity = 'x509.subject: CN=release.example, O=Notary, L=Seattle, ST=WA, C=US';
    const r = await generate([gun], {
      notationTrustStore: ['ca:release.example'],
      notationIdentity: [identity],
      output: 'notation.yaml',
      notationTrustPolicy: 'notation-out/trustpolicy.oci.json',
    });
    assert.equal(r.code, 0, r.err);
    const a = await explain(resigned.image, 'notation.yaml');
    assert.equal(a.verdict, 'allow', a.reasons.join('\n'));
    assert.equal((await explain(dctOnly.image, 'notation.yaml')).verdict, 'deny');
    const doc = await loadTrustPolicy(join(world.home, 'notation-out'));
    assert.deepEqual(
      doc.trustPolicies.map((p) => [p.registryScopes, p.trustStores, p.trustedIdentities, p.signatureVerification.level]),
      [[[gun], ['ca:release.example'], ['x509.subject:CN=release.example, O=Notary, L=Seattle, ST=WA, C=US'], 'strict']],
    );
  });

  it('from a trust bundle (dct trust export): the same requirements', async () => {
    const bundle = join(world.home, 'bundle.tar');
    // export verifies the server's TLS as docker does: its CA in $DOCKER_CONFIG/tls/<host:port>/
    const tls = join(world.env['DOCKER_CONFIG'] as string, 'tls', world.server.host);
    mkdirSync(tls, { recursive: true });
    writeFileSync(join(tls, 'ca.crt'), world.server.ca as Buffer);
    ok(await world.trust(['export', gun, '--server', world.server.url, '-o', bundle]), 'dct trust export');
    const live = await generate([gun], { cosignKey: ['release.pub'], tlog: false, keepDct: true });
    const fromBundle = await generate([resigned.image], { bundle: 'bundle.tar', cosignKey: ['release.pub'], tlog: false, keepDct: true });
    assert.equal(fromBundle.code, 0, fromBundle.err);
    const body = (yaml: string) => yaml.slice(yaml.indexOf('version: 1'));
    assert.equal(body(fromBundle.out), body(live.out));
    assert.match(fromBundle.out, /trust bundle bundle\.tar, exported /);
  });

  it('refuses to generate nothing, and a bundle without the repository', async () => {
    const none = await generate([gun], {});
    assert.equal(none.code, 1);
    assert.match(none.err, /nothing to require/);
    const missing = await generate([`${world.server.host}/gen/other`], { bundle: 'bundle.tar', keepDct: true });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /holds no trust data for .*gen\/other/);
  });
});
