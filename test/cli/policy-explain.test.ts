/**
 * `dct policy explain` end to end, wired as the CLI wires it: one image signed with DCT (dct
 * trust sign), cosign (a key pair from `dct cosign generate-key-pair`, both layouts, no tlog)
 * and Notation (`dct notation cert generate-test`, `dct notation sign`) on dct server's
 * embedded registry. A policy requiring 2 of [DCT releases, the cosign key, the Notation
 * trust store] allows it, naming which signature met which requirement; a policy requiring a
 * cosign key nobody signed with denies it with the reason; a near name is refused with the
 * trusted one suggested.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCosign } from '../../src/cli/commands/cosign/index.js';
import { runNotation } from '../../src/cli/commands/notation/index.js';
import { runPolicyExplain } from '../../src/cli/commands/policy.js';
import { runTrust } from '../../src/cli/commands/trust/index.js';
import type { ImageDecision } from '../../src/core/policy/decision.js';
import { buildImage, pushImage, Raw, startTestServer, type TestServer } from '../server/registry/support.js';
import { captureCli, succeeded, type CapturedIo } from '../support/captured-cli.js';

describe('dct policy explain: DCT + cosign + Notation on one image, judged by the policy', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let home: string;
  const image = buildImage('policy-every-format');
  const APP = () => `${server.host}/policy/app`;

  const capture = (f: (io: CapturedIo) => Promise<number>) => captureCli(f, { env, cwd: home });
  const ok = succeeded;
  const cosign = (args: string[]) => capture((io) => runCosign(args, { io, env, stdin: process.stdin }));
  const notation = (args: string[]) => capture((io) => runNotation(args, { io, env }));
  const explain = (ref: string, policy: string, format: 'text' | 'json' = 'json') =>
    capture((io) => runPolicyExplain(ref, { policy: join(home, policy), format }, io));
  const policyFile = (name: string, text: string) => writeFileSync(join(home, name), text);

  before(async () => {
    server = await startTestServer({ tls: true });
    home = join(server.dir, 'home');
    mkdirSync(join(home, 'docker'), { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'policy-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'policy-repo-pass',
      COSIGN_PASSWORD: 'policy-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
      PATH: process.env['PATH'] ?? '',
    };
    await pushImage(new Raw(server.url, server.ca), 'policy/app', image, 'v1');
    ok(
      await capture((io) => runTrust(['sign', `${APP()}:v1`, '--digest', image.digest, '--size', String(image.size)], io)),
      'dct trust sign',
    );
    ok(await cosign(['generate-key-pair', '--output-key-prefix', join(home, 'release')]), 'generate-key-pair');
    ok(await cosign(['generate-key-pair', '--output-key-prefix', join(home, 'stranger')]), 'generate-key-pair');
    const key = join(home, 'release.key');
    ok(await cosign(['sign', '--key', key, '--tlog-upload=false', '--yes', `${APP()}@${image.digest}`]), 'cosign sign');
    ok(
      await cosign(['sign', '--key', key, '--tlog-upload=false', '--new-bundle-format=false', '--yes', `${APP()}@${image.digest}`]),
      'cosign sign (legacy)',
    );
    ok(await notation(['cert', 'generate-test', '--default', 'policy.example']), 'notation cert generate-test');
    ok(await notation(['sign', `${APP()}@${image.digest}`]), 'notation sign');

    policyFile(
      'two-of-three.yaml',
      `version: 1
rules:
  - name: release
    match: ${APP()}
    require:
      atLeast:
        count: 2
        of:
          - dct: {signers: [releases], fresh: true}
          - cosign: {key: release.pub, tlog: false}
          - notation: {trustStore: "ca:policy.example"}
`,
    );
    policyFile(
      'stranger.yaml',
      `version: 1
rules:
  - name: stranger-only
    match: ${server.host}/policy/*
    require:
      cosign: {key: stranger.pub, tlog: false}
`,
    );
  });
  after(async () => server?.close());

  it('2 of [DCT releases, cosign key, Notation store]: allow, each requirement with the signatures that met it', async () => {
    const r = await explain(`${APP()}:v1`, 'two-of-three.yaml');
    assert.equal(r.code, 0, r.out + r.err);
    const d = JSON.parse(r.out) as ImageDecision;
    assert.deepEqual([d.verdict, d.rule, d.mode, d.digest], ['allow', 'release', 'enforce', image.digest]);
    const verified = d.reports
      .filter((x) => x.verdict === 'verified')
      .map((x) => x.format)
      .sort();
    assert.deepEqual(verified, ['cosign', 'cosign', 'dct', 'notation']);
    const children = d.requirements?.children ?? [];
    assert.deepEqual(
      children.map((c) => [c.satisfied, c.satisfiedBy.map((i) => d.reports[i]?.format)]),
      [
        [true, ['dct']],
        [true, ['cosign', 'cosign']],
        [true, ['notation']],
      ],
    );
    const store = d.reports.find((x) => x.format === 'notation');
    assert.equal(store?.details?.['trustStore'], 'ca:policy.example');
    assert.match(d.reasons.join('\n'), /rule release: 2 of 3 met/);

    const text = await explain(`${APP()}:v1`, 'two-of-three.yaml', 'text');
    assert.equal(text.code, 0);
    assert.match(text.out, /^rule: {5}release$/m);
    assert.match(text.out, /^verdict: {2}allow$/m);
    assert.match(
      text.out,
      /\[met\] {5}cosign: key release\.pub \(sha256:[0-9a-f]{64}\), no transparency log needed|\[met\] {5}cosign: key release\.pub/,
    );
  });

  it('a key nobody signed with: deny, saying what was found instead', async () => {
    const r = await explain(`${APP()}:v1`, 'stranger.yaml');
    assert.equal(r.code, 1, r.out + r.err);
    const d = JSON.parse(r.out) as ImageDecision;
    assert.deepEqual([d.verdict, d.rule], ['deny', 'stranger-only']);
    assert.equal(d.requirements?.satisfied, false);
    assert.match(
      d.reasons[0] ?? '',
      /^rule stranger-only: cosign: key stranger\.pub \(sha256:[0-9a-f]{64}\).*: not satisfied by the 2 cosign signatures found \(failed \[/,
    );
    // every other signature is still listed
    assert.ok(d.reports.some((x) => x.format === 'dct' && x.verdict === 'verified'));
  });

  it('a near name no rule matches is refused, the trusted name suggested', async () => {
    const r = await explain(`${server.host}/policy/ap:v1`, 'two-of-three.yaml', 'text');
    assert.equal(r.code, 1);
    assert.match(r.out, /no rule of the policy names .*\/policy\/ap \(default deny\): did you mean .*\/policy\/app\?/);
    assert.match(r.out, /did you mean:\n {2}.*\/policy\/app, signed by 2 of 3: dct: signer releases/);
  });

  it('a bad policy file is named by line and field, exit 1', async () => {
    policyFile('bad.yaml', 'version: 1\nrules:\n  - name: x\n    match: a.example.com/b\n    require:\n      cosign: {key: nowhere.pub}\n');
    const r = await explain(`${APP()}:v1`, 'bad.yaml');
    assert.equal(r.code, 1);
    assert.match(r.err, /^bad\.yaml:6: rules\[0\]\.require\.cosign\.key: cannot use the key file nowhere\.pub.* \[POLICY_INVALID\]$/m);
  });
});
