/**
 * `dct trust migrate` from the REAL notary-server (reference stack) to `dct server`: a
 * repository the real `notary` CLI built (delegations, a removed tag, a root rotation)
 * whose snapshot key was then handed to the server (`notary key rotate GUN snapshot -r`),
 * so both timestamp and snapshot keys are notary-server's. Migrated with the root key;
 * then, with notary-server STOPPED, a client that had read it (the real `notary` trust
 * dir, and the real `docker trust inspect`'s when docker is installed) reads the dct
 * server and prints the same as before; the real notary signs a new tag there. Then
 * `--new-root` without the root key: with notary-server stopped, a real notary (and docker)
 * client of it refuses the new root until it runs the printed commands, then prints the
 * same; a fresh real notary pinned with the printed `trust_pinning` reads it too.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import {
  ensureReferenceTools,
  parseNotaryList,
  run,
  startReferenceStack,
  type NotaryListRow,
  type ReferenceStack,
} from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';
import { cachedRootVersion, notaryAtHome, runClientCommands, startDct, withoutRootKeys } from '../cli/trust-migrate-support.js';
import { buildRepository, dctTrust, dockerEnv, notary, notaryList, PASSPHRASES, rowsOf } from '../cli/trust-export-support.js';

const unavailable = await ensureReferenceTools();
const dockerMissing = missingTool('docker');

/** Stops what a describe started (notary-server may be stopped already) and removes its files. */
async function stopAll(work: string, stack: ReferenceStack | undefined, dest: RunningServer | undefined): Promise<void> {
  await stack?.stop();
  await dest?.close();
  rmSync(work, { recursive: true, force: true });
}

describe('dct trust migrate: the real notary-server → dct server', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-migrate-interop-'));
  let stack: ReferenceStack | undefined;
  let dest: RunningServer | undefined;
  let from: TrustServerUnderTest;
  let to: TrustServerUnderTest;
  let env: Record<string, string>;
  let builderTrust: string;
  const gun = `127.0.0.1:15000/migrate-interop/app-${process.pid}`;
  const readerTrust = join(work, 'reader-trust');
  let listed: NotaryListRow[];
  let dockerConfig: Record<string, string> | undefined;
  let dockerBefore = '';

  before(async () => {
    stack = await startReferenceStack({ logLevel: 'warn' });
    from = { url: stack.serverUrl, caFile: stack.caFile };
    dest = await startDct(work);
    to = { url: dest.url, caFile: dest.caFile as string };
    env = dockerEnv(from, work);
    dockerEnv(to, work);
    ({ trustDir: builderTrust } = await buildRepository(from, join(work, 'build'), gun));
    await notary(from, builderTrust, ['key', 'rotate', gun, 'snapshot', '-r']); // root v3: notary-server holds both keys
    listed = await notaryList(from, readerTrust, gun);
    if (!dockerMissing) {
      dockerConfig = dockerEnv(from, join(work, 'docker-reader'));
      dockerEnv(to, join(work, 'docker-reader'));
      dockerBefore = (await run('docker', ['trust', 'inspect', gun], { env: { ...dockerConfig, DOCKER_CONTENT_TRUST_SERVER: from.url } }))
        .stdout;
    }
  });
  after(() => stopAll(work, stack, dest));

  it(
    'migrates with the root key: timestamp and snapshot rotated to the dct server, the chain v1..v3 carried',
    { timeout: 60_000 },
    async () => {
      const r = await dctTrust(['migrate', from.url, to.url, gun, '--trust-dir', builderTrust, '--format', 'json'], {
        ...env,
        ...PASSPHRASES,
      });
      assert.equal(r.code, 0, r.out + r.err);
      const o = (
        JSON.parse(r.out) as { repositories: Array<{ status: string; roots: number[]; rotated: string[]; destinationRoot: number }> }
      ).repositories[0]!;
      assert.deepEqual([o.status, o.roots, o.rotated, o.destinationRoot], ['migrated', [1, 2, 3], ['timestamp', 'snapshot'], 4]);
      const again = await dctTrust(['migrate', from.url, to.url, gun, '--trust-dir', builderTrust], { ...env, ...PASSPHRASES });
      assert.match(again.out, /0 migrated, 0 updated, 1 skipped, 0 failed\n/);
    },
  );

  it('a tag signed at notary-server after the migration: a rerun catches the destination up', { timeout: 60_000 }, async () => {
    const file = join(work, 'v8.txt');
    writeFileSync(file, 'hello v8\n');
    await notary(from, builderTrust, ['add', gun, 'v8', file]);
    await notary(from, builderTrust, ['publish', gun]);
    listed = await notaryList(from, join(work, 'source-reader'), gun);
    assert.ok(listed.some((r) => r.name === 'v8'));
    const dry = await dctTrust(['migrate', from.url, to.url, gun, '--trust-dir', builderTrust, '--dry-run'], { ...env, ...PASSPHRASES });
    assert.match(dry.out, /: would update, signed at the source since: targets \(/);
    const r = await dctTrust(['migrate', from.url, to.url, gun, '--trust-dir', builderTrust], { ...env, ...PASSPHRASES });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /0 migrated, 1 updated, 0 skipped, 0 failed\n/);
    if (dockerConfig) {
      dockerBefore = (await run('docker', ['trust', 'inspect', gun], { env: { ...dockerConfig, DOCKER_CONTENT_TRUST_SERVER: from.url } }))
        .stdout;
    }
  });

  it(
    'notary-server stopped: the real notary list (and docker trust inspect) of a client of it print the same from dct',
    { timeout: 60_000 },
    async () => {
      await stack?.stop();
      stack = undefined;
      assert.deepEqual(rowsOf(await notaryList(to, readerTrust, gun)), rowsOf(listed));
      assert.equal(cachedRootVersion(readerTrust, gun), 4, 'the client read dct (not its cache): it trusts the rotation root v4');
      assert.deepEqual(rowsOf(await notaryList(to, join(work, 'fresh-trust'), gun)), rowsOf(listed), 'a new client too');
      if (dockerConfig) {
        const { stdout } = await run('docker', ['trust', 'inspect', gun], {
          env: { ...dockerConfig, DOCKER_CONTENT_TRUST_SERVER: to.url },
        });
        assert.match(dockerBefore, /"SignedTag": "v8"/);
        assert.equal(stdout, dockerBefore);
      }
    },
  );

  it('the real notary signs a new tag on the dct server (its snapshot now server-made there)', { timeout: 60_000 }, async () => {
    const file = join(work, 'v7.txt');
    writeFileSync(file, 'hello v7\n');
    await notary(to, builderTrust, ['add', gun, 'v7', file]);
    await notary(to, builderTrust, ['publish', gun]);
    const rows = await notaryList(to, readerTrust, gun);
    assert.deepEqual(
      rows.filter((r) => r.name === 'v7').map((r) => r.role),
      ['targets'],
    );
  });
});

