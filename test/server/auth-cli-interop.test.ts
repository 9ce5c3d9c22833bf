/**
 * The real notary and docker CLIs against an auth-enabled `dct server`: a
 * user with push publishes, a read-only user lists but cannot publish, wrong
 * or missing credentials read nothing, the cached read path still needs a
 * token, docker trust inspect with the registry's credentials from
 * $DOCKER_CONFIG/config.json, and an admin rotates the snapshot key to the
 * server and deletes the repository.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools } from '../support/reference-stack.js';
import { b64, bcryptLine, call } from './auth-support.js';

// ---------------------------------------------------------------------------------------------
// The real notary and docker CLIs against an auth-enabled dct server

const unavailable = await ensureReferenceTools();
const dockerMissing = missingTool('docker');

interface Run {
  code: number;
  out: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, cwd, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end();
  });
}

describe('real notary and docker CLIs against an auth-enabled dct server', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-auth-e2e-'));
  const registry = '127.0.0.1:5999';
  const gun = `${registry}/e2e/app-${process.pid}`;
  let server: RunningServer;
  const passphrases = {
    NOTARY_ROOT_PASSPHRASE: 'rootpass123',
    NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
    NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
  };

  before(async () => {
    writeFileSync(
      join(work, 'users'),
      [bcryptLine('writer', 'writer-pw'), bcryptLine('reader', 'reader-pw'), bcryptLine('admin', 'admin-pw')].join('\n') + '\n',
    );
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({
        authRules: [
          { user: 'writer', repositories: `${registry}/e2e/*`, actions: ['push', 'pull'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
          { user: 'admin', repositories: '*', actions: ['*'] },
        ],
      }),
    );
    mkdirSync(join(work, 'files'));
    writeFileSync(join(work, 'files', 'hello.txt'), 'hello\n');
    const config = loadConfig({
      file: join(work, 'config.json'),
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${join(work, 'dct.db')}`,
        dataDir: join(work, 'data'),
        logLevel: 'warn',
        authHtpasswd: join(work, 'users'),
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'warn' }));
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** runs notary as `user` (NOTARY_AUTH) with its own trust dir per `as` name */
  const notary = (as: string, credentials: string | undefined, ...args: string[]) =>
    run(
      'notary',
      ['-s', server.url, '--tlscacert', server.caFile as string, '-d', join(work, `trust-${as}`), ...args],
      { PATH: process.env['PATH'], HOME: work, ...passphrases, ...(credentials ? { NOTARY_AUTH: b64(credentials) } : {}) },
      work,
    );

  it('a user with push: notary init -p, add -p, list', { timeout: 120_000 }, async () => {
    const init = await notary('writer', 'writer:writer-pw', 'init', '-p', gun);
    assert.equal(init.code, 0, init.out);
    assert.match(init.out, new RegExp(`Successfully published changes for repository ${gun.replace(/[.]/g, '\\.')}`));
    const add = await notary('writer', 'writer:writer-pw', 'add', '-p', gun, 'v1', 'files/hello.txt');
    assert.equal(add.code, 0, add.out);
    assert.match(
      add.out,
      /Addition of target "v1" to repository .* staged for next publish\.\nAuto-publishing changes to .*\nSuccessfully published changes/,
    );
    const list = await notary('writer', 'writer:writer-pw', 'list', gun);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /^v1\s+5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\s+6\s+targets$/m);
  });

  it("a read-only user can list, but publish fails with notary's unauthorized message", { timeout: 120_000 }, async () => {
    const list = await notary('reader', 'reader:reader-pw', 'list', gun);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /^v1\s+5891b5b5/m);
    // holding the signing keys (the writer's trust dir) does not help a read-only account
    const add = await notary('writer', 'reader:reader-pw', 'add', gun, 'v2', 'files/hello.txt');
    assert.equal(add.code, 0, add.out);
    const publish = await notary('writer', 'reader:reader-pw', 'publish', gun);
    assert.equal(publish.code, 1, publish.out);
    assert.match(publish.out, /\* fatal: you are not authorized to perform this operation: server returned 401\./);
    assert.equal((await notary('writer', undefined, 'reset', gun, '--all')).code, 0);
    // the writer may push but not delete (scope *); the admin may
    const del = await notary('writer', 'writer:writer-pw', 'delete', gun, '--remote');
    assert.equal(del.code, 1, del.out);
    assert.match(del.out, /you are not authorized to perform this operation: server returned 401/);
  });

  it('wrong password or no credentials (no anonymous pull): nothing readable', { timeout: 60_000 }, async () => {
    const wrong = await notary('wrong', 'reader:not-the-password', 'list', gun);
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /\* fatal: unauthorized/);
    const anonymous = await notary('anonymous', undefined, 'list', gun);
    assert.equal(anonymous.code, 1, anonymous.out);
  });

  it('the cached read path still requires a token', { timeout: 60_000 }, async () => {
    const tokenFor = async (credentials: string, scope: string) => {
      const r = await call(`${server.url}/auth/token?service=dct&scope=${encodeURIComponent(scope)}`, {
        ca: server.caFile as string,
        headers: { Authorization: `Basic ${b64(credentials)}` },
      });
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { token: string }).token;
    };
    const root = `${server.url}/v2/${gun}/_trust/tuf/root.json`;
    const pull = await tokenFor('reader:reader-pw', `repository:${gun}:pull`);
    const first = await call(root, { ca: server.caFile as string, headers: { Authorization: `Bearer ${pull}` } });
    const second = await call(root, { ca: server.caFile as string, headers: { Authorization: `Bearer ${pull}` } });
    assert.equal(first.status, 200);
    assert.equal(second.body, first.body);
    const none = await call(root, { ca: server.caFile as string });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], `Bearer realm="${server.url}/auth/token",service="dct",scope="repository:${gun}:pull"`);
    const elsewhere = await tokenFor('writer:writer-pw', `repository:${registry}/other/x:pull`);
    const wrongRepo = await call(root, { ca: server.caFile as string, headers: { Authorization: `Bearer ${elsewhere}` } });
    assert.equal(wrongRepo.status, 401);
    assert.match(String(wrongRepo.headers['www-authenticate']), /error="insufficient_scope"$/);
  });

  it(
    "docker trust inspect with the credentials of the GUN's registry in $DOCKER_CONFIG/config.json",
    { timeout: 120_000, skip: interopSkip(dockerMissing) },
    async () => {
      const inspect = async (name: string, auths: Record<string, { auth: string }>) => {
        const config = join(work, `docker-${name}`);
        mkdirSync(config, { recursive: true });
        writeFileSync(join(config, 'config.json'), JSON.stringify({ auths }));
        return run(
          'docker',
          ['trust', 'inspect', gun],
          { PATH: process.env['PATH'], HOME: work, DOCKER_CONFIG: config, DOCKER_CONTENT_TRUST_SERVER: server.url },
          work,
        );
      };
      const ok = await inspect('reader', { [registry]: { auth: b64('reader:reader-pw') } });
      assert.equal(ok.code, 0, ok.out);
      const shown = JSON.parse(ok.out) as Array<{
        Name: string;
        SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
      }>;
      assert.equal(shown[0]?.Name, gun);
      assert.deepEqual(shown[0]?.SignedTags, [
        { SignedTag: 'v1', Digest: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03', Signers: ['Repo Admin'] },
      ]);
      // credentials stored for the trust server's address instead of the registry's are not used by docker
      const serverHost = new URL(server.url).host;
      const misplaced = await inspect('misplaced', { [serverHost]: { auth: b64('reader:reader-pw') } });
      assert.equal(misplaced.code, 1, misplaced.out);
      assert.match(misplaced.out, new RegExp(`no signatures or cannot access ${gun.replace(/[.]/g, '\\.')}`));
      const wrong = await inspect('wrong', { [registry]: { auth: b64('reader:nope') } });
      assert.equal(wrong.code, 1, wrong.out);
    },
  );

  it('an admin (scope *) rotates the snapshot key to the server and deletes the repository', { timeout: 120_000 }, async () => {
    const rotate = await notary('writer', 'admin:admin-pw', 'key', 'rotate', gun, 'snapshot', '-r');
    assert.equal(rotate.code, 0, rotate.out);
    assert.match(rotate.out, /Successfully rotated snapshot key for repository/);
    const del = await notary('writer', 'admin:admin-pw', 'delete', gun, '--remote');
    assert.equal(del.code, 0, del.out);
    assert.match(del.out, /Successfully deleted local and remote trust data for repository/);
  });
});
