/**
 * The trust policy at the CLI's enforcement points (issue 13): `dct verify|pull|pin|docker`
 * with `--policy` (or DCT_POLICY) and `--audit`, wired as the CLI wires them, against dct
 * server's embedded registry (TLS). Images signed by the real signing commands:
 * - policy/app:v1: DCT (`dct trust sign`), cosign with the release key, Notation (test cert);
 * - policy/other:v1: DCT and cosign with a stranger's key (the wrong key);
 * - warned/app:v1: nothing (its rule is in warn mode);
 * - elsewhere/app:v1: nothing, and no rule matches it (default deny).
 * The policy asks 2 of [DCT releases, cosign release.pub, Notation ca:policy.example].
 * Each decision lands in the audit file with its point, verdict, rule and admission.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCosign } from '../../src/cli/commands/cosign/index.js';
import { runDocker } from '../../src/cli/commands/images/docker.js';
import { runPin } from '../../src/cli/commands/images/pin.js';
import { verifyByPolicy } from '../../src/cli/commands/images/verify-policy.js';
import { runNotation } from '../../src/cli/commands/notation/index.js';
import { runPull } from '../../src/cli/commands/pull.js';
import { runTrust } from '../../src/cli/commands/trust/index.js';
import type { ImageDecision } from '../../src/core/policy/decision.js';
import type { AuditRecord } from '../../src/core/policy/audit-record.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { buildImage, pushImage, Raw, request, startTestServer, type TestServer } from '../server/registry/support.js';
import { captureCli, succeeded, type CapturedIo, type CliRun as Run } from '../support/captured-cli.js';

describe('dct verify|pull|pin|docker --policy --audit: one trust policy at every CLI enforcement point', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let home: string;
  const app = buildImage('enforce-app');
  const other = buildImage('enforce-other');
  const warned = buildImage('enforce-warned');
  const elsewhere = buildImage('enforce-elsewhere');
  const APP = () => `${server.host}/policy/app`;
  const OTHER = () => `${server.host}/policy/other`;
  const WARNED = () => `${server.host}/warned/app`;
  const ELSEWHERE = () => `${server.host}/elsewhere/app`;
  let audits = 0;

  const capture = (f: (io: CapturedIo) => Promise<number>, extraEnv: Record<string, string> = {}) =>
    captureCli(f, { env: { ...env, ...extraEnv }, cwd: home });
  const ok = succeeded;
  const cosign = (args: string[]) => capture((io) => runCosign(args, { io, env, stdin: process.stdin }));
  const notation = (args: string[]) => capture((io) => runNotation(args, { io, env }));
  const trustSign = async (ref: string, image: { digest: string; size: number }) =>
    ok(await capture((io) => runTrust(['sign', ref, '--digest', image.digest, '--size', String(image.size)], io)), `sign ${ref}`);
  /** a fresh audit file (relative to home, as a user would give it) */
  const auditFile = () => `audit-${++audits}.jsonl`;
  const records = (file: string): AuditRecord[] =>
    existsSync(join(home, file))
      ? readFileSync(join(home, file), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as AuditRecord)
      : [];
  const summary = (r: AuditRecord) => [r.point, r.image, r.verdict, r.rule ?? null, r.admitted];

  before(async () => {
    server = await startTestServer({ tls: true });
    home = join(server.dir, 'home');
    mkdirSync(join(home, 'docker'), { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'enforce-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'enforce-repo-pass',
      COSIGN_PASSWORD: 'enforce-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
      PATH: process.env['PATH'] ?? '',
    };
    const raw = new Raw(server.url, server.ca);
    await pushImage(raw, 'policy/app', app, 'v1');
    await pushImage(raw, 'policy/other', other, 'v1');
    await pushImage(raw, 'warned/app', warned, 'v1');
    await pushImage(raw, 'elsewhere/app', elsewhere, 'v1');
    await trustSign(`${APP()}:v1`, app);
    await trustSign(`${OTHER()}:v1`, other);
    ok(await cosign(['generate-key-pair', '--output-key-prefix', join(home, 'release')]), 'generate-key-pair');
    ok(await cosign(['generate-key-pair', '--output-key-prefix', join(home, 'stranger')]), 'generate-key-pair');
    const sign = (key: string, ref: string) => cosign(['sign', '--key', join(home, key), '--tlog-upload=false', '--yes', ref]);
    ok(await sign('release.key', `${APP()}@${app.digest}`), 'cosign sign app');
    ok(await sign('stranger.key', `${OTHER()}@${other.digest}`), 'cosign sign other (the wrong key)');
    ok(await notation(['cert', 'generate-test', '--default', 'policy.example']), 'notation cert generate-test');
    ok(await notation(['sign', `${APP()}@${app.digest}`]), 'notation sign');
    writeFileSync(
      join(home, 'policy.yaml'),
      `version: 1
defaults: {mode: enforce}
rules:
  - name: release
    match: ${server.host}/policy/*
    require:
      atLeast:
        count: 2
        of:
          - dct: {signers: [releases], fresh: true}
          - cosign: {key: release.pub, tlog: false}
          - notation: {trustStore: "ca:policy.example"}
  - name: lenient
    match: ${server.host}/warned/*
    mode: warn
    require:
      cosign: {key: release.pub, tlog: false}
`,
    );
  });
  after(async () => server?.close());

  describe('dct verify --policy', () => {
    const verify = (images: string[], format: 'text' | 'table' | 'json', flags: { policy?: string; audit?: string }, extra = {}) =>
      capture(async (io) => (await verifyByPolicy(images, format, flags, io)) ?? -1, extra);

    it("allowed under its rule, wrong key and default deny refused: explain's decisions, exit 1, one audit record each", async () => {
      const audit = auditFile();
      const r = await verify([`${APP()}:v1`, `${OTHER()}:v1`, `${ELSEWHERE()}:v1`], 'json', { policy: 'policy.yaml', audit });
      assert.equal(r.code, 1, r.out + r.err);
      const ds = JSON.parse(r.out) as ImageDecision[];
      assert.deepEqual(
        ds.map((d) => [d.verdict, d.rule ?? null, d.digest]),
        [
          ['allow', 'release', app.digest],
          ['deny', 'release', other.digest],
          ['deny', null, undefined],
        ],
      );
      assert.match(ds[1]!.reasons[0] ?? '', /^rule release: 2 of 3/);
      // the wrong key's signature is found and failed, DCT's verified
      assert.ok(ds[1]!.reports.some((x) => x.format === 'cosign' && x.verdict === 'failed'));
      // the images are decided side by side: their records come in the order the decisions end
      const byImage = (a: unknown[], b: unknown[]) => String(a[1]).localeCompare(String(b[1]));
      assert.deepEqual(
        records(audit).map(summary).sort(byImage),
        [
          ['verify', `${APP()}:v1`, 'allow', 'release', true],
          ['verify', `${OTHER()}:v1`, 'deny', 'release', false],
          ['verify', `${ELSEWHERE()}:v1`, 'deny', null, false],
        ].sort(byImage),
      );
      assert.deepEqual(records(audit)[0]?.context, { command: 'dct verify' });
    });

    it('text and table print the decision; DCT_POLICY is the fallback; warn mode admits with a warning on stderr, exit 0', async () => {
      const text = await verify([`${APP()}:v1`], 'text', {}, { DCT_POLICY: 'policy.yaml' });
      assert.equal(text.code, 0, text.err);
      assert.match(text.out, /^rule: {5}release$/m);
      assert.match(text.out, /^verdict: {2}allow$/m);
      assert.match(text.out, /\[met\] {5}dct: signer releases/);
      const table = await verify([`${APP()}:v1`, `${ELSEWHERE()}:v1`], 'table', { policy: 'policy.yaml' });
      assert.equal(table.code, 1);
      assert.match(table.out, /^IMAGE +DIGEST +RULE +MODE +VERDICT +SIGNATURES$/m);
      assert.match(table.out, new RegExp(`^${APP()}:v1 +${app.digest} +release +enforce +allow +.*cosign:verified`, 'm'));
      assert.match(table.err, /elsewhere\/app:v1: denied by the trust policy \(no rule matched: default deny\): .*\[POLICY_DENIED\]/);
      const audit = auditFile();
      const warn = await verify([`${WARNED()}:v1`], 'json', { policy: 'policy.yaml' }, { DCT_AUDIT: audit });
      assert.equal(warn.code, 0, warn.out + warn.err);
      assert.match(warn.err, /^warning: .*warned\/app:v1: rule lenient: cosign: key release\.pub/m);
      assert.deepEqual(records(audit).map(summary), [['verify', `${WARNED()}:v1`, 'allow', 'lenient', true]]);
      assert.equal(records(audit)[0]?.mode, 'warn');
    });

    it("--audit URL: the decisions are posted to the dct server's audit feed", async () => {
      // the server's CA where docker (and dct) look for a registry's
      mkdirSync(join(home, 'docker', 'tls', server.host), { recursive: true });
      writeFileSync(join(home, 'docker', 'tls', server.host, 'ca.crt'), server.ca!);
      const r = await verify([`${APP()}:v1`, `${ELSEWHERE()}:v1`], 'json', { policy: 'policy.yaml', audit: server.url });
      assert.equal(r.code, 1, r.err);
      assert.doesNotMatch(r.err, /warning/);
      const feed = await request(`${server.url}/_dct/audit/changefeed?records=-100&point=verify`, { ca: server.ca! });
      assert.equal(feed.status, 200, feed.body.toString());
      const { records: posted } = JSON.parse(feed.body.toString()) as { records: AuditRecord[] };
      assert.deepEqual(posted.map((x) => [x.image, x.verdict, x.context['command'], x.source?.startsWith('address:')]).sort(), [
        [`${ELSEWHERE()}:v1`, 'deny', 'dct verify', true],
        [`${APP()}:v1`, 'allow', 'dct verify', true],
      ]);
    });

    it('no policy: not by policy (the command verifies as before); a bad policy file is refused by line and field', async () => {
      assert.equal((await verify([`${APP()}:v1`], 'json', {})).code, -1);
      writeFileSync(
        join(home, 'bad.yaml'),
        'version: 1\nrules:\n  - name: x\n    match: a.example.com/b\n    require: {cosign: {key: nowhere.pub}}\n',
      );
      await assert.rejects(verify([`${APP()}:v1`], 'json', { policy: 'bad.yaml' }), /bad\.yaml:5: rules\[0\]\.require\.cosign\.key/);
    });
  });

  describe('dct pull --policy', () => {
    it('pulls exactly the decided digest; a denied image is refused with POLICY_DENIED and nothing written', async () => {
      const audit = auditFile();
      const r = await capture((io) => runPull(`${APP()}:v1`, { format: 'json', output: 'app-layout', policy: 'policy.yaml', audit }, io));
      assert.equal(r.code, 0, r.out + r.err);
      const doc = JSON.parse(r.out) as { digest: string; trusted: boolean; policy: { rule: string; verdict: string } };
      assert.equal(doc.digest, app.digest);
      assert.deepEqual(doc.policy, { rule: 'release', verdict: 'allow', mode: 'enforce' });
      const index = JSON.parse(readFileSync(join(home, 'app-layout', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      assert.deepEqual(
        index.manifests.map((m) => m.digest),
        [app.digest],
      );

      const denied = await capture((io) =>
        runPull(`${OTHER()}:v1`, { format: 'table', output: 'other-layout', policy: 'policy.yaml', audit }, io),
      );
      assert.equal(denied.code, 1);
      assert.match(denied.err, /policy\/other:v1: denied by the trust policy \(rule release\): rule release: 2 of 3.*\[POLICY_DENIED\]/);
      assert.equal(existsSync(join(home, 'other-layout')), false, 'nothing is written for a denied image');
      const json = await capture((io) => runPull(`${ELSEWHERE()}:v1`, { format: 'json', output: 'x-layout', policy: 'policy.yaml' }, io));
      assert.equal(json.code, 1);
      assert.equal((JSON.parse(json.out) as { error: { code: string } }).error.code, 'POLICY_DENIED');
      assert.deepEqual(records(audit).map(summary), [
        ['pull', `${APP()}:v1`, 'allow', 'release', true],
        ['pull', `${OTHER()}:v1`, 'deny', 'release', false],
      ]);
    });

    it('warn mode: pulled with the warning on stderr', async () => {
      const r = await capture((io) => runPull(`${WARNED()}:v1`, { format: 'json', output: 'warned-layout', policy: 'policy.yaml' }, io));
      assert.equal(r.code, 0, r.err);
      assert.equal((JSON.parse(r.out) as { digest: string }).digest, warned.digest);
      assert.match(r.err, /^warning: .*warned\/app:v1: rule lenient/m);
    });
  });

  describe('dct pin --policy', () => {
    it('pins to the decided digest; a denied reference fails its file, --check fails; audited', async () => {
      const audit = auditFile();
      writeFileSync(join(home, 'Dockerfile'), `FROM ${APP()}:v1 AS base\nCOPY --from=${APP()}:v1 /a /b\nFROM base\n`);
      writeFileSync(join(home, 'pod.yaml'), `spec:\n  containers:\n  - image: ${OTHER()}:v1\n`);
      const pin = (files: string[], check = false) =>
        capture((io) => runPin(files, { check, update: false, format: 'text', policy: 'policy.yaml', audit }, io));
      const checked = await pin(['Dockerfile'], true);
      assert.equal(checked.code, 1, 'a file that would change fails --check');
      const r = await pin(['Dockerfile', 'pod.yaml']);
      assert.equal(r.code, 1);
      assert.equal(
        readFileSync(join(home, 'Dockerfile'), 'utf8'),
        `FROM ${APP()}:v1@${app.digest} AS base\nCOPY --from=${APP()}:v1@${app.digest} /a /b\nFROM base\n`,
      );
      assert.equal(readFileSync(join(home, 'pod.yaml'), 'utf8'), `spec:\n  containers:\n  - image: ${OTHER()}:v1\n`);
      assert.match(r.err, /pod\.yaml:3: .*policy\/other:v1: .*denied by the trust policy \(rule release\)/);
      assert.equal((await pin(['Dockerfile'], true)).code, 0, 'pinned and allowed: --check passes');
      const decided = records(audit);
      assert.ok(decided.every((x) => x.point === 'pin'));
      assert.deepEqual(decided.filter((x) => x.verdict === 'deny').map(summary), [['pin', `${OTHER()}:v1`, 'deny', 'release', false]]);
      assert.equal(decided.filter((x) => x.verdict === 'allow').length, 2 + 2 + 2, 'two references, each decided at every run');
    });
  });

  describe('dct docker --policy', () => {
    const docker = (args: string[], extra: Record<string, string> = {}) => capture((io) => runDocker(args, io), extra);

    it('run/create/pull: the image becomes name@<decided digest>; a deny stops before docker runs (exit 125 for run)', async () => {
      const audit = auditFile();
      const run = await docker(['--dry-run', '--policy', 'policy.yaml', `--audit=${audit}`, 'run', '--rm', '-it', `${APP()}:v1`, 'sh']);
      assert.deepEqual(run, { code: 0, out: `docker run --rm -it ${APP()}@${app.digest} sh\n`, err: '' });
      const pull = await docker(['--dry-run', 'pull', `${APP()}:v1`], { DCT_POLICY: 'policy.yaml', DCT_AUDIT: audit });
      assert.equal(pull.code, 0, pull.err);
      assert.equal(
        pull.out,
        `Pull (1 of 1): ${APP()}:v1@${app.digest}\ndocker pull ${APP()}@${app.digest}\ndocker tag ${APP()}@${app.digest} ${APP()}:v1\n`,
      );
      const denied = await docker(['--dry-run', '--policy', 'policy.yaml', '--audit', audit, 'create', `${OTHER()}:v1`]);
      assert.equal(denied.code, 125);
      assert.equal(denied.out, '');
      assert.match(
        denied.err,
        /^docker: .*policy\/other:v1: denied by the trust policy \(rule release\).* \[POLICY_DENIED\]\n\nRun 'docker create --help'/,
      );
      // --all-tags: each released tag decided (the only one, v1, signed in every format)
      const all = await docker(['--dry-run', '--policy', 'policy.yaml', '--audit', audit, 'pull', '-a', APP()]);
      assert.equal(all.code, 0, all.err);
      assert.equal(
        all.out,
        `Pull (1 of 1): ${APP()}:v1@${app.digest}\ndocker pull ${APP()}@${app.digest}\ndocker tag ${APP()}@${app.digest} ${APP()}:v1\n`,
      );
      // a digest reference is decided too: one no rule matches is refused
      const byDigest = await docker([
        '--dry-run',
        '--policy',
        'policy.yaml',
        '--audit',
        audit,
        'pull',
        `${ELSEWHERE()}@${elsewhere.digest}`,
      ]);
      assert.equal(byDigest.code, 1);
      assert.match(byDigest.err, /default deny.*\[POLICY_DENIED\]/);
      assert.deepEqual(records(audit).map(summary), [
        ['docker', `${APP()}:v1`, 'allow', 'release', true],
        ['docker', `${APP()}:v1`, 'allow', 'release', true],
        ['docker', `${OTHER()}:v1`, 'deny', 'release', false],
        ['docker', `${APP()}:v1`, 'allow', 'release', true],
        ['docker', `${ELSEWHERE()}@${elsewhere.digest}`, 'deny', null, false],
      ]);
      assert.deepEqual(
        records(audit).map((x) => x.context['command']),
        ['dct docker run', 'dct docker pull', 'dct docker create', 'dct docker pull', 'dct docker pull'],
      );
    });

    it('build: FROM, COPY --from= and RUN --mount=from= pinned to decided digests; one denied image stops the build', async () => {
      mkdirSync(join(home, 'ctx'), { recursive: true });
      writeFileSync(
        join(home, 'ctx', 'Dockerfile'),
        `FROM ${APP()}:v1 AS base\nCOPY --from=${WARNED()}:v1 /a /b\nRUN --mount=type=bind,from=${APP()}:v1,target=/m true\nCOPY --from=base /x /y\n`,
      );
      const audit = auditFile();
      const r = await docker(['--dry-run', '--policy', 'policy.yaml', '--audit', audit, 'build', '-t', 'x', 'ctx']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^docker build -t x ctx --file=.*\/Dockerfile\n$/);
      const notes = r.err.split('\n').filter((l) => l.includes(' -> '));
      assert.deepEqual(notes, [
        `ctx/Dockerfile:1: FROM ${APP()}:v1 -> ${APP()}@${app.digest}`,
        `ctx/Dockerfile:2: COPY --from=${WARNED()}:v1 -> ${WARNED()}@${warned.digest}`,
        `ctx/Dockerfile:3: RUN --mount=from=${APP()}:v1 -> ${APP()}@${app.digest}`,
      ]);
      assert.match(r.err, /^warning: .*warned\/app:v1: rule lenient/m);
      assert.deepEqual(
        records(audit)
          .map(summary)
          .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
        [
          ['docker', `${APP()}:v1`, 'allow', 'release', true],
          ['docker', `${APP()}:v1`, 'allow', 'release', true],
          ['docker', `${WARNED()}:v1`, 'allow', 'lenient', true],
        ],
      );

      writeFileSync(join(home, 'ctx', 'Dockerfile'), `FROM ${APP()}:v1\nCOPY --from=${OTHER()}:v1 /a /b\n`);
      const denied = await docker(['--dry-run', '--policy', 'policy.yaml', 'build', 'ctx']);
      assert.equal(denied.code, 1);
      assert.equal(denied.out, '');
      assert.match(
        denied.err,
        /^ctx\/Dockerfile:2: COPY --from=.*policy\/other:v1: .*denied by the trust policy \(rule release\).*\[POLICY_DENIED\]$/m,
      );
    });

    it('from the command line (src/cli/main.ts): docker, verify and pull take --policy/--audit and DCT_POLICY', async () => {
      const dct = (args: string[], extra: Record<string, string> = {}) =>
        new Promise<Run>((done) =>
          execFile(
            process.execPath,
            ['--import', import.meta.resolve('tsx'), join(PROJECT_ROOT, 'src/cli/main.ts'), ...args],
            { cwd: home, env: { ...env, ...extra } },
            (err, out, errOut) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
          ),
        );
      const audit = auditFile();
      const [run, verify, pull] = await Promise.all([
        dct(['docker', '--dry-run', 'run', `${APP()}:v1`], { DCT_POLICY: 'policy.yaml', DCT_AUDIT: audit }),
        dct(['verify', `${OTHER()}:v1`, '--policy', 'policy.yaml', '--audit', audit, '--format', 'json']),
        dct(['pull', `${ELSEWHERE()}:v1`, '--policy', 'policy.yaml', '--output', 'cli-layout']),
      ]);
      assert.deepEqual(run, { code: 0, out: `docker run ${APP()}@${app.digest}\n`, err: '' });
      assert.equal(verify.code, 1, verify.err);
      assert.equal((JSON.parse(verify.out) as ImageDecision[])[0]?.verdict, 'deny');
      assert.equal(pull.code, 1);
      assert.match(pull.err, /default deny.*\[POLICY_DENIED\]/);
      assert.deepEqual(records(audit).map(summary).sort(), [
        ['docker', `${APP()}:v1`, 'allow', 'release', true],
        ['verify', `${OTHER()}:v1`, 'deny', 'release', false],
      ]);
    });

    it('without a policy: DCT as before (the cosign-only image is not pinned by DCT)', async () => {
      const r = await docker(['--dry-run', 'run', `${APP()}:v1`]);
      assert.deepEqual(r, { code: 0, out: `docker run ${APP()}@${app.digest}\n`, err: '' });
      const unsigned = await docker(['--dry-run', 'run', `${WARNED()}:v1`]);
      assert.equal(unsigned.code, 125);
      assert.doesNotMatch(unsigned.err, /POLICY_DENIED/);
    });
  });
});