describe('dct trust migrate --new-root: the real notary-server → dct server, the root key lost', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-migrate-new-root-interop-'));
  let stack: ReferenceStack | undefined;
  let dest: RunningServer | undefined;
  let from: TrustServerUnderTest;
  let to: TrustServerUnderTest;
  let env: Record<string, string>;
  const gun = `127.0.0.1:15000/migrate-interop/reroot-${process.pid}`;
  const home = join(work, 'client-home'); // a client with notary's default trust dir (~/.notary) and docker's
  let dockerConfig: string;
  let listed: NotaryListRow[];
  let dockerBefore = '';

  const dockerInspect = (server: TrustServerUnderTest) =>
    run('docker', ['trust', 'inspect', gun], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home,
        DOCKER_CONFIG: dockerConfig,
        DOCKER_CONTENT_TRUST_SERVER: server.url,
      },
    });
  const tagsOf = (inspect: string) => JSON.stringify((JSON.parse(inspect) as Array<{ SignedTags: unknown }>).map((r) => r.SignedTags));

  before(async () => {
    stack = await startReferenceStack({ logLevel: 'warn' });
    from = { url: stack.serverUrl, caFile: stack.caFile };
    dest = await startDct(work);
    to = { url: dest.url, caFile: dest.caFile as string };
    env = dockerEnv(from, work);
    dockerEnv(to, work);
    dockerConfig = dockerEnv(from, home)['DOCKER_CONFIG'] as string;
    dockerEnv(to, home);
    const { trustDir } = await buildRepository(from, join(work, 'build'), gun);
    await notary(from, trustDir, ['key', 'rotate', gun, 'snapshot', '-r']); // notary-server holds timestamp and snapshot keys
    withoutRootKeys(trustDir, join(work, 'lost'));
    listed = parseNotaryList((await notaryAtHome(from, home, ['list', gun])).stdout);
    if (!dockerMissing) dockerBefore = (await dockerInspect(from)).stdout;
  });
  after(() => stopAll(work, stack, dest));

  it(
    'clients of notary-server refuse the new root until they run the printed commands, then list the same',
    { timeout: 90_000 },
    async () => {
      const args = [gun, '--new-root', '--trust-dir', join(work, 'lost'), '--format', 'json'];
      const r = await dctTrust(['migrate', from.url, to.url, ...args], { ...env, ...PASSPHRASES });
      assert.equal(r.code, 0, r.out + r.err);
      const report = JSON.parse(r.out) as {
        repositories: Array<{ status: string; rotated: string[]; destinationRoot: number }>;
        clients: { commands: string[]; trustPinning: unknown };
      };
      const o = report.repositories[0]!;
      assert.deepEqual([o.status, o.rotated, o.destinationRoot], ['migrated', ['timestamp', 'snapshot'], 1]);
      await stack?.stop();
      stack = undefined;
      await assert.rejects(notaryAtHome(to, home, ['list', gun]), /could not rotate trust to a new trusted root/);
      if (!dockerMissing) await assert.rejects(dockerInspect(to));
      await runClientCommands(report.clients.commands, home, dockerConfig);
      assert.deepEqual(rowsOf(parseNotaryList((await notaryAtHome(to, home, ['list', gun])).stdout)), rowsOf(listed));
      if (!dockerMissing) assert.equal(tagsOf((await dockerInspect(to)).stdout), tagsOf(dockerBefore));
      const pinned = join(work, 'pinned');
      mkdirSync(pinned, { recursive: true });
      writeFileSync(join(pinned, 'config.json'), JSON.stringify({ trust_pinning: report.clients.trustPinning }));
      const fresh = await notary(to, join(pinned, 'trust'), ['-c', join(pinned, 'config.json'), 'list', gun]);
      assert.deepEqual(rowsOf(parseNotaryList(fresh.stdout)), rowsOf(listed));
    },
  );
});
