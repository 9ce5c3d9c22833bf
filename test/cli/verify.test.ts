/**
 * `dct verify` across formats, in process, against one `dct server` (trust API and
 * embedded registry): DCT as before (tags resolved by trust data, docker's messages, exit
 * codes, the pinned reference on stdout), and every signature of every format listed —
 * DCT over the real trust data, "cosign" and "notation" as test-double FormatVerifiers
 * wired through signature-formats.ts's registry factories (they read the real registry
 * through the client they are given). An image only the double signs is resolved by the
 * registry; a multi-arch index is checked with each platform; a stale `name:tag@digest`
 * pin stays refused; a format that cannot look is reported on stderr.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VerifyFormat } from '../../src/cli/commands/images/verify-format.js';
import { runVerify, type VerifyRow } from '../../src/cli/commands/images/verify.js';
import { runTrust } from '../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';
import { signatureFormats, type RegistryFormatFactory } from '../../src/cli/signature-formats.js';
import { DctError } from '../../src/core/errors.js';
import type { SignatureReport } from '../../src/core/signatures/signature-report.js';
import { buildImage, buildIndex, OCI_INDEX, pushImage, Raw, startTestServer, type TestServer } from '../server/registry/support.js';

const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'verify-root-pass', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'verify-repo-pass' };

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A registry-stored format double: verifies the digests in `signs`, fails those in `fails`, cannot look at those in `down`. */
function double(
  format: 'cosign' | 'notation',
  plan: { signs?: Set<string>; fails?: Set<string>; down?: Set<string> },
  seen?: string[],
): RegistryFormatFactory {
  return (ctx) => ({
    format,
    async verify(s) {
      // the client it is given reaches the image's registry
      const got = await ctx.client.getManifest(ctx.repo, s.digest, {
        accept: [OCI_INDEX, 'application/vnd.oci.image.manifest.v1+json'],
      });
      assert.equal(got.digest, s.digest);
      seen?.push(`${s.repository}@${s.digest}`);
      if (plan.down?.has(s.digest)) throw new DctError('REGISTRY_UNREACHABLE', `${format} referrers unreachable`);
      const report = (verdict: 'verified' | 'failed'): SignatureReport => ({
        format,
        subject: s.digest,
        verdict,
        ...(verdict === 'failed' ? { code: 'SIGNATURE_SUBJECT_MISMATCH' as const, reason: 'made to fail' } : {}),
        signer: { kind: 'key', keyId: `sha256:${format}key` },
        foundAt: { via: 'referrers-api', reference: `${s.registry}/${s.repository}@sha256:sig` },
      });
      if (plan.signs?.has(s.digest)) return [report('verified')];
      if (plan.fails?.has(s.digest)) return [report('failed')];
      return [];
    },
  });
}

