/**
 * `dct trust export` against the REAL notary-server (reference stack), on repositories
 * the real `notary` CLI built (delegations with several signers, a signer's own role, a
 * removed tag, a root rotation; plus make-fixtures.sh's root-rotation and
 * notary-delegations cases): export by name and `--all` (the changefeed), then STOP
 * notary-server and verify the bundles offline; the tag table equals what the real
 * `notary list` printed before; and a cache-only export from the trust dir the real
 * notary CLI filled, the server gone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBundleFile } from '../../src/adapters/trust-bundle/bundle-file.js';
import { buildFixtureCases, type FixtureCase } from '../support/fixture-cases.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools, run, startReferenceStack, type NotaryListRow, type ReferenceStack } from '../support/reference-stack.js';
import { buildRepository, dctTrust, dockerEnv, notaryList, rowsOf, tagsAsRows } from '../cli/trust-export-support.js';

const unavailable = await ensureReferenceTools();
const dockerMissing = missingTool('docker');

interface ManifestRepo {
  gun: string;
  roots: number[];
  source: { kind: string };
  tags: Array<{ name: string; digest: string; size: number; released: boolean; roles: Array<{ role: string; keyIds: string[] }> }>;
}

async function manifestOf(bundle: string): Promise<ManifestRepo[]> {
  return (JSON.parse((await readBundleFile(bundle)).manifest.toString('utf8')) as { repositories: ManifestRepo[] }).repositories;
}

describe('dct trust export against the real notary-server, verified offline', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-export-interop-'));
  let stack: ReferenceStack | undefined;
  let env: Record<string, string>;
  const gun = `127.0.0.1:15000/export-interop/app-${process.pid}`;
  const listed = new Map<string, NotaryListRow[]>();
  let cases: FixtureCase[] = [];
  const readerTrust = join(work, 'reader-trust');
  const bundle = join(work, 'named.tar');
  const everything = join(work, 'all.tar');
  let dockerConfig: Record<string, string> | undefined;

  before(async () => {
    stack = await startReferenceStack({ logLevel: 'warn' });
    const server = { url: stack.serverUrl, caFile: stack.caFile };
    env = dockerEnv(server, work);
    await buildRepository(server, join(work, 'build'), gun);
    const built = await buildFixtureCases(server, join(work, 'fixtures'), {
      cases: ['root-rotation', 'notary-delegations', 'removed-target'],
    });
    assert.deepEqual([...built.errors.keys()], [], [...built.errors.values()].map((e) => e.message).join('\n'));
    cases = [...built.cases.values()];
    for (const g of [gun, ...cases.map((c) => c.gun)]) listed.set(g, await notaryList(server, readerTrust, g)); // fills readerTrust's cache
    if (!dockerMissing) {
      // docker fills its own trust dir ($DOCKER_CONFIG/trust) on a read, as on any pull
      dockerConfig = dockerEnv(server, join(work, 'docker-reader'));
      await run('docker', ['trust', 'inspect', gun], { env: { ...dockerConfig, DOCKER_CONTENT_TRUST_SERVER: server.url } });
    }
  });
  after(async () => {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports by name and --all while the server runs', { timeout: 120_000 }, async () => {
    const url = stack!.serverUrl;
    const named = await dctTrust(['export', gun, ...cases.map((c) => `${c.gun}:v1`), '--server', url, '-o', bundle], env);
    assert.equal(named.code, 0, named.err);
    assert.match(named.out, /^Exported 4 repositories to /);
    const all = await dctTrust(['export', '--all', '-o', everything], { ...env, DOCKER_CONTENT_TRUST_SERVER: url });
    assert.equal(all.code, 0, all.err);
    const guns = (await manifestOf(everything)).map((r) => r.gun);
    for (const g of listed.keys()) assert.ok(guns.includes(g), `--all lists ${g}`);
  });

  it('with notary-server stopped, both bundles verify offline', { timeout: 60_000 }, async () => {
    await stack!.stop();
    for (const b of [bundle, everything]) {
      const v = await dctTrust(['verify-bundle', b, '--format', 'json'], env);
      assert.equal(v.code, 0, v.out + v.err);
      assert.equal((JSON.parse(v.out) as { verified: boolean }).verified, true);
    }
  });

  it('the tag tables equal what the real notary list printed before', async () => {
    const repos = await manifestOf(bundle);
    for (const [g, rows] of listed) {
      const repo = repos.find((r) => r.gun === g);
      assert.ok(repo, g);
      assert.deepEqual(tagsAsRows(repo.tags), rowsOf(rows), g);
      assert.equal(repo.source.kind, 'server');
    }
    const app = repos.find((r) => r.gun === gun)!;
    assert.deepEqual(app.roots, [1, 2], 'notary key rotate root: the chain 1.root.json, 2.root.json');
    assert.deepEqual(
      app.tags.map((t) => t.name),
      ['v1', 'v3', 'v4', 'v5', 'v6'],
    );
    assert.equal(app.tags.find((t) => t.name === 'v4')!.roles[0]!.keyIds.length, 2, 'two signers on targets/releases');
    const rotation = repos.find((r) => r.gun === cases.find((c) => c.name === 'root-rotation')!.gun)!;
    assert.ok(rotation.roots.length >= 2 && rotation.roots[0] === 1, `root chain of root-rotation: ${rotation.roots.join(',')}`);
    const delegations = repos.find((r) => r.gun === cases.find((c) => c.name === 'notary-delegations')!.gun)!;
    assert.deepEqual(
      delegations.tags.find((t) => t.name === 'qa/candidate')?.roles.map((r) => r.role),
      ['targets/releases/qa'],
    );
  });

  it('a cache-only export from the trust dir the real notary CLI filled, the server gone, verifies', async () => {
    const out = join(work, 'cache.tar');
    const r = await dctTrust(['export', '--from-cache', '--trust-dir', readerTrust, '--all', '-o', out], env);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /from the cache ONLY/);
    const repos = await manifestOf(out);
    assert.deepEqual(repos.map((x) => x.gun).sort(), [...listed.keys()].sort());
    for (const repo of repos) assert.deepEqual(tagsAsRows(repo.tags), rowsOf(listed.get(repo.gun)!), repo.gun);
    const v = await dctTrust(['verify-bundle', out], env);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /exported from a trust dir's cache only/);
  });

  it(
    'a cache-only export from the trust dir docker filled ($DOCKER_CONFIG/trust, the default), the server gone',
    { skip: dockerMissing },
    async () => {
      const out = join(work, 'docker-cache.tar');
      const r = await dctTrust(['export', '--from-cache', gun, '-o', out, '--format', 'json'], dockerConfig!);
      assert.equal(r.code, 0, r.out + r.err);
      const repo = (JSON.parse(r.out) as { repositories: Array<{ source: { kind: string; path: string }; tags: ManifestRepo['tags'] }> })
        .repositories[0]!;
      assert.equal(repo.source.kind, 'cache');
      assert.ok(repo.source.path.startsWith(join(dockerConfig!['DOCKER_CONFIG']!, 'trust', 'tuf')), repo.source.path);
      assert.deepEqual(tagsAsRows(repo.tags), rowsOf(listed.get(gun)!));
      const v = await dctTrust(['verify-bundle', out], dockerConfig!);
      assert.equal(v.code, 0, v.out);
    },
  );
});
