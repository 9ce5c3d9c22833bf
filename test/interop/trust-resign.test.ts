/**
 * `dct trust resign` on trust data the REAL tools made: a repository built by the real
 * `docker trust` (signer add, revoke) and `notary` (addhash, a signer-only delegation, the
 * targets and root keys rotated) CLIs on the real notary-server (reference stack; see
 * trust-resign-world.ts for the tags), its images in the real docker-registry 2.8 (no
 * referrers API: the tag fallbacks) and in dct server's embedded registry (the referrers API)
 * — one GUN per registry, both with their trust data on notary-server.
 *
 * Re-signed as cosign (bundle referrers) and as Notation from notary-server, and with
 * notary-server STOPPED from a bundle `dct trust export` made of it (cosign's legacy `.sig`
 * layout, another key): every tag docker would pull (the real `docker trust inspect`'s
 * SignedTags) verifies with dct's verifiers, and its provenance annotations name the real
 * signers, their key IDs (docker's) and notary-server's targets version; the report lists
 * every tag of `notary list` and of the registry — the revoked, the unsigned and the
 * carol-only one skipped with why; a re-run changes nothing in the registry.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { readBundleFile } from '../../src/adapters/trust-bundle/bundle-file.js';
import { runCosign } from '../../src/cli/commands/cosign/index.js';
import { runNotation } from '../../src/cli/commands/notation/index.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { dctTrust, dockerEnv, type TrustRun } from '../cli/trust-export-support.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools, startReferenceStack, type NotaryListRow, type ReferenceStack } from '../support/reference-stack.js';
import {
  builder,
  buildTrustData,
  dockerInspect,
  IMAGE_TAGS,
  makeSignerKeys,
  notaryList,
  pushImages,
  registrySnapshot,
  serverTargetsVersion,
  type Builder,
  type DockerInspect,
  type PushedImage,
} from './trust-resign-world.js';

const unavailable = (await ensureReferenceTools()) ?? missingTool('docker');
const P = 'dev.dct.provenance.';

interface TagRow {
  tag: string;
  digest: string;
  outcome: string;
  reason?: string;
  code?: string;
  stored?: string;
  roles: string[];
  annotations?: Record<string, string>;
}
interface RepoRow {
  gun: string;
  verified: boolean;
  keyId: string;
  targetsVersion: number;
  tags: TagRow[];
  warnings: string[];
}
interface Report {
  as: string;
  layout: string;
  source: { kind: string; url?: string; path?: string };
  complete: boolean;
  summary: { migrated: number; wouldSign: number; skipped: number; failed: number };
  repositories: RepoRow[];
}

/** One registry with its repository: the GUN, its images, and what the real tools say of its trust data. */
interface Target {
  name: string;
  host: string;
  repo: string;
  gun: string;
  images: Map<string, PushedImage>;
  listed: NotaryListRow[];
  inspect: DockerInspect;
  targetsVersion: number;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** Stops notary-server alone (its pid from the stack's pid file; the signer and registry keep running). */
async function stopNotaryServer(stack: ReferenceStack): Promise<void> {
  const pid = Number(readFileSync(join(stack.stateDir, 'run', 'notary-server.pid'), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
      if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return; // a zombie no one reaped yet: gone too
    } catch {
      return; // gone
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`notary-server (pid ${pid}) did not stop`);
}

describe(
  'dct trust resign: a repository the real docker trust and notary built on notary-server',
  { skip: interopSkip(unavailable) },
  () => {
    const work = mkdtempSync(join(tmpdir(), 'dct-trust-resign-interop-'));
    let stack: ReferenceStack | undefined;
    let dct: RunningServer | undefined;
    let b: Builder;
    let env: Record<string, string>;
    const targets: Target[] = [];
    const bundle = join(work, 'notary-server.tar');

    const trust = (args: string[]): Promise<TrustRun> => dctTrust(args, env);
    const ok = (r: TrustRun, what: string): TrustRun => {
      assert.equal(r.code, 0, `${what}: ${r.out}${r.err}`);
      return r;
    };
    const cosign = async (args: string[]): Promise<TrustRun> => {
      let out = '';
      let err = '';
      const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
      const code = await runCosign(args, { io, env, now: () => new Date() });
      return { code, out, err };
    };
    const notation = async (args: string[]): Promise<TrustRun> => {
      let out = '';
      let err = '';
      const code = await runNotation(args, { io: { out: (s) => void (out += s), err: (s) => void (err += s) }, env });
      return { code, out, err };
    };

    before(async () => {
      stack = await startReferenceStack({ logLevel: 'warn' });
      const server = { url: stack.serverUrl, caFile: stack.caFile };
      const data = join(work, 'dct-server');
      mkdirSync(data, { recursive: true });
      const config = loadConfig({
        env: {},
        flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
      });
      dct = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'resign-interop' }, pino({ level: 'warn' }));
      b = builder(server, join(work, 'builder'));
      await makeSignerKeys(b);
      const registries: Array<[string, string]> = [
        ['docker-registry 2.8', `127.0.0.1:${stack.registryPort}`],
        ["dct server's embedded registry", new URL(dct.url).host],
      ];
      for (const [name, host] of registries) {
        const repo = `resign-interop/app-${process.pid}`;
        const gun = `${host}/${repo}`;
        const images = await pushImages(host, repo);
        await buildTrustData(b, gun, images);
        targets.push({
          name,
          host,
          repo,
          gun,
          images,
          listed: await notaryList(b, join(work, 'reader-trust'), gun),
          inspect: await dockerInspect(b, gun),
          targetsVersion: await serverTargetsVersion(server, gun),
        });
      }
      env = {
        ...dockerEnv(server, join(work, 'resigner')),
        COSIGN_PASSWORD: 'resign-interop-cosign',
        NOTATION_CONFIG: join(work, 'resigner', 'notation'),
      };
      ok(await cosign(['generate-key-pair', '--output-key-prefix', join(work, 'release')]), 'cosign generate-key-pair');
      ok(await cosign(['generate-key-pair', '--output-key-prefix', join(work, 'legacy')]), 'cosign generate-key-pair');
      ok(await notation(['cert', 'generate-test', '--default', 'resign.interop']), 'notation cert generate-test');
      const policy = join(work, 'trustpolicy.json');
      const rule = { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustedIdentities: ['*'] };
      writeFileSync(policy, JSON.stringify({ version: '1.0', trustPolicies: [{ ...rule, trustStores: ['ca:resign.interop'] }] }));
      ok(await notation(['policy', 'import', '--force', policy]), 'notation policy import');
    });
    after(async () => {
      await stack?.stop();
      await dct?.close();
      rmSync(work, { recursive: true, force: true });
    });

    /** the released tags (docker's rule, as the real docker trust inspect applies it) */
    const released = (t: Target) => new Map(t.inspect.SignedTags.map((s) => [s.SignedTag, s]));
    const keysOf = (t: Target, names: readonly string[]) =>
      names.flatMap((n) =>
        n === 'Repo Admin'
          ? (t.inspect.AdministrativeKeys.find((k) => k.Name === 'Repository')?.Keys ?? [])
          : (t.inspect.Signers.find((s) => s.Name === n)?.Keys ?? []),
      );

    it('the trust data is as the real tools built it', () => {
      for (const t of targets) {
        assert.deepEqual(
          t.listed.map((r) => `${r.name} ${r.role}`),
          ['v1 targets', 'v2 targets/alice', 'v3 targets/releases', 'v5 targets/carol', 'v7 targets', 'v8 targets/releases', 'v9 targets'],
          `${t.name}: notary list (v4 revoked, v6 never signed)`,
        );
        assert.deepEqual(
          t.inspect.SignedTags.map((s) => `${s.SignedTag} ${s.Signers.join(',')}`),
          ['v1 Repo Admin', 'v2 alice,bob', 'v3 bob', 'v7 Repo Admin', 'v8 Repo Admin', 'v9 Repo Admin'],
          `${t.name}: docker trust inspect`,
        );
        for (const row of t.listed) assert.equal(`sha256:${row.digest}`, t.images.get(row.name)?.digest, row.name);
      }
    });

    /**
     * The report of one repository against what the real tools say: every tag of `notary list`
     * and of the registry, each released one `migrated` (its provenance naming docker's
     * signers and their keys, notary-server's targets version, `origin`), v5 not released, v4
     * (revoked) and v6 (never signed) not signed through DCT.
     */
    function checkReport(t: Target, repo: RepoRow | undefined, origin: Record<string, string>): TagRow[] {
      assert.ok(repo, `${t.gun} is in the report`);
      assert.equal(repo.verified, true);
      assert.equal(repo.targetsVersion, t.targetsVersion);
      const rows = new Map(repo.tags.map((r) => [r.tag, r]));
      assert.deepEqual(sorted(rows.keys()), sorted(new Set([...t.listed.map((r) => r.name), ...IMAGE_TAGS])), t.name);
      for (const row of t.listed) assert.equal(rows.get(row.name)?.digest, `sha256:${row.digest}`, row.name);
      const rel = released(t);
      for (const [tag, r] of rows) {
        const signed = rel.get(tag);
        if (!signed) {
          assert.equal(r.outcome, 'skipped', `${t.name} ${tag}: ${JSON.stringify(r)}`);
          const listedRow = t.listed.find((l) => l.name === tag);
          assert.match(r.reason ?? '', listedRow ? /only signed by targets\/carol, not released/ : /never signed, or revoked/, tag);
          assert.equal(r.digest, listedRow ? `sha256:${listedRow.digest}` : '', tag);
          continue;
        }
        if (!t.images.get(tag)?.pushed) {
          // signed through DCT, but no such image in the registry: that tag fails alone, with a code
          assert.equal(r.outcome, 'failed', `${t.name} ${tag}: ${JSON.stringify(r)}`);
          assert.match(r.code ?? '', /^(COSIGN_IMAGE_NOT_FOUND|NOTATION_ARTIFACT_NOT_FOUND)$/, JSON.stringify(r));
          assert.match(r.reason ?? '', new RegExp(`${r.digest}.*(does not exist|not found)`), JSON.stringify(r));
          continue;
        }
        assert.equal(r.outcome, 'migrated', `${t.name} ${tag}: ${JSON.stringify(r)}`);
        assert.equal(r.digest, `sha256:${signed.Digest}`);
        const a = r.annotations ?? {};
        assert.equal(a[`${P}gun`], t.gun);
        assert.equal(a[`${P}tag`], tag);
        assert.equal(a[`${P}digest`], r.digest);
        assert.equal(a[`${P}signers`], signed.Signers.join(','), `${tag}: docker's signers`);
        assert.equal(a[`${P}targetsVersion`], String(t.targetsVersion));
        const keyIds = (a[`${P}keyIds`] ?? '').split(',');
        const repositoryKey = keysOf(t, ['Repo Admin']).map((k) => k.ID);
        if (r.roles.join() === 'targets') assert.deepEqual(keyIds, repositoryKey, `${tag}: the targets key (the rotated one)`);
        const named = signed.Signers.filter((n) => n !== 'Repo Admin');
        for (const k of keysOf(t, named)) assert.ok(keyIds.includes(k.ID), `${tag}: ${k.ID} (docker's) in ${keyIds.join(',')}`);
        const everyKey = keysOf(t, ['Repo Admin', ...t.inspect.Signers.map((s) => s.Name)]).map((k) => k.ID);
        for (const k of keyIds) assert.ok(everyKey.includes(k), `${tag}: ${k} is a key docker trust inspect names`);
        for (const [k, v] of Object.entries(origin)) assert.equal(a[`${P}${k}`], v, `${tag}: ${k}`);
      }
      return [...rows.values()].filter((r) => r.outcome === 'migrated');
    }

    const reportOf = (r: TrustRun): Report => JSON.parse(r.out) as Report;
    /** a run's report: exit 1 (RESIGN_INCOMPLETE), for v9 alone failed in each repository */
    const resign = async (args: string[], what: string): Promise<Report> => {
      const r = await trust(args);
      assert.equal(r.code, 1, `${what}: ${r.out}${r.err}`);
      const rep = reportOf(r);
      assert.equal(rep.complete, false);
      assert.deepEqual(
        rep.repositories.map((x) => [x.verified, x.tags.filter((t) => t.outcome === 'failed').map((t) => t.tag)]),
        rep.repositories.map(() => [true, ['v9']]),
        what,
      );
      return rep;
    };
    /** how many tags a run migrates: those docker would pull whose image is in the registry */
    const migratable = (t: Target) => [...released(t).keys()].filter((tag) => t.images.get(tag)?.pushed).length;

    /** a re-run: nothing migrated, every released tag already signed, the registries unchanged */
    async function rerunChangesNothing(args: string[], format: string): Promise<void> {
      const before = await Promise.all(targets.map((t) => registrySnapshot(t.host, t.repo, t.images)));
      const again = await resign(args, 're-run');
      assert.equal(again.summary.migrated, 0);
      for (const repo of again.repositories) {
        const rel = released(targets.find((t) => t.gun === repo.gun)!);
        for (const r of repo.tags.filter((x) => rel.has(x.tag) && x.tag !== 'v9'))
          assert.match(r.reason ?? '', new RegExp(`already signed in the ${format} format`), r.tag);
      }
      const after = await Promise.all(targets.map((t) => registrySnapshot(t.host, t.repo, t.images)));
      assert.deepEqual(after, before);
    }

    it(
      'as cosign from notary-server, in both registries: dct cosign verify --key accepts the released digests',
      { timeout: 120_000 },
      async () => {
        for (const t of targets) {
          const args = ['resign', t.gun, '--server', stack!.serverUrl, '--as', 'cosign', '--key', join(work, 'release.key')];
          const rep = await resign([...args, '--tlog-upload=false', '--format', 'json'], `${t.name}: resign`);
          assert.deepEqual(rep.source, { kind: 'server', url: stack!.serverUrl });
          const migrated = checkReport(t, rep.repositories[0], { trustServer: stack!.serverUrl });
          assert.equal(migrated.length, migratable(t));
          for (const r of migrated) {
            const v = await cosign(['verify', '--key', join(work, 'release.pub'), '--insecure-ignore-tlog', `${t.gun}@${r.digest}`]);
            assert.equal(v.code, 0, `${t.name} ${r.tag}: ${v.err}`);
            const [payload] = JSON.parse(v.out) as Array<{ optional: Record<string, string> }>;
            assert.deepEqual(payload?.optional, r.annotations, `${r.tag}: the signed annotations are the report's`);
          }
          for (const tag of ['v4', 'v5', 'v6']) {
            const v = await cosign([
              'verify',
              '--key',
              join(work, 'release.pub'),
              '--insecure-ignore-tlog',
              `${t.gun}@${t.images.get(tag)!.digest}`,
            ]);
            assert.notEqual(v.code, 0, `${t.name} ${tag} is not re-signed`);
          }
          await rerunChangesNothing([...args, '--tlog-upload=false', '--format', 'json'], 'cosign');
        }
      },
    );

    it(
      'as Notation from notary-server, in both registries: dct notation verify accepts the released digests',
      { timeout: 120_000 },
      async () => {
        for (const t of targets) {
          const args = ['resign', t.gun, '--server', stack!.serverUrl, '--as', 'notation', '--format', 'json'];
          const rep = await resign(args, `${t.name}: resign`);
          assert.equal(rep.layout, 'jws');
          const migrated = checkReport(t, rep.repositories[0], { trustServer: stack!.serverUrl });
          assert.equal(migrated.length, migratable(t));
          for (const r of migrated) {
            const signers = `${P}signers=${r.annotations?.[`${P}signers`] ?? ''}`;
            const v = await notation(['verify', `${t.gun}@${r.digest}`, '--user-metadata', `${P}tag=${r.tag}`, '--user-metadata', signers]);
            assert.equal(v.code, 0, `${t.name} ${r.tag}: ${v.out}${v.err}`);
            const inspect = ok(await notation(['inspect', `${t.gun}@${r.digest}`, '--output', 'json']), 'notation inspect');
            const sigs = (JSON.parse(inspect.out) as { signatures: Array<{ userDefinedAttributes?: Record<string, string> }> }).signatures;
            assert.deepEqual(
              sigs.map((s) => s.userDefinedAttributes),
              [r.annotations],
            );
          }
          for (const tag of ['v4', 'v5', 'v6']) {
            const v = await notation(['verify', `${t.gun}@${t.images.get(tag)!.digest}`]);
            assert.notEqual(v.code, 0, `${t.name} ${tag} is not re-signed`);
          }
          await rerunChangesNothing(args, 'notation');
        }
      },
    );

    it(
      'from a bundle exported from notary-server, notary-server stopped: both registries in one run (cosign, legacy layout)',
      { timeout: 120_000 },
      async () => {
        ok(await trust(['export', ...targets.map((t) => t.gun), '--server', stack!.serverUrl, '-o', bundle]), 'trust export');
        const verified = JSON.parse(ok(await trust(['verify-bundle', bundle, '--format', 'json']), 'verify-bundle').out) as {
          exportedAt: string;
        };
        const manifest = JSON.parse((await readBundleFile(bundle)).manifest.toString('utf8')) as {
          repositories: Array<{ roots: number[] }>;
        };
        assert.deepEqual(
          manifest.repositories.map((r) => r.roots),
          targets.map(() => [1, 2, 3]),
          'the root chain: v2 (the targets key rotated), v3 (the root key rotated)',
        );
        await stopNotaryServer(stack!);
        const key = ['--as', 'cosign', '--key', join(work, 'legacy.key'), '--new-bundle-format=false', '--tlog-upload=false'];
        const gone = await trust(['resign', targets[0]!.gun, '--server', stack!.serverUrl, ...key, '--format', 'json']);
        assert.equal(gone.code, 1, 'notary-server is stopped: nothing verifies from it');
        assert.equal(reportOf(gone).repositories[0]?.verified, false);

        const args = ['resign', '--bundle', bundle, ...key, '--format', 'json'];
        const rep = await resign(args, 'resign --bundle');
        assert.equal(rep.layout, 'legacy');
        assert.deepEqual(sorted(rep.repositories.map((r) => r.gun)), sorted(targets.map((t) => t.gun)));
        for (const t of targets) {
          const origin = { bundle: 'notary-server.tar', bundleExportedAt: verified.exportedAt, trustServer: stack!.serverUrl };
          const migrated = checkReport(
            t,
            rep.repositories.find((r) => r.gun === t.gun),
            origin,
          );
          assert.equal(migrated.length, migratable(t));
          for (const r of migrated) {
            assert.match(r.stored ?? '', /^sha256-[0-9a-f]{64}\.sig$/);
            const verify = ['verify', '--key', join(work, 'legacy.pub'), '--insecure-ignore-tlog', '--new-bundle-format=false'];
            const v = await cosign([...verify, '-a', `${P}bundle=notary-server.tar`, `${t.gun}@${r.digest}`]);
            assert.equal(v.code, 0, `${t.name} ${r.tag}: ${v.err}`);
          }
        }
        await rerunChangesNothing(args, 'cosign');
      },
    );
  },
);
