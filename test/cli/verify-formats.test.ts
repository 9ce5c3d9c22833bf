/**
 * `dct verify` with every format wired as the CLI wires it: one image signed with DCT (dct
 * trust sign), cosign (a key pair from `dct cosign generate-key-pair`, signed in both layouts)
 * and Notation (`dct notation cert generate-test`, a trust policy, `dct notation sign`), all
 * on dct server's embedded registry. Each signature is reported with its format, signer and
 * verdict; a wrong cosign key fails cosign's reports without hiding the others; an image that
 * only cosign or only Notation signs is verified; an unsigned one is not.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCosign } from '../../src/cli/commands/cosign/index.js';
import { runVerify, type VerifyRow } from '../../src/cli/commands/images/verify.js';
import { runNotation } from '../../src/cli/commands/notation/index.js';
import { runTrust } from '../../src/cli/commands/trust/index.js';
import { registryFormatFactories, signatureFormats, type RegistryFormatOptions } from '../../src/cli/signature-formats.js';
import { buildImage, pushImage, Raw, startTestServer, type TestServer } from '../server/registry/support.js';
import { captureCli, succeeded, type CapturedIo } from '../support/captured-cli.js';

describe('dct verify: DCT, cosign (both layouts) and Notation on one image', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let host: string;
  const all = buildImage('every-format');
  const cosignOnly = buildImage('cosign-only');
  const notationOnly = buildImage('notation-only');
  const unsigned = buildImage('no-format');
  const APP = () => `${host}/formats/app`;

  const capture = (f: (io: CapturedIo) => Promise<number>) => captureCli(f, { env, cwd: env['HOME'] as string });
  const ok = succeeded;

  const cosign = (args: string[]) => capture((io) => runCosign(args, { io, env, stdin: process.stdin }));
  const notation = (args: string[]) => capture((io) => runNotation(args, { io, env }));
  const verify = (images: string[], opts: RegistryFormatOptions) =>
    capture(async (io) => {
      const formats = signatureFormats(io, registryFormatFactories(env, opts));
      return runVerify(images, 'json', io, formats);
    });

  before(async () => {
    server = await startTestServer({ tls: true });
    host = server.host;
    const home = join(server.dir, 'home');
    mkdirSync(join(home, 'docker'), { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'formats-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'formats-repo-pass',
      COSIGN_PASSWORD: 'formats-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
      PATH: process.env['PATH'] ?? '',
    };
    const raw = new Raw(server.url, server.ca);
    for (const [image, tag] of [
      [all, 'all'],
      [cosignOnly, 'cosign'],
      [notationOnly, 'notation'],
      [unsigned, 'none'],
    ] as const)
      await pushImage(raw, 'formats/app', image, tag);

    ok(await capture((io) => runTrust(['sign', `${APP()}:all`, '--digest', all.digest, '--size', String(all.size)], io)), 'dct trust sign');
    ok(await cosign(['generate-key-pair', '--output-key-prefix', join(home, 'release')]), 'generate-key-pair');
    ok(await cosign(['generate-key-pair', '--output-key-prefix', join(home, 'stranger')]), 'generate-key-pair');
    for (const d of [all.digest, cosignOnly.digest]) {
      ok(await cosign(['sign', '--key', join(home, 'release.key'), '--tlog-upload=false', '--yes', `${APP()}@${d}`]), 'cosign sign');
      ok(
        await cosign([
          'sign',
          '--key',
          join(home, 'release.key'),
          '--tlog-upload=false',
          '--new-bundle-format=false',
          '--yes',
          `${APP()}@${d}`,
        ]),
        'cosign sign (legacy)',
      );
    }
    ok(await notation(['cert', 'generate-test', '--default', 'formats.example']), 'notation cert generate-test');
    const policy = join(home, 'trustpolicy.json');
    writeFileSync(
      policy,
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'formats',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:formats.example'],
            trustedIdentities: ['*'],
          },
        ],
      }),
    );
    ok(await notation(['policy', 'import', '--force', policy]), 'notation policy import');
    for (const d of [all.digest, notationOnly.digest]) ok(await notation(['sign', `${APP()}@${d}`]), 'notation sign');
  });
  after(async () => server?.close());

  const reportsOf = (row: VerifyRow) => row.digests.flatMap((d) => d.reports);

  it('lists every signature of every format, each verified, with its signer and where it was found', async () => {
    const r = await verify([`${APP()}:all`], { cosignKey: join(env['HOME'] as string, 'release.pub'), ignoreTlog: true });
    assert.equal(r.code, 0, r.err);
    const [row] = JSON.parse(r.out) as VerifyRow[];
    const reports = reportsOf(row!);
    const summary = reports.map((x) => `${x.format} ${x.verdict} ${x.foundAt.via}`).sort();
    assert.deepEqual(summary, [
      'cosign verified cosign-tag',
      'cosign verified referrers-api',
      'dct verified tuf',
      'notation verified referrers-api',
    ]);
    for (const x of reports) assert.equal(x.subject, all.digest);
    const notationReport = reports.find((x) => x.format === 'notation');
    assert.match(notationReport?.signer?.subject ?? '', /CN=formats\.example/);
    const cosignReport = reports.find((x) => x.format === 'cosign');
    assert.match(cosignReport?.signer?.keyId ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  it("a wrong cosign key fails cosign's reports with a code; DCT and Notation still verify the image", async () => {
    const r = await verify([`${APP()}:all`], { cosignKey: join(env['HOME'] as string, 'stranger.pub'), ignoreTlog: true });
    assert.equal(r.code, 0, r.err);
    const [row] = JSON.parse(r.out) as VerifyRow[];
    const cosignReports = reportsOf(row!).filter((x) => x.format === 'cosign');
    assert.equal(cosignReports.length, 2);
    for (const x of cosignReports) {
      assert.equal(x.verdict, 'failed');
      assert.ok(x.code, 'a failed report carries its code');
    }
  });

  it('an image only cosign signs, or only Notation, is verified; an unsigned one is not', async () => {
    const pub = join(env['HOME'] as string, 'release.pub');
    const r = await verify([`${APP()}:cosign`, `${APP()}:notation`], { cosignKey: pub, ignoreTlog: true });
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as VerifyRow[];
    assert.deepEqual(
      rows.map((x) => [
        x.verdict,
        [
          ...new Set(
            reportsOf(x)
              .filter((y) => y.verdict === 'verified')
              .map((y) => y.format),
          ),
        ],
      ]),
      [
        ['verified', ['cosign']],
        ['verified', ['notation']],
      ],
    );
    const none = await verify([`${APP()}:none`], { cosignKey: pub, ignoreTlog: true });
    assert.equal(none.code, 1);
    assert.equal((JSON.parse(none.out) as VerifyRow[])[0]?.verdict, 'unverified');
  });
});
