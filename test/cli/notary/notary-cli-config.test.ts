/**
 * `dct notary` configuration and surroundings: the client config file (`-c
 * config.json`, flags win), offline mode (reads from the cache with notary's
 * warnings, writes refused), NOTARY_AUTH token auth against an auth-enabled
 * `dct server`, the notary command lines, and how the changelist is written for
 * publish time.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { notaryInvocation } from '../../../src/cli/commands/notary/register.js';
import type { RunningServer } from '../../../src/server/start-server.js';
import { notaryRunner, startDctServer } from './helpers.js';
import { ok } from './notary-cli-support.js';

describe('dct notary: configuration, offline mode, auth, invocation', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-notary-conf-'));
  let tlsServer: RunningServer;
  const gun = 'registry.example.com/conf/app';

  before(async () => {
    tlsServer = await startDctServer(join(work, 'server'), {}, true);
    writeFileSync(join(work, 'hello.txt'), 'hello\n');
  });
  after(async () => {
    await tlsServer?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('-c config.json: trust_dir, remote_server.url and root_ca (relative to the config file); flags win', async () => {
    const conf = join(work, 'conf');
    mkdirSync(conf);
    writeFileSync(join(conf, 'ca.crt'), readFileSync(tlsServer.caFile as string));
    writeFileSync(
      join(conf, 'config.json'),
      JSON.stringify({ trust_dir: join(work, 'trust-from-config'), remote_server: { url: tlsServer.url, root_ca: 'ca.crt' } }),
    );
    const { runNotary } = await import('../../../src/cli/commands/notary/index.js');
    const run = async (...args: string[]) => {
      let out = '';
      let err = '';
      const code = await runNotary(args, {
        env: { HOME: work, NOTARY_ROOT_PASSPHRASE: 'r00tpass', NOTARY_TARGETS_PASSPHRASE: 't', NOTARY_SNAPSHOT_PASSPHRASE: 's' },
        cwd: work,
        io: { out: (s) => void (out += s), err: (s) => void (err += s) },
      });
      return { code, out, err };
    };
    ok(await run('-c', join(conf, 'config.json'), 'init', '-p', gun));
    assert.ok(existsSync(join(work, 'trust-from-config', 'private')));
    ok(await run('-c', join(conf, 'config.json'), 'add', '-p', gun, 'v1', 'hello.txt'));
    assert.match((await run('-c', join(conf, 'config.json'), 'list', gun)).out, /^v1\s/m);
    // without the CA: notary's TLS failure text, and offline mode
    const noCa = await run('-s', tlsServer.url, '-d', join(work, 'trust-no-ca'), 'list', gun);
    assert.equal(noCa.code, 1);
    assert.match(
      noCa.err,
      /level=error msg="could not reach https:\/\/127\.0\.0\.1:\d+: Get \\"https:\/\/127\.0\.0\.1:\d+\/v2\/\\": x509: certificate signed by unknown authority"/,
    );
    assert.equal(noCa.out, '\n* fatal: client is offline\n');
    // the default config: ~/.notary/config.json
    mkdirSync(join(work, '.notary'));
    writeFileSync(
      join(work, '.notary', 'config.json'),
      JSON.stringify({ trust_dir: '~/trust-home', remote_server: { url: tlsServer.url, root_ca: join(conf, 'ca.crt') } }),
    );
    ok(await run('list', gun));
    assert.ok(existsSync(join(work, 'trust-home', 'tuf')));
    const missing = await run('-c', join(work, 'nope.json'), 'list', gun);
    assert.deepEqual(
      [missing.code, missing.out],
      [1, `\n* fatal: error opening config file: open ${join(work, 'nope.json')}: no such file or directory\n`],
    );

    // remote_server.skipTLSVerify, and client certificate files (both or neither)
    writeFileSync(join(conf, 'skip.json'), JSON.stringify({ remote_server: { url: tlsServer.url, skipTLSVerify: true } }));
    assert.match((await run('-c', join(conf, 'skip.json'), '-d', join(work, 'trust-skip'), 'list', gun)).out, /^v1\s/m);
    const half = await run('-c', join(conf, 'skip.json'), '--tlscert', 'hello.txt', 'list', gun);
    assert.deepEqual([half.code, half.out], [1, '\n* fatal: either pass both client key and cert, or neither\n']);
    const pair = await run('-c', join(conf, 'skip.json'), '--tlscert', 'nope.crt', '--tlskey', 'nope.key', 'list', gun);
    assert.deepEqual(
      [pair.code, pair.out],
      [1, `\n* fatal: unable to configure TLS: Could not load X509 key pair: open ${join(work, 'nope.crt')}: no such file or directory\n`],
    );

    // trust_pinning: certs pins the root certificate's key ID on first contact; disable_tofu refuses unpinned GUNs
    const rootJson = JSON.parse(
      readFileSync(join(work, 'trust-from-config', 'tuf', ...gun.split('/'), 'metadata', 'root.json'), 'utf8'),
    ) as { signed: { roles: { root: { keyids: string[] } } } };
    const rootId = rootJson.signed.roles.root.keyids[0] as string;
    const pinned = (certs: Record<string, string[]>, disable = false) => {
      writeFileSync(
        join(conf, 'pin.json'),
        JSON.stringify({ remote_server: { url: tlsServer.url, root_ca: 'ca.crt' }, trust_pinning: { certs, disable_tofu: disable } }),
      );
      return run(
        '-c',
        join(conf, 'pin.json'),
        '-d',
        join(work, `trust-pin-${Object.keys(certs).length}-${String(disable)}-${Math.random()}`),
        'list',
        gun,
      );
    };
    assert.match((await pinned({ [gun]: [rootId] })).out, /^v1\s/m);
    assert.match((await pinned({ 'registry.example.com/*': [rootId] })).out, /^v1\s/m);
    const wrongPin = await pinned({ [gun]: ['0'.repeat(64)] });
    assert.deepEqual(
      [wrongPin.code, wrongPin.out],
      [1, '\n* fatal: could not validate the path to a trusted root: unable to match any certificates to trust_pinning config\n'],
    );
    writeFileSync(
      join(conf, 'ca-pin.json'),
      JSON.stringify({
        remote_server: { url: tlsServer.url, root_ca: 'ca.crt' },
        trust_pinning: { ca: { 'registry.example.com/': 'ca.crt' } },
      }),
    );
    const caPinned = await run('-c', join(conf, 'ca-pin.json'), '-d', join(work, 'trust-ca-pin'), 'list', gun);
    // the repository's root is self-signed, not issued by that CA: refused
    // (a CA-issued root is accepted: test/core/trust/trust-pinning.test.ts)
    assert.deepEqual(
      [caPinned.code, caPinned.out],
      [1, '\n* fatal: could not validate the path to a trusted root: unable to match any certificates to trust_pinning config\n'],
    );
    writeFileSync(
      join(conf, 'ca-missing.json'),
      JSON.stringify({
        remote_server: { url: tlsServer.url, root_ca: 'ca.crt' },
        trust_pinning: { ca: { 'registry.example.com/': 'missing.crt' } },
      }),
    );
    const caMissing = await run('-c', join(conf, 'ca-missing.json'), '-d', join(work, 'trust-ca-missing'), 'list', gun);
    assert.deepEqual([caMissing.code, caMissing.out], [1, '\n* fatal: could not load root cert from CA path\n']);
    const noTofu = await pinned({}, true);
    assert.deepEqual(
      [noTofu.code, noTofu.out],
      [1, '\n* fatal: could not validate the path to a trusted root: invalid trust pinning specified\n'],
    );
  });

  it('offline: reads come from the cache with notary\'s warnings, writes fail with "client is offline"', async () => {
    const n = notaryRunner(work, { url: tlsServer.url, caFile: tlsServer.caFile as string }, join(work, 'trust-offline'));
    ok(await n('init', '-p', gun + '-off'));
    ok(await n('add', '-p', gun + '-off', 'v1', 'hello.txt'));
    ok(await n('list', gun + '-off'));
    const down = notaryRunner(work, { url: 'https://127.0.0.1:1', caFile: tlsServer.caFile as string }, join(work, 'trust-offline'));
    const list = await down('list', gun + '-off');
    ok(list);
    assert.match(list.out, /^v1\s/m);
    assert.match(
      list.err,
      /^time="[^"]+" level=error msg="could not reach https:\/\/127\.0\.0\.1:1: Get \\"https:\/\/127\.0\.0\.1:1\/v2\/\\": dial tcp 127\.0\.0\.1:1: connect: connection refused"\ntime="[^"]+" level=warning msg="Error while downloading remote metadata, using cached timestamp - this might not be the latest version available remotely"\n$/,
    );
    const publish = await down('add', '-p', gun + '-off', 'v2', 'hello.txt');
    assert.equal(publish.code, 1);
    assert.match(publish.out, /Auto-publishing changes to .*\n\n\* fatal: client is offline\n$/);
    assert.match(publish.err, /Could not publish Repository since we could not update: client is offline/);
  });

  it('NOTARY_AUTH: token auth against an auth-enabled server (push needs credentials)', async () => {
    const users = join(work, 'users');
    writeFileSync(users, `writer:${bcrypt.hashSync('writer-pw', 4).replace(/^\$2b\$/, '$2y$')}\n`);
    writeFileSync(join(work, 'auth.json'), JSON.stringify({ authRules: [{ user: 'writer', repositories: '*', actions: ['*'] }] }));
    const { loadConfig } = await import('../../../src/server/config.js');
    const { startServer } = await import('../../../src/server/start-server.js');
    const { pino } = await import('pino');
    const authed = await startServer(
      loadConfig({
        file: join(work, 'auth.json'),
        env: {},
        flags: {
          listen: '127.0.0.1:0',
          storage: `sqlite:${join(work, 'auth.db')}`,
          dataDir: join(work, 'auth-data'),
          logLevel: 'warn',
          authHtpasswd: users,
        },
      }),
      { DCT_SERVER_KEY_PASSPHRASE: 'k' },
      pino({ level: 'silent' }),
    );
    try {
      const n = notaryRunner(work, { url: authed.url, caFile: authed.caFile as string }, join(work, 'trust-auth'));
      const creds = Buffer.from('writer:writer-pw').toString('base64');
      const anonymous = await n('init', '-p', 'auth/app');
      assert.equal(anonymous.code, 1);
      assert.equal(anonymous.out, '\n* fatal: you are not authorized to perform this operation: server returned 401.\n');
      const init = await n.with({ env: { NOTARY_AUTH: creds } }, 'init', '-p', 'auth/app');
      ok(init);
      ok(await n.with({ env: { NOTARY_AUTH: creds } }, 'add', '-p', 'auth/app', 'v1', 'hello.txt'));
      assert.match((await n.with({ env: { NOTARY_AUTH: creds } }, 'list', 'auth/app')).out, /^v1\s/m);
      const wrong = await n.with({ env: { NOTARY_AUTH: Buffer.from('writer:nope').toString('base64') } }, 'list', 'auth/app');
      assert.equal(wrong.code, 1);
      ok(await n.with({ env: { NOTARY_AUTH: creds } }, 'delete', '--remote', 'auth/app'));
    } finally {
      await authed.close();
    }
  });

  it('notary command lines: `dct notary …` and a program named notary', () => {
    assert.deepEqual(notaryInvocation(['/usr/bin/node', '/usr/local/bin/notary', 'list', 'x']), ['list', 'x']);
    assert.deepEqual(notaryInvocation(['/usr/bin/node', '/opt/dct/dist/cli/main.js', 'notary', '-s', 'u', 'list']), ['-s', 'u', 'list']);
    assert.deepEqual(notaryInvocation(['/usr/bin/node', '/tmp/bin/notary.mjs', 'version']), ['version']);
    assert.equal(notaryInvocation(['/usr/bin/node', '/opt/dct/dist/cli/main.js', 'key', 'list']), undefined);
    assert.equal(notaryInvocation(['/usr/bin/node', '/opt/dct/dist/cli/main.js', 'trust', 'notary']), undefined);
  });

  it('writes the changelist as notary does: 0700 directory, 0600 files named <20-digit nanos>_<uuid>.change', async () => {
    const n = notaryRunner(work, undefined, join(work, 'trust-cl'));
    ok(await n('add', 'cl/app', 'v1', 'hello.txt'));
    ok(await n('add', 'cl/app', 'v2', 'hello.txt'));
    const dir = join(work, 'trust-cl', 'tuf', 'cl', 'app', 'changelist');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 2);
    for (const f of files) {
      assert.match(f, /^\d{20}_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.change$/);
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600);
    }
    const nanos = files.map((f) => BigInt(f.slice(0, 20)));
    assert.ok((nanos[0] as bigint) < (nanos[1] as bigint));
    assert.ok(Math.abs(Number((nanos[1] as bigint) / 1_000_000n) - Date.now()) < 60_000, 'unix nanoseconds');
    assert.match(
      readFileSync(join(dir, files[1] as string), 'utf8'),
      /^\{"action":"create","role":"targets","type":"target","path":"v2","data":"[A-Za-z0-9+/=]+"\}$/,
    );
  });
});
