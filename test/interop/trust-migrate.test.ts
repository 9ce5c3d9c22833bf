/**
 * `dct trust migrate` from the REAL notary-server (reference stack) to `dct server`: a
 * repository the real `notary` CLI built (delegations, a removed tag, a root rotation)
 * whose snapshot key was then handed to the server (`notary key rotate GUN snapshot -r`),
 * so both timestamp and snapshot keys are notary-server's. Migrated with the root key;
 * then, with notary-server STOPPED, a client that had read it (the real `notary` trust
 * dir, and the real `docker trust inspect`'s when docker is installed) reads the dct
 * server and prints the same as before; the real notary signs a new tag there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools, run, startReferenceStack, type NotaryListRow, type ReferenceStack } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';
import { cachedRootVersion } from '../cli/trust-migrate-support.js';
import { buildRepository, dctTrust, dockerEnv, notary, notaryList, PASSPHRASES, rowsOf } from '../cli/trust-export-support.js';

const unavailable = await ensureReferenceTools();
const dockerMissing = missingTool('docker');

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
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(work, 'dct.db')}`, dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    dest = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'migrate-interop-keys' }, pino({ level: 'warn' }));
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
  after(async () => {
    await stack?.stop();
    await dest?.close();
    rmSync(work, { recursive: true, force: true });
  });

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
