/**
 * `dct trust migrate` from one dct server to another, on repositories the REAL notary CLI
 * built (a delegation with two signers, a signer's own role, a removed tag, a root
 * rotation, a client-held snapshot key): a dry run changes nothing; without the root key
 * nothing moves; the destination dies mid-migration and a rerun finishes; a second rerun
 * does nothing; a client that had read the source (its trust dir's cache with the old
 * root and the old timestamp/snapshot versions) reads the destination with the real
 * `notary list` and `dct trust inspect` and sees the same tags; the root chain is served
 * by the destination (an export from it proves v1..v3); the real notary signs a new tag
 * there. Tags signed at the source after the migration are caught up by a rerun (the
 * client-held snapshot signed again with its key); signed on both sides, a rerun refuses
 * and names the tags to sign at the destination.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../src/adapters/notary-http/remote-repository.js';
import { FileKeyRing } from '../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../src/adapters/keystore/file-keystore.js';
import { createPassphraseSource } from '../../src/adapters/passphrase.js';
import { migrateRepositories } from '../../src/app/trust-migrate/migrate-repositories.js';
import type { RemoteRepository } from '../../src/core/ports.js';
import type { RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import type { NotaryListRow } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';
import { cachedRootVersion, keysOnly, servedFiles, startDct } from './trust-migrate-support.js';
import { buildRepository, dctTrust, dockerEnv, notary, notaryList, PASSPHRASES, rowsOf } from './trust-export-support.js';

const unavailable = missingTool('notary', 'openssl');

interface Outcome {
  gun: string;
  status: string;
  code?: string;
  roots: number[];
  tags: number;
  rotated: string[];
  destinationRoot?: number;
}

describe('dct trust migrate: dct server → dct server, keeping the root', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-migrate-'));
  let source: RunningServer;
  let dest: RunningServer | undefined;
  let from: TrustServerUnderTest;
  let to: TrustServerUnderTest;
  let env: Record<string, string>;
  let builderTrust: string;
  const gun = `127.0.0.1:15000/migrate/app-${process.pid}`;
  const other = `127.0.0.1:15000/migrate/other-${process.pid}`;
  const readerTrust = () => join(env['DOCKER_CONFIG'] as string, 'trust');
  let before_: NotaryListRow[];
  let inspectBefore: string;

  const migrate = (args: readonly string[], extra: Record<string, string> = {}) =>
    dctTrust(['migrate', from.url, to.url, ...args, '--format', 'json'], { ...env, ...extra });
  const outcomes = (out: string) => (JSON.parse(out) as { repositories: Outcome[] }).repositories;

  before(async () => {
    source = await startDct(join(work, 'source'));
    dest = await startDct(join(work, 'dest'));
    from = { url: source.url, caFile: source.caFile as string };
    to = { url: dest.url, caFile: dest.caFile as string };
    env = dockerEnv(from, work);
    dockerEnv(to, work); // the same DOCKER_CONFIG also trusts the destination's CA
    ({ trustDir: builderTrust } = await buildRepository(from, join(work, 'build'), gun));
    await buildRepository(from, join(work, 'build'), other); // the same trust dir holds both root keys
    before_ = await notaryList(from, readerTrust(), gun); // a client that read the source: old root v2 in its cache
    inspectBefore = (await dctTrust(['inspect', gun], { ...env, DOCKER_CONTENT_TRUST_SERVER: from.url })).out;
  });
  after(async () => {
    await dest?.close();
    await source.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('--dry-run lists what would move and moves nothing; without the root key nothing moves', { timeout: 60_000 }, async () => {
    const dry = await migrate([gun, other, '--dry-run']);
    assert.equal(dry.code, 0, dry.err);
    assert.deepEqual(
      outcomes(dry.out).map((o) => [o.gun, o.status, o.roots, o.tags]),
      [
        [gun, 'would-migrate', [1, 2], 5],
        [other, 'would-migrate', [1, 2], 5],
      ],
    );
    const all = await migrate(['--all', '--dry-run']); // the source's changefeed
    assert.equal(all.code, 0, all.err);
    assert.deepEqual(
      outcomes(all.out).map((o) => [o.gun, o.status]),
      [
        [gun, 'would-migrate'],
        [other, 'would-migrate'],
      ].sort(),
    );
    const text = await dctTrust(['migrate', from.url, to.url, gun, '--dry-run'], env);
    assert.match(
      text.out,
      /: would migrate \(root chain v1\.\.v2, 5 tags\)\nDry run: 1 to migrate, 0 to update, 0 already there, 0 failed\n/,
    );
    const noKey = await migrate([gun, '--trust-dir', join(work, 'empty-trust')], PASSPHRASES);
    assert.equal(noKey.code, 1);
    assert.deepEqual(
      outcomes(noKey.out).map((o) => [o.status, o.code]),
      [['failed', 'MIGRATE_ROOT_KEY_MISSING']],
    );
    const nothing = await notary(to, join(work, 'probe-trust'), ['list', gun]).catch((err: Error) => err);
    assert.ok(nothing instanceof Error, 'the destination holds nothing yet');
  });

  it('the destination dies mid-migration; the rerun finishes and a second rerun does nothing', { timeout: 120_000 }, async () => {
    const port = new URL(to.url).port;
    const src = new NotaryClient({ baseUrl: from.url, caFile: from.caFile, userAgent: 'migrate-test', timeoutMs: 5_000 });
    const dst = new NotaryClient({ baseUrl: to.url, caFile: to.caFile, userAgent: 'migrate-test', timeoutMs: 5_000 });
    const dying = (gunName: string): RemoteRepository => {
      const real = new NotaryRemoteRepository(dst, gunName, to.url);
      if (gunName !== other) return real;
      // the destination stops just before the second repository
      const stop = (async () => {
        await dest?.close();
        dest = undefined;
      })();
      return new Proxy(real, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== 'function') return v;
          return async (...args: unknown[]) => {
            await stop;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    };
    const keyRing = new FileKeyRing(new FileKeyStore(builderTrust), createPassphraseSource({ mode: 'combined', env: PASSPHRASES }));
    const first = await migrateRepositories({
      guns: [gun, other],
      source: (g) => new NotaryRemoteRepository(src, g, from.url),
      destination: dying,
      keyRing,
      now: new Date(),
      dryRun: false,
    });
    src.close();
    dst.close();
    assert.deepEqual(
      first.map((o) => [o.gun, o.status]),
      [
        [gun, 'migrated'],
        [other, 'failed'],
      ],
    );
    assert.notEqual(first[1]!.code, 'MIGRATE_CONFLICT', 'a destination that is down is no conflict');
    assert.deepEqual(first[0]!.rotated, ['timestamp'], 'notary init made a client snapshot key: only the timestamp moves');
    dest = await startDct(join(work, 'dest'), `127.0.0.1:${port}`);
    const rerun = await migrate([gun, other, '--trust-dir', builderTrust], PASSPHRASES);
    assert.equal(rerun.code, 0, rerun.out + rerun.err);
    assert.deepEqual(
      outcomes(rerun.out).map((o) => [o.gun, o.status, o.destinationRoot]),
      [
        [gun, 'skipped', 3],
        [other, 'migrated', 3],
      ],
    );
    const again = await dctTrust(['migrate', from.url, to.url, gun, other, '--trust-dir', builderTrust], { ...env, ...PASSPHRASES });
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /0 migrated, 0 updated, 2 skipped, 0 failed\n/);
    assert.match(again.out, new RegExp(`export DOCKER_CONTENT_TRUST_SERVER=${to.url.replace(/[.]/g, '\\.')}\n`));
  });

  it(
    'a client that read the source reads the destination: real notary list and dct trust inspect print the same',
    { timeout: 60_000 },
    async () => {
      const after_ = await notaryList(to, readerTrust(), gun);
      assert.deepEqual(rowsOf(after_), rowsOf(before_));
      // it read the destination (not its cache): it now trusts root v3, the rotation the migration signed
      assert.equal(cachedRootVersion(readerTrust(), gun), 3);
      assert.deepEqual(rowsOf(await notaryList(to, join(work, 'fresh-trust'), gun)), rowsOf(before_), 'a new client too');
      assert.deepEqual(after_.map((r) => r.role).sort(), before_.map((r) => r.role).sort());
      // docker's view (targets and targets/releases: v5, only in targets/bob, is not docker's): the same JSON from both servers
      const inspect = await dctTrust(['inspect', gun], { ...env, DOCKER_CONTENT_TRUST_SERVER: to.url });
      assert.equal(inspect.code, 0, inspect.err);
      assert.equal(inspect.out, inspectBefore);
      const tags = (JSON.parse(inspect.out) as Array<{ SignedTags: Array<{ SignedTag: string }> }>)[0]!.SignedTags.map((t) => t.SignedTag);
      assert.deepEqual(tags.sort(), ['v1', 'v3', 'v4', 'v6']);
      // the destination serves the root chain: an export from it proves v1..v3
      const exported = await dctTrust(['export', gun, '--server', to.url, '-o', join(work, 'dest.tar'), '--format', 'json'], env);
      assert.equal(exported.code, 0, exported.out + exported.err);
      assert.deepEqual((JSON.parse(exported.out) as { repositories: Array<{ roots: number[] }> }).repositories[0]!.roots, [1, 2, 3]);
    },
  );

  it('a tag signed at the source since: a rerun catches up, the client signing the snapshot', { timeout: 60_000 }, async () => {
    const signer = keysOnly(builderTrust, join(work, 'source-signer'));
    writeFileSync(join(work, 'v8.txt'), 'hello v8\n');
    await notary(from, signer, ['add', gun, 'v8', join(work, 'v8.txt')]);
    await notary(from, signer, ['publish', gun]);
    const dry = await dctTrust(['migrate', from.url, to.url, gun, '--trust-dir', builderTrust, '--dry-run'], { ...env, ...PASSPHRASES });
    assert.match(dry.out, /: would update, signed at the source since: targets \(/);
    const r = await migrate([gun, '--trust-dir', builderTrust], PASSPHRASES);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(
      outcomes(r.out).map((o) => [o.status, o.destinationRoot]),
      [['updated', 3]],
    );
    const rows = await notaryList(to, readerTrust(), gun);
    assert.deepEqual(rowsOf(rows), rowsOf(await notaryList(from, join(work, 'source-reader'), gun)));
    // the snapshot the destination serves is signed by the client's snapshot key (in the trust dir), not the server's
    const files = await servedFiles(to, gun, ['root', 'snapshot']);
    const root = JSON.parse(files.get('root')!.toString()) as { signed: { roles: { snapshot: { keyids: string[] } } } };
    const snapshot = JSON.parse(files.get('snapshot')!.toString()) as { signatures: Array<{ keyid: string }> };
    const [snapshotKey] = root.signed.roles.snapshot.keyids;
    assert.deepEqual(
      snapshot.signatures.map((s) => s.keyid),
      [snapshotKey],
    );
    assert.ok(existsSync(join(builderTrust, 'private', `${snapshotKey}.key`)));
    const again = await migrate([gun, '--trust-dir', builderTrust], PASSPHRASES);
    assert.equal(outcomes(again.out)[0]!.status, 'skipped');
  });

  it('signing on the destination works: the real notary adds v7, the reader lists it', { timeout: 60_000 }, async () => {
    const file = join(work, 'v7.txt');
    writeFileSync(file, 'hello v7\n');
    await notary(to, builderTrust, ['add', gun, 'v7', file]);
    await notary(to, builderTrust, ['publish', gun]);
    const rows = await notaryList(to, readerTrust(), gun);
    assert.ok(rows.some((r) => r.name === 'v7'));
    assert.equal(rows.length, before_.length + 2);
    // the destination now differs from the source: a rerun refuses to overwrite it, and says it has every tag of the source
    const conflict = await migrate([gun, '--trust-dir', builderTrust], PASSPHRASES);
    assert.equal(conflict.code, 1);
    const [o] = outcomes(conflict.out) as [Outcome & { reason: string }];
    assert.equal(o.code, 'MIGRATE_CONFLICT');
    assert.match(
      o.reason,
      /signed since the migration \(targets is version \d+ there, \d+ at the source\).*already signs every tag of the source/,
    );
  });

  it('signed on both sides since: refused, naming the tags to sign at the destination', { timeout: 60_000 }, async () => {
    const signer = keysOnly(builderTrust, join(work, 'source-signer'));
    writeFileSync(join(work, 'v9.txt'), 'hello v9\n');
    await notary(from, signer, ['add', gun, 'v9', join(work, 'v9.txt')]);
    await notary(from, signer, ['publish', gun]);
    const conflict = await migrate([gun, '--trust-dir', builderTrust], PASSPHRASES);
    assert.equal(conflict.code, 1);
    const [o] = outcomes(conflict.out) as [Outcome & { reason: string }];
    assert.equal(o.code, 'MIGRATE_CONFLICT');
    const dest = to.url.replace(/[.]/g, '\\.');
    assert.match(
      o.reason,
      new RegExp(`the source signs v9 otherwise than the destination: sign it at the destination \\(\`notary -s ${dest} add `),
    );
  });
});
