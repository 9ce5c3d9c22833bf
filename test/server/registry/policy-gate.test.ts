/**
 * `dct server --policy FILE`: the embedded registry's pull gate judged by the trust policy, end
 * to end on a TLS server with token auth (CI pushes and signs as a publisher, which the gate
 * lets through; a reader is gated). Most fixtures' cosign and Notation signatures are made first
 * on the same data served without a gate (the server restarted with `--policy`, under the same
 * registry name); one test signs behind the gate, as a publisher whose sign commands read the
 * unsigned image with a push token. Images are signed as users sign them: DCT with `dct trust
 * sign`, cosign with `dct cosign sign` (a key pair of `dct cosign generate-key-pair`), Notation
 * with `dct notation sign` (a test certificate in the trust store `ca:gate.example`). The reader's
 * manifest GET/HEAD by tag and by digest is allowed or refused as each rule says; a platform
 * manifest passes through its signed index; warn and audit modes serve; a tampered cosign
 * signature is refused; a changed policy file changes the verdicts (a broken one does not).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { runCosign } from '../../../src/cli/commands/cosign/index.js';
import { runNotation } from '../../../src/cli/commands/notation/index.js';
import { runTrust } from '../../../src/cli/commands/trust/index.js';
import type { AuditRecord } from '../../../src/core/policy/audit-record.js';
import { run } from '../../support/reference-stack.js';
import { interopSkip, missingTool } from '../../support/interop.js';
import { gatePolicy } from './policy-gate-support.js';
import {
  buildImage,
  buildIndex,
  OCI_INDEX,
  pushImage,
  Raw,
  startTestServer,
  type BuiltImage,
  type Reply,
  type TestServer,
} from './support.js';
import { captureCli, succeeded, type CapturedIo } from '../../support/captured-cli.js';

const skopeoSkip = interopSkip(missingTool('skopeo'));

interface DenialBody {
  errors: Array<{ code: string; message: string; detail: { rule?: string; mode: string; reasons: string[]; image: string } }>;
}

describe('dct server --policy: the pull gate judged by the trust policy (DCT, cosign, Notation)', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let home: string;
  let policyFile: string;
  let anonymous: Raw;
  /** the registry name of both servers (the first one's address): the GUNs of the images */
  let registryName: string;
  const img = {
    cosign: buildImage('gate-cosign'),
    tampered: buildImage('gate-cosign-tampered'),
    notationSigned: buildImage('gate-notation-signed'),
    notationUnsigned: buildImage('gate-notation-unsigned'),
    multiTwo: buildImage('gate-multi-two'),
    multiOne: buildImage('gate-multi-one'),
  };

  /** a command that must succeed: its stdout */
  const capture = async (f: (io: CapturedIo) => Promise<number>): Promise<string> =>
    succeeded(await captureCli(f, { env, cwd: home }), 'command').out;
  const cosign = (...args: string[]) => capture((io) => runCosign(args, { io, env, stdin: process.stdin }));
  const notation = (...args: string[]) => capture((io) => runNotation(args, { io, env }));
  const trust = (...args: string[]) => capture((io) => runTrust(args, io));

  const token = async (user: string, scope: string): Promise<string> => {
    const r = await anonymous.call(`/auth/token?service=dct&scope=${encodeURIComponent(scope)}`, {
      headers: { Authorization: `Basic ${Buffer.from(`${user}:secret`).toString('base64')}` },
    });
    return r.json<{ token: string }>().token;
  };
  /** CI: push and pull (a publisher: not gated). */
  const ci = async (name: string) => anonymous.withToken(await token('ci', `repository:${name}:pull,push`));
  /** A consumer: pull only (gated). */
  const reader = async (name: string) => anonymous.withToken(await token('reader', `repository:${name}:pull`));
  const gun = (name: string) => `${registryName}/${name}`;

  async function push(name: string, image: BuiltImage, tag?: string): Promise<void> {
    await pushImage(await ci(name), name, image, tag);
  }
  const dctSign = (name: string, tag: string, image: { digest: string; size: number }) =>
    trust('sign', `${gun(name)}:${tag}`, '--digest', image.digest, '--size', String(image.size));
  const cosignSign = (name: string, digest: string, ...flags: string[]) =>
    cosign('sign', '--key', join(home, 'release.key'), '--tlog-upload=false', '--yes', ...flags, `${gun(name)}@${digest}`);
  const notationSign = (name: string, digest: string) => notation('sign', `${gun(name)}@${digest}`);

  function assertDenied(reply: Reply, rule: string, reason: RegExp): void {
    assert.equal(reply.status, 403, reply.text);
    assert.deepEqual(reply.codes, ['DENIED']);
    const error = reply.json<DenialBody>().errors[0];
    assert.ok(error);
    assert.match(
      error.message,
      new RegExp(`^trust policy rule "${rule}" refuses ${error.detail.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    assert.equal(error.detail.rule, rule);
    assert.equal(error.detail.mode, 'enforce');
    assert.match(error.detail.reasons.join('\n'), reason);
  }

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'dct-policy-gate-'));
    mkdirSync(join(home, 'docker'), { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DCT_CONFIG: join(home, 'dct.json'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'gate-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'gate-repo-pass',
      COSIGN_PASSWORD: 'gate-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
      PATH: process.env['PATH'] ?? '',
    };
    // the keys and the certificate first: the policy names them, and the server loads it at start
    await cosign('generate-key-pair', '--output-key-prefix', join(home, 'release'));
    await cosign('generate-key-pair', '--output-key-prefix', join(home, 'stranger'));
    await notation('cert', 'generate-test', '--default', 'gate.example');
    policyFile = join(home, 'policy.yaml');
    writeFileSync(policyFile, gatePolicy());
    // signed without a gate (see the module comment)
    const ungated = await startTestServer({ tls: true, keep: true });
    registryName = ungated.host;
    try {
      const raw = new Raw(ungated.url, ungated.ca);
      const pushes: Array<[string, BuiltImage, string]> = [
        ['cosign/app', img.cosign, 'v1'],
        ['cosign-stranger/app', img.cosign, 'v1'],
        ['cosign/tampered', img.tampered, 'v1'],
        ['notation/app', img.notationSigned, 'v1'],
        ['notation/app', img.notationUnsigned, 'v2'],
        ['multi/app', img.multiTwo, 'two'],
        ['multi/app', img.multiOne, 'one'],
      ];
      for (const [name, image, tag] of pushes) await pushImage(raw, name, image, tag);
      await cosignSign('cosign/app', img.cosign.digest);
      await cosignSign('cosign-stranger/app', img.cosign.digest);
      await cosignSign('cosign/tampered', img.tampered.digest, '--new-bundle-format=false');
      await notationSign('notation/app', img.notationSigned.digest);
      await cosignSign('multi/app', img.multiTwo.digest);
      await notationSign('multi/app', img.multiTwo.digest);
      await cosignSign('multi/app', img.multiOne.digest);
    } finally {
      await ungated.close();
    }
    const htpasswd = join(home, 'htpasswd');
    writeFileSync(htpasswd, `ci:${bcrypt.hashSync('secret', 4)}\nreader:${bcrypt.hashSync('secret', 4)}\n`);
    server = await startTestServer({
      tls: true,
      dir: ungated.dir,
      flags: {
        registryName,
        policy: policyFile,
        notationConfig: join(home, 'notation'),
        authHtpasswd: htpasswd,
        authRules: [
          { user: 'ci', repositories: '*', actions: ['*'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
        ],
      },
    });
    anonymous = new Raw(server.url, server.ca);
    env['DOCKER_CONTENT_TRUST_SERVER'] = server.url;
    writeFileSync(
      join(home, 'docker', 'config.json'),
      JSON.stringify({
        auths: Object.fromEntries([server.host, registryName].map((h) => [h, { auth: Buffer.from('ci:secret').toString('base64') }])),
      }),
    );
  });
  after(async () => {
    await server?.close();
    if (server) rmSync(server.dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('DCT: a signed tag is served by tag and by digest, GET and HEAD; unsigned tags and digests are refused; a moved tag is refused', async () => {
    const name = 'dct/app';
    const signed = buildImage('gate-dct-signed');
    const unsigned = buildImage('gate-dct-unsigned');
    await push(name, signed, 'v1');
    await push(name, unsigned, 'unsigned');
    const r = await reader(name);
    assertDenied(await r.getManifest(name, 'v1'), 'dct', /dct: signer releases/);
    await dctSign(name, 'v1', signed);

    const ok = await r.getManifest(name, 'v1');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, signed.manifest);
    assert.equal(ok.headers['warning'], undefined);
    assert.equal((await r.getManifest(name, 'v1', 'HEAD')).status, 200);
    assert.equal((await r.getManifest(name, signed.digest)).status, 200);
    assert.equal((await r.getManifest(name, signed.digest, 'HEAD')).status, 200);

    assertDenied(await r.getManifest(name, 'unsigned'), 'dct', /dct: signer releases/);
    assert.equal((await r.getManifest(name, 'unsigned', 'HEAD')).status, 403);
    assertDenied(await r.getManifest(name, unsigned.digest), 'dct', /dct: signer releases/);

    // the registry's tag moves after signing: the policy judged the signed digest, not the one served
    await (await ci(name)).pushManifest(name, 'v1', unsigned.manifest);
    assertDenied(
      await r.getManifest(name, 'v1'),
      'dct',
      new RegExp(`the policy judged ${signed.digest}, but the registry serves ${unsigned.digest}`),
    );
    await (await ci(name)).pushManifest(name, 'v1', signed.manifest);
    assert.equal((await r.getManifest(name, 'v1')).status, 200);
  });

  it('cosign: signed with the key the rule names is served; under a rule naming another key it is refused; a tampered signature is refused', async () => {
    assert.equal((await (await reader('cosign/app')).getManifest('cosign/app', 'v1')).status, 200);
    assert.equal((await (await reader('cosign/app')).getManifest('cosign/app', img.cosign.digest, 'HEAD')).status, 200);
    assertDenied(await (await reader('cosign-stranger/app')).getManifest('cosign-stranger/app', 'v1'), 'cosign-stranger', /cosign: key/);

    // a legacy signature (sha256-<hex>.sig) whose signature bytes are altered
    const name = 'cosign/tampered';
    const sigTag = `${img.tampered.digest.replace(':', '-')}.sig`;
    const publisher = await ci(name);
    assert.equal((await (await reader(name)).getManifest(name, 'v1')).status, 200, 'signed before tampering');
    const sig = await publisher.getManifest(name, sigTag);
    assert.equal(sig.status, 200, sig.text);
    const manifest = sig.json<{ layers: Array<{ annotations: Record<string, string> }> }>();
    const layer = manifest.layers[0];
    assert.ok(layer);
    const bytes = Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'] as string, 'base64');
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff;
    layer.annotations['dev.cosignproject.cosign/signature'] = bytes.toString('base64');
    const put = await publisher.pushManifest(name, sigTag, Buffer.from(JSON.stringify(manifest)), sig.headers['content-type']);
    assert.equal(put.status, 201, put.text);
    assertDenied(await (await reader(name)).getManifest(name, 'v1'), 'cosign', /cosign: key/);
  });

  it('Notation: signed with a certificate of the trust store the rule names is served; unsigned is refused', async () => {
    const name = 'notation/app';
    const r = await reader(name);
    assert.equal((await r.getManifest(name, 'v1')).status, 200);
    assert.equal((await r.getManifest(name, img.notationSigned.digest, 'HEAD')).status, 200);
    assertDenied(await r.getManifest(name, 'v2'), 'notation', /notation: trust store ca:gate\.example/);
  });

  it('a publisher signs behind the gate: cosign and Notation sign read the unsigned image with a push token', async () => {
    const name = 'multi/behind-gate';
    const image = buildImage('gate-behind');
    await push(name, image, 'v1');
    const r = await reader(name);
    assertDenied(await r.getManifest(name, image.digest), 'multi', /2 of 3/);
    // the gated server listens on a new port; the registry name (the GUNs' host) is the old one
    const served = `${server.host}/${name}@${image.digest}`;
    await cosign('sign', '--key', join(home, 'release.key'), '--tlog-upload=false', '--yes', served);
    await notation('sign', served);
    assert.equal((await r.getManifest(name, image.digest)).status, 200);
  });

  it('m of n across formats: cosign + Notation are 2 of 3; cosign alone is not', async () => {
    const r = await reader('multi/app');
    assert.equal((await r.getManifest('multi/app', 'two')).status, 200);
    assertDenied(await r.getManifest('multi/app', 'one'), 'multi', /2 of 3/);
  });

  it('a multi-platform index signed by tag: its platform manifests are served by digest through it; another digest is not', async () => {
    const name = 'index/app';
    const amd = buildImage('gate-index-amd', { platform: 'linux/amd64' });
    const arm = buildImage('gate-index-arm', { platform: 'linux/arm64' });
    const stray = buildImage('gate-index-stray');
    for (const i of [amd, arm, stray]) await push(name, i);
    const index = buildIndex([
      { image: amd, platform: 'linux/amd64' },
      { image: arm, platform: 'linux/arm64' },
    ]);
    assert.equal((await (await ci(name)).pushManifest(name, 'v1', index.bytes, OCI_INDEX)).status, 201);
    const r = await reader(name);
    assertDenied(await r.getManifest(name, amd.digest), 'index', /dct: signer releases/);
    await dctSign(name, 'v1', index);
    assert.equal((await r.getManifest(name, 'v1')).status, 200);
    assert.equal((await r.getManifest(name, amd.digest)).status, 200);
    assert.equal((await r.getManifest(name, arm.digest, 'HEAD')).status, 200);
    assertDenied(await r.getManifest(name, stray.digest), 'index', /dct: signer releases/);
  });

  it('warn mode serves an unsigned image with a Warning header; audit mode serves it silently', async () => {
    const image = buildImage('gate-modes');
    await push('warn/app', image, 'v1');
    await push('audit/app', image, 'v1');
    const warned = await (await reader('warn/app')).getManifest('warn/app', 'v1');
    assert.equal(warned.status, 200, warned.text);
    assert.match(String(warned.headers['warning']), /^299 - ".*warn\/app:v1: rule warn: /);
    const audited = await (await reader('audit/app')).getManifest('audit/app', 'v1');
    assert.equal(audited.status, 200, audited.text);
    assert.equal(audited.headers['warning'], undefined);

    // no rule matches: the default deny
    await push('elsewhere/app', image, 'v1');
    const refused = await (await reader('elsewhere/app')).getManifest('elsewhere/app', 'v1');
    assert.equal(refused.status, 403);
    assert.match(
      refused.json<DenialBody>().errors[0]?.message ?? '',
      /^trust policy \(no rule matches: default deny\) refuses .*elsewhere\/app:v1: /,
    );
  });

  it('skopeo copy from the gated registry: refused for an unsigned image, allowed once it is signed', { skip: skopeoSkip }, async () => {
    const name = 'dct/skopeo';
    const image = buildImage('gate-skopeo');
    await push(name, image, 'v1');
    const out = join(home, 'skopeo-out');
    const copy = () =>
      run('skopeo', [
        'copy',
        '--src-tls-verify=false',
        '--src-creds',
        'reader:secret',
        `docker://${server.host}/${name}:v1`,
        `oci:${out}:v1`,
      ]);
    await assert.rejects(copy(), (err: Error) => /denied: trust policy rule \\?"dct\\?" refuses .*dct\/skopeo:v1/.test(err.message));
    await dctSign(name, 'v1', image);
    await copy();
  });

  it("every judged request is in the server's audit feed, with the reader, the rule and the verdict", async (t) => {
    const audit = (server.running as { audit?: { flush(): Promise<void> } }).audit;
    if (!audit) return t.skip('this server has no audit feed');
    await audit.flush();
    const feed = anonymous.withToken(await token('ci', 'registry:catalog:*'));
    const page = await feed.call('/_dct/audit/changefeed?change_id=0&records=1000&point=registry');
    assert.equal(page.status, 200, page.text);
    const records = page.json<{ records: AuditRecord[] }>().records;
    const stranger = records.find((r) => r.image === `${gun('cosign-stranger/app')}:v1`);
    assert.ok(stranger, 'the refused pull is recorded');
    assert.deepEqual(
      [stranger.point, stranger.actor.user, stranger.rule, stranger.verdict, stranger.admitted, stranger.context],
      ['registry', 'reader', 'cosign-stranger', 'deny', false, { method: 'GET', repository: 'cosign-stranger/app', reference: 'v1' }],
    );
    assert.ok(stranger.actor.address, 'with the client address');
    const warned = records.find((r) => r.image === `${gun('warn/app')}:v1`);
    assert.deepEqual([warned?.verdict, warned?.mode, warned?.admitted], ['allow', 'warn', true]);
    assert.ok(records.some((r) => r.context['method'] === 'HEAD'));
  });

  it('a changed policy file is reloaded (new verdicts); a broken one is logged and the last good policy stays', async () => {
    const name = 'dct/reload';
    const image = buildImage('gate-reload');
    await push(name, image, 'v1');
    await dctSign(name, 'v1', image);
    const r = await reader(name);
    assert.equal((await r.getManifest(name, 'v1')).status, 200);
    const until = async (status: number): Promise<void> => {
      for (let i = 0; i < 100; i++) {
        if ((await r.getManifest(name, 'v1')).status === status) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.fail(`the verdict did not become ${status}`);
    };
    // the dct rule now wants a cosign signature too
    writeFileSync(policyFile, gatePolicy({ dctAlsoCosign: true }));
    await until(403);
    assertDenied(await r.getManifest(name, 'v1'), 'dct', /cosign/);
    // a broken file: the last good policy stays in force
    writeFileSync(policyFile, 'version: 1\nrules: [not a rule\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assertDenied(await r.getManifest(name, 'v1'), 'dct', /cosign/);
    writeFileSync(policyFile, gatePolicy());
    await until(200);
  });
});
