/**
 * `dct trust export` / `dct trust verify-bundle` against `dct server`, on a repository the
 * real notary CLI built (delegation with two signers, a signer's own role, a removed tag,
 * a root rotation): export, stop the server, verify offline; the tag table equals what
 * `notary list` printed; the cache-only export; tampered bundles refused with their codes;
 * expired data labelled and verified as of the export; a server dying mid-export leaves
 * no bundle.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { TarBundleWriter } from '../../src/adapters/trust-bundle/bundle-file.js';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../src/adapters/notary-http/remote-repository.js';
import { exportBundle } from '../../src/app/trust-export/export-bundle.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import type { NotaryListRow } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';
import { buildRepository, dctTrust, dockerEnv, notaryList, rewriteBundle, rowsOf, tagsAsRows } from './trust-export-support.js';

const unavailable = missingTool('notary', 'openssl');
const DAY = 24 * 3600 * 1000;

interface Verdict {
  verified: boolean;
  repositories: Array<{
    gun: string;
    verified: boolean;
    code?: string;
    message?: string;
    asOf?: string;
    label?: string;
    expired: Array<{ role: string }>;
    roots: number[];
  }>;
}

async function startDct(dir: string): Promise<RunningServer> {
  const config = loadConfig({
    env: {},
    flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(dir, 'dct.db')}`, dataDir: join(dir, 'data'), logLevel: 'warn' },
  });
  return startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'export-test-keys' }, pino({ level: 'warn' }));
}

describe('dct trust export | verify-bundle against dct server', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-export-'));
  let server: RunningServer | undefined;
  let target: TrustServerUnderTest;
  let env: Record<string, string>;
  const gun = `127.0.0.1:15000/export/app-${process.pid}`;
  const other = `127.0.0.1:15000/export/other-${process.pid}`;
  let listed: NotaryListRow[];
  const bundle = join(work, 'bundle.tar');
  const cacheDir = join(work, 'reader-trust');
  const exportedAt = new Date();

  before(async () => {
    server = await startDct(work);
    target = { url: server.url, caFile: server.caFile as string };
    env = dockerEnv(target, work);
    await buildRepository(target, join(work, 'build'), gun);
    await buildRepository(target, join(work, 'build-other'), other);
    listed = await notaryList(target, cacheDir, gun); // a real client read: fills cacheDir/tuf/<gun>/metadata
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports from the server (--all: its changefeed), then verifies offline once the server is gone', { timeout: 120_000 }, async () => {
    const single = await dctTrust(['export', gun, '--server', target.url, '-o', join(work, 'single.tar')], env, exportedAt);
    assert.equal(single.code, 0, single.err);
    assert.match(single.out, new RegExp(`${gun.replace(/[.]/g, '\\.')}: root chain v1\\.\\.v2, 5 tags`));
    const all = await dctTrust(['export', '--all', '--server', target.url, '-o', bundle, '--format', 'json'], env, exportedAt);
    assert.equal(all.code, 0, all.err);
    const summary = JSON.parse(all.out) as { repositories: Array<{ gun: string; roots: number[] }> };
    assert.deepEqual(summary.repositories.map((r) => r.gun).sort(), [gun, other].sort());
    // data that has expired by the export's clock (the server's timestamp lasts 14 days): exported as of just before it expired
    const later = new Date(Date.now() + 30 * DAY);
    const stale = await dctTrust(['export', gun, '--server', target.url, '-o', join(work, 'stale.tar'), '--format', 'json'], env, later);
    assert.equal(stale.code, 0, stale.out + stale.err);
    const staleRepo = (
      JSON.parse(stale.out) as { repositories: Array<{ expired: Array<{ role: string; expires: string }>; verifiedAsOf: string }> }
    ).repositories[0]!;
    assert.deepEqual(
      staleRepo.expired.map((e) => e.role),
      ['timestamp'],
    );
    assert.equal(new Date(staleRepo.verifiedAsOf).getTime(), new Date(staleRepo.expired[0]!.expires).getTime() - 1000);
    await server?.close();
    server = undefined;
    const v = await dctTrust(['verify-bundle', bundle, '--format', 'json'], env);
    assert.equal(v.code, 0, v.out + v.err);
    const verdict = JSON.parse(v.out) as Verdict;
    assert.equal(verdict.verified, true);
    assert.deepEqual(verdict.repositories.find((r) => r.gun === gun)?.roots, [1, 2]);
    const text = await dctTrust(['verify-bundle', bundle], env);
    assert.equal(text.code, 0);
    assert.match(text.out, /Verified: 2 repositories/);
    assert.match(text.out, /trust anchor: root v1, root key [0-9a-f]{64} \(trusted on first use/);
  });

  it('the tag table is what notary list printed (v2 removed; v4 released by alice/bob; v5 only in targets/bob)', async () => {
    const { readBundleFile } = await import('../../src/adapters/trust-bundle/bundle-file.js');
    const manifest = JSON.parse((await readBundleFile(bundle)).manifest.toString('utf8')) as {
      repositories: Array<{
        gun: string;
        tags: Array<{ name: string; digest: string; size: number; released: boolean; roles: Array<{ role: string; keyIds: string[] }> }>;
      }>;
    };
    const tags = manifest.repositories.find((r) => r.gun === gun)!.tags;
    assert.deepEqual(tagsAsRows(tags), rowsOf(listed));
    assert.deepEqual(
      tags.map((t) => t.name),
      ['v1', 'v3', 'v4', 'v5', 'v6'],
    );
    const v4 = tags.find((t) => t.name === 'v4')!;
    assert.equal(v4.released, true);
    assert.deepEqual(
      v4.roles.map((r) => r.role),
      ['targets/releases'],
    );
    assert.equal(v4.roles[0]!.keyIds.length, 2); // notary signs with every key it holds for the role: alice's and bob's
    assert.equal(tags.find((t) => t.name === 'v5')!.released, false);
  });

  it('exports from the cache alone, saying so and how old it is; the bundle verifies', async () => {
    const out = join(work, 'cache.tar');
    const r = await dctTrust(['export', '--from-cache', '--trust-dir', cacheDir, gun, '-o', out], env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /from the cache ONLY/);
    assert.match(r.out, /old\)/);
    assert.match(r.out, /cannot prove the rotations before it/);
    const v = await dctTrust(['verify-bundle', out, '--format', 'json'], env);
    assert.equal(v.code, 0, v.out);
    assert.deepEqual((JSON.parse(v.out) as Verdict).repositories[0]!.roots, [2]);
    const missing = await dctTrust(['export', '--from-cache', '--trust-dir', cacheDir, other, '-o', join(work, 'none.tar')], env);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /\[BUNDLE_NOT_IN_CACHE\]/);
    assert.equal(existsSync(join(work, 'none.tar')), false);
  });

  it('an expired cache is exported as of its own time and labelled; verify-bundle labels it too', async () => {
    const later = new Date(Date.now() + 30 * DAY); // past the timestamp's 14 days
    const out = join(work, 'expired.tar');
    const r = await dctTrust(['export', '--from-cache', '--trust-dir', cacheDir, gun, '-o', out, '--format', 'json'], env, later);
    assert.equal(r.code, 0, r.out + r.err);
    const summary = JSON.parse(r.out) as { repositories: Array<{ expired: Array<{ role: string }>; verifiedAsOf: string }> };
    assert.deepEqual(
      summary.repositories[0]!.expired.map((e) => e.role),
      ['timestamp'],
    );
    assert.ok(new Date(summary.repositories[0]!.verifiedAsOf) < new Date(Date.now() + DAY));
    const v = await dctTrust(['verify-bundle', out, '--format', 'json'], env, later);
    assert.equal(v.code, 0, v.out);
    const repo = (JSON.parse(v.out) as Verdict).repositories[0]!;
    assert.match(repo.label ?? '', /^expired since .* \(timestamp\); verified as of /);
    const text = await dctTrust(['verify-bundle', out], env, later);
    assert.match(text.out, /expired since .*; verified as of/);
    const strict = await dctTrust(['verify-bundle', out, '--at', later.toISOString(), '--format', 'json'], env, later);
    assert.equal(strict.code, 1);
    assert.equal((JSON.parse(strict.out) as Verdict).repositories[0]!.code, 'EXPIRED');
  });

  describe('tampered bundles are refused with stable codes', () => {
    const refused = async (name: string, edit: Parameters<typeof rewriteBundle>[2]): Promise<Verdict['repositories'][number]> => {
      const out = join(work, `${name}.tar`);
      await rewriteBundle(bundle, out, edit);
      const v = await dctTrust(['verify-bundle', out, '--format', 'json'], env);
      assert.equal(v.code, 1, v.out);
      const verdict = JSON.parse(v.out) as Verdict & { code?: string };
      if (verdict.code) return { gun: '', verified: false, code: verdict.code, expired: [], roots: [] };
      return verdict.repositories.find((r) => r.gun === gun)!;
    };
    const repoOf = (m: Record<string, unknown>) =>
      (m['repositories'] as Array<Record<string, unknown>>).find((r) => r['gun'] === gun) as {
        files: Array<{ path: string; sha256: string; length: number }>;
        roots: number[];
        tags: Array<{ name: string; digest: string }>;
      };
    const flipByte = (bytes: Buffer, at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at] === 0x31 ? 0x32 : 0x31;
      return copy;
    };
    const sha = async (b: Buffer) => (await import('node:crypto')).createHash('sha256').update(b).digest('hex');

    it('a changed byte in targets.json: BUNDLE_FILE_MISMATCH; with the manifest updated too, the snapshot pin refuses it', async () => {
      const path = `repositories/${gun}/targets.json`;
      const r1 = await refused('byte', (_m, files) =>
        files.set(path, flipByte(files.get(path)!, files.get(path)!.indexOf('"version"') + 10)),
      );
      assert.equal(r1.code, 'BUNDLE_FILE_MISMATCH');
      const { readBundleFile } = await import('../../src/adapters/trust-bundle/bundle-file.js');
      const original = (await readBundleFile(bundle)).files.get(path)!;
      const changed = flipByte(original, original.indexOf('"version"') + 10);
      const hash = await sha(changed);
      const r3 = await refused('byte-manifest-updated', (m, files) => {
        files.set(path, changed);
        const entry = repoOf(m).files.find((f) => f.path === path)!;
        entry.sha256 = hash;
        entry.length = changed.length;
      });
      assert.equal(r3.code, 'HASH_MISMATCH', r3.message);
    });

    it('a root chain with a missing link or a forged link: BUNDLE_ROOT_CHAIN_BROKEN', async () => {
      const r1 = await refused('missing-file', (_m, files) => void files.delete(`repositories/${gun}/1.root.json`));
      assert.equal(r1.code, 'BUNDLE_FILE_MISSING');
      const r2 = await refused('missing-link', (m, files) => {
        files.delete(`repositories/${gun}/1.root.json`);
        const repo = repoOf(m);
        repo.files = repo.files.filter((f) => !f.path.endsWith('/1.root.json'));
      });
      assert.equal(r2.code, 'BUNDLE_ROOT_CHAIN_BROKEN');
      assert.match(r2.message ?? '', /root version 1 of the chain is not in the bundle/);
      const r2b = await refused('gap', (m) => {
        repoOf(m).roots = [1, 3];
      });
      assert.equal(r2b.code, 'BUNDLE_ROOT_CHAIN_BROKEN');
      // the rotated root with a byte of its signed part changed: root v1's keys no longer sign it
      const path = `repositories/${gun}/2.root.json`;
      let forged: Buffer | undefined;
      const r3 = await refused('forged', (_m, files) => {
        const bytes = files.get(path)!;
        forged = flipByte(bytes, bytes.indexOf('"expires"') + 13);
        files.set(path, forged);
      });
      assert.equal(r3.code, 'BUNDLE_FILE_MISMATCH');
      const hash = await sha(forged!);
      const r4 = await refused('forged-manifest-updated', (m, files) => {
        files.set(path, forged!);
        const entry = repoOf(m).files.find((f) => f.path === path)!;
        entry.sha256 = hash;
      });
      assert.equal(r4.code, 'BUNDLE_ROOT_CHAIN_BROKEN', r4.message);
      assert.match(r4.message ?? '', /root version 2 is not signed by root version 1/);
    });

    it('a manifest claiming another digest: BUNDLE_TAGS_MISMATCH; not a bundle: BUNDLE_INVALID', async () => {
      const r = await refused('digest', (m) => {
        repoOf(m).tags.find((t) => t.name === 'v1')!.digest = `sha256:${'0'.repeat(64)}`;
      });
      assert.equal(r.code, 'BUNDLE_TAGS_MISMATCH');
      const extra = join(work, 'extra.tar');
      await rewriteBundle(bundle, extra, (_m, files) => void files.set(`repositories/${gun}/targets/mallory.json`, Buffer.from('{}')));
      const e = await dctTrust(['verify-bundle', extra], env);
      assert.equal(e.code, 0, e.out);
      assert.match(e.out, /ignored {3}repositories\/.*\/targets\/mallory\.json: not listed in the manifest/);
      assert.match(r.message ?? '', /tag "v1": the manifest says sha256:0+, the metadata signs sha256:[0-9a-f]{64}/);
      const junk = join(work, 'junk.tar');
      writeFileSync(junk, 'not a tar file'.repeat(100));
      const v = await dctTrust(['verify-bundle', junk], env);
      assert.equal(v.code, 1);
      assert.match(v.err, /\[BUNDLE_INVALID\]/);
    });
  });

  it(
    'a server that dies mid-export: a clear error and no bundle (an older one at --output stays as it was)',
    { timeout: 60_000 },
    async () => {
      const dir = mkdtempSync(join(work, 'fault-'));
      const dying = await startDct(dir);
      const t = { url: dying.url, caFile: dying.caFile as string };
      const g1 = `127.0.0.1:15000/export/first-${process.pid}`;
      const g2 = `127.0.0.1:15000/export/second-${process.pid}`;
      await buildRepository(t, join(dir, 'b1'), g1);
      await buildRepository(t, join(dir, 'b2'), g2);
      const output = join(dir, 'out.tar');
      writeFileSync(output, 'the previous bundle');
      const client = new NotaryClient({ baseUrl: t.url, caFile: t.caFile, timeoutMs: 5_000 });
      let exported = 0;
      await assert.rejects(
        exportBundle({
          items: [g1, g2].map((gun) => ({
            gun,
            async source() {
              if (exported++ === 1) await dying.close(); // the server goes away after the first repository
              return { kind: 'server' as const, url: t.url, remote: new NotaryRemoteRepository(client, gun, t.url) };
            },
          })),
          now: new Date(),
          dctVersion: 'test',
          writer: new TarBundleWriter(output),
        }),
        (err: Error & { code?: string }) => ['OFFLINE', 'NETWORK_ERROR'].includes(err.code ?? '') && err.message.includes(g2),
      );
      client.close();
      assert.equal(readFileSync(output, 'utf8'), 'the previous bundle');
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
      );
      // and through the command: the message says no bundle was written
      const r = await dctTrust(['export', g1, '--server', t.url, '-o', join(dir, 'cli.tar')], dockerEnv(t, dir));
      assert.equal(r.code, 1);
      assert.match(r.err, /^dct trust export: export failed, no bundle written to .*cli\.tar: .*\[(OFFLINE|NETWORK_ERROR)\]/);
      assert.equal(existsSync(join(dir, 'cli.tar')), false);
    },
  );
});
