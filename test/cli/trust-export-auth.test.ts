/**
 * `dct trust export` against a `dct server` that requires token auth (htpasswd): the
 * repository is built by the real notary CLI while the server runs without auth, then the
 * same storage is served with auth. `--all` reads the changefeed (`registry:catalog:*`) with
 * the docker login of the server's host; without one it is refused (UNAUTHORIZED) and no
 * bundle is written; a named export logs in with the registry's credentials, as docker.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { buildRepository, dctTrust, dockerEnv, hostPort } from './trust-export-support.js';

const unavailable = missingTool('notary', 'openssl');

describe('dct trust export from a dct server with token auth', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-export-auth-'));
  let server: RunningServer | undefined;
  let env: Record<string, string>;
  const gun = `127.0.0.1:15000/export-auth/app-${process.pid}`;
  const users = join(work, 'htpasswd');

  const start = (auth: boolean, port = 0) =>
    startServer(
      loadConfig({
        env: {},
        flags: {
          listen: `127.0.0.1:${port}`,
          storage: `sqlite:${join(work, 'dct.db')}`,
          dataDir: join(work, 'data'),
          logLevel: 'warn',
          ...(auth ? { authHtpasswd: users } : {}),
        },
      }),
      { DCT_SERVER_KEY_PASSPHRASE: 'export-auth-keys' },
      pino({ level: 'warn' }),
    );

  before(async () => {
    writeFileSync(users, `admin:${bcrypt.hashSync('s3cret', 4)}\n`);
    const open = await start(false);
    await buildRepository({ url: open.url, caFile: open.caFile as string }, join(work, 'build'), gun);
    const port = Number(new URL(open.url).port);
    await open.close();
    server = await start(true, port);
    env = dockerEnv({ url: server.url, caFile: server.caFile as string }, work);
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const login = (hosts: string[]) => {
    const auth = Buffer.from('admin:s3cret').toString('base64');
    mkdirSync(env['DOCKER_CONFIG']!, { recursive: true });
    writeFileSync(
      join(env['DOCKER_CONFIG']!, 'config.json'),
      JSON.stringify({ auths: Object.fromEntries(hosts.map((h) => [h, { auth }])) }),
    );
  };

  it('--all without a login is refused and writes nothing; with the login it exports every repository', { timeout: 60_000 }, async () => {
    const url = server!.url;
    const refused = await dctTrust(['export', '--all', '--server', url, '-o', join(work, 'refused.tar')], env);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /\[UNAUTHORIZED\]/);
    assert.equal(existsSync(join(work, 'refused.tar')), false);
    login([hostPort(url), '127.0.0.1:15000']);
    const all = await dctTrust(['export', '--all', '--server', url, '-o', join(work, 'all.tar'), '--format', 'json'], env);
    assert.equal(all.code, 0, all.out + all.err);
    assert.deepEqual(
      (JSON.parse(all.out) as { repositories: Array<{ gun: string }> }).repositories.map((r) => r.gun),
      [gun],
    );
    const v = await dctTrust(['verify-bundle', join(work, 'all.tar')], env);
    assert.equal(v.code, 0, v.out);
  });

  it("a named export logs in with the registry's credentials", async () => {
    login(['127.0.0.1:15000']);
    const r = await dctTrust(['export', gun, '--server', server!.url, '-o', join(work, 'named.tar')], env);
    assert.equal(r.code, 0, r.err);
    login([]);
    const anonymous = await dctTrust(['export', gun, '--server', server!.url, '-o', join(work, 'anonymous.tar')], env);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.err, /\[UNAUTHORIZED\]/, anonymous.err);
    assert.equal(existsSync(join(work, 'anonymous.tar')), false);
  });
});