describe('dct verify (every format; in process, against dct server)', () => {
  let server: TestServer;
  let raw: Raw;
  let host: string;
  let n = 0;
  const dctSigned = buildImage('dct-signed');
  const cosigned = buildImage('cosigned');
  const unsigned = buildImage('unsigned');
  const amd = buildImage('amd64', { platform: 'linux/amd64' });
  const arm = buildImage('arm64', { platform: 'linux/arm64' });
  const multi = buildIndex([
    { image: amd, platform: 'linux/amd64' },
    { image: arm, platform: 'linux/arm64' },
  ]);

  function user() {
    const home = join(server.dir, `user-${++n}`);
    mkdirSync(join(home, 'docker'), { recursive: true });
    const env: Record<string, string> = {
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      HOME: home,
      ...PASS,
    };
    const capture = async (f: (io: TrustIo) => Promise<number>): Promise<Run> => {
      let out = '';
      let err = '';
      const io: TrustIo = {
        out: (t) => void (out += t),
        err: (t) => void (err += t),
        readLine: async () => undefined,
        env,
        cwd: home,
        now: () => new Date(),
        hints: false,
      };
      return { code: await f(io), out, err };
    };
    return {
      trust: (args: string[]) => capture((io) => runTrust(args, io)),
      verify: (images: string[], format: VerifyFormat = 'text', factories?: RegistryFormatFactory[]) =>
        capture((io) => runVerify(images, format, io, factories ? signatureFormats(io, factories) : undefined)),
    };
  }

  const APP = () => `${host}/team/app`;
  const OTHER = () => `${host}/team/other`;

  before(async () => {
    server = await startTestServer({ tls: true });
    host = server.host;
    raw = new Raw(server.url, server.ca);
    await pushImage(raw, 'team/app', dctSigned, 'v1');
    await pushImage(raw, 'team/app', cosigned, 'cosigned');
    await pushImage(raw, 'team/app', unsigned, 'unsigned');
    await pushImage(raw, 'team/app', amd);
    await pushImage(raw, 'team/app', arm);
    assert.equal((await raw.pushManifest('team/app', 'multi', multi.bytes, OCI_INDEX)).status, 201);
    await pushImage(raw, 'team/other', unsigned, 'x');
    const signer = user();
    for (const [tag, d] of [
      ['v1', dctSigned],
      ['multi', multi],
    ] as const) {
      const r = await signer.trust(['sign', `${APP()}:${tag}`, '--digest', d.digest, '--size', String(d.size)]);
      assert.equal(r.code, 0, r.out + r.err);
    }
  });
  after(async () => {
    await server?.close();
  });

  it('DCT only (no registry formats wired): the pinned reference, then its signatures', async () => {
    const u = user();
    const r = await u.verify([`${APP()}:v1`], 'text', []);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    assert.equal(lines[0], `${APP()}:v1@${dctSigned.digest}`);
    assert.match(lines[1] ?? '', /^ {2}FORMAT +DIGEST +PLATFORM +SIGNER +VERDICT +WHERE$/);
    assert.match(
      lines[2] ?? '',
      new RegExp(`^ {2}dct {6}${dctSigned.digest} {3}- +targets \\(Repo Admin\\) {3}verified {3}tuf ${server.url} ${APP()}$`),
    );
    // not signed in DCT, nothing else wired: docker's message, exit 1, nothing on stdout
    const no = await u.verify([`${APP()}:cosigned`], 'text', []);
    assert.deepEqual(no, { code: 1, out: '', err: 'No valid trust data for cosigned [TAG_NOT_SIGNED]\n' });
  });

  it('an image only another format signs: resolved through the registry, verified, exit 0; the table lists every signature', async () => {
    const u = user();
    const cosign = double('cosign', { signs: new Set([cosigned.digest, dctSigned.digest]) });
    const notation = double('notation', { fails: new Set([dctSigned.digest]) });
    const r = await u.verify([`${APP()}:cosigned`, `${APP()}:v1`], 'table', [cosign, notation]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const rows = r.out.trimEnd().split('\n');
    assert.match(rows[0] ?? '', /^IMAGE +FORMAT +DIGEST +PLATFORM +SIGNER +VERDICT +WHERE$/);
    const cells = rows.slice(1).map((l) => l.split(/ {3,}/));
    assert.deepEqual(
      cells.map((c) => [c[0], c[1], c[2], c[4], c[5]]),
      [
        [`${APP()}:cosigned`, 'cosign', cosigned.digest, 'key sha256:cosignkey', 'verified'],
        [`${APP()}:v1`, 'dct', dctSigned.digest, 'targets (Repo Admin)', 'verified'],
        [`${APP()}:v1`, 'cosign', dctSigned.digest, 'key sha256:cosignkey', 'verified'],
        [`${APP()}:v1`, 'notation', dctSigned.digest, 'key sha256:notationkey', 'failed [SIGNATURE_SUBJECT_MISMATCH]'],
      ],
    );
    const json = JSON.parse((await u.verify([`${APP()}:cosigned`], 'json', [cosign, notation])).out) as VerifyRow[];
    assert.equal(json[0]!.signed, true);
    assert.equal(json[0]!.verdict, 'verified');
    assert.equal(json[0]!.reference, `${APP()}:cosigned@${cosigned.digest}`);
    assert.equal(json[0]!.role, null, 'no DCT role: DCT does not sign it');
    assert.equal(json[0]!.error, null);
  });

  it('multi-arch: the index and each platform, every format; the index signed in DCT covers them', async () => {
    const u = user();
    const seen: string[] = [];
    const notation = double('notation', { signs: new Set([arm.digest]) }, seen);
    const r = await u.verify([`${APP()}:multi`], 'json', [notation]);
    assert.equal(r.code, 0, r.err);
    const row = (JSON.parse(r.out) as VerifyRow[])[0]!;
    assert.equal(row.digest, multi.digest);
    assert.equal(row.role, 'targets');
    assert.deepEqual(
      row.digests.map((d) => [d.kind, d.digest, d.platform, d.reports.map((x) => `${x.format}:${x.verdict}`)]),
      [
        ['index', multi.digest, undefined, ['dct:verified']],
        ['platform', amd.digest, 'linux/amd64', []],
        ['platform', arm.digest, 'linux/arm64', ['notation:verified']],
      ],
    );
    assert.deepEqual(seen.sort(), [multi.digest, amd.digest, arm.digest].map((d) => `team/app@${d}`).sort());
    const text = await u.verify([`${APP()}:multi`], 'text', [notation]);
    assert.match(text.out, new RegExp(`notation +${arm.digest} {3}linux/arm64 `));
    assert.match(text.out, new RegExp(`dct +${multi.digest} {3}index `));
  });

  it("unsigned everywhere: DCT's message, exit 1; a stale name:tag@digest pin stays refused", async () => {
    const u = user();
    const cosign = double('cosign', { signs: new Set([cosigned.digest]), fails: new Set([unsigned.digest]) });
    const r = await u.verify([`${APP()}:unsigned`, `${APP()}:v1`], 'text', [cosign]);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      new RegExp(`^${APP()}:unsigned \\(unverified\\)\\n {2}FORMAT.*\\n {2}cosign .* failed \\[SIGNATURE_SUBJECT_MISMATCH\\] `),
    );
    assert.match(r.out, new RegExp(`\\n${APP()}:v1@${dctSigned.digest}\\n`));
    assert.equal(r.err, `${APP()}:unsigned: No valid trust data for unsigned [TAG_NOT_SIGNED]\n`);

    // no trust data for the repository at all: docker's message
    const other = await u.verify([`${OTHER()}:x`], 'json', [cosign]);
    const row = (JSON.parse(other.out) as VerifyRow[])[0]!;
    assert.equal(other.code, 1);
    assert.equal(row.signed, false);
    assert.equal(row.error?.code, 'REPOSITORY_NOT_FOUND');
    assert.equal(row.digest, unsigned.digest, 'resolved through the registry');

    // by digest, no trust data, nothing verifies: still DCT's REPOSITORY_NOT_FOUND
    const byDigest = await u.verify([`${OTHER()}@${unsigned.digest}`], 'json', [double('cosign', {})]);
    assert.equal((JSON.parse(byDigest.out) as VerifyRow[])[0]!.error?.code, 'REPOSITORY_NOT_FOUND');

    // the pin names v1, whose DCT digest is another: refused though cosign signs the digest
    const stale = await u.verify([`${APP()}:v1@${cosigned.digest}`], 'text', [cosign]);
    assert.equal(stale.code, 1);
    assert.equal(stale.err, `${cosigned.digest} is not the signed digest of ${APP()}:v1 (signed: ${dctSigned.digest}) [DIGEST_MISMATCH]\n`);
  });

  it('a format that cannot look is reported on stderr; the verdict stands on the others', async () => {
    const u = user();
    const down = double('notation', { down: new Set([dctSigned.digest]) });
    const r = await u.verify([`${APP()}:v1`], 'text', [down]);
    assert.equal(r.code, 0);
    assert.equal(
      r.err,
      `notation: could not look for signatures of ${dctSigned.digest}: notation referrers unreachable [REGISTRY_UNREACHABLE]\n`,
    );
    const json = JSON.parse((await u.verify([`${APP()}:v1`], 'json', [down])).out) as VerifyRow[];
    assert.deepEqual(json[0]!.digests[0]!.failures, [
      { format: 'notation', code: 'REGISTRY_UNREACHABLE', message: 'notation referrers unreachable' },
    ]);
    // a bad reference is refused before anything is read
    assert.deepEqual(await u.verify(['Bad:1'], 'text', [down]), {
      code: 1,
      out: '',
      err: 'invalid reference format: repository name (library/Bad) must be lowercase [INVALID_REFERENCE]\n',
    });
  });
});
