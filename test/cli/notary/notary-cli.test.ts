/**
 * `dct notary` in process against an in-process `dct server`: notary's outputs,
 * exit codes and error texts for the repository, delegation and key commands,
 * `--format json`, the client config file, offline mode, NOTARY_AUTH token auth,
 * and how the changelist is applied at publish time.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { notaryInvocation } from '../../../src/cli/commands/notary/register.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import type { RunningServer } from '../../../src/server/start-server.js';
import { notaryRunner, startDctServer, table, writeDelegationKey, type Result } from './helpers.js';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const ok = (r: Pick<Result, 'code' | 'out' | 'err'>, what = '') => assert.equal(r.code, 0, `${what}\n${r.out}${r.err}`);

describe('dct notary against dct server', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-notary-cli-'));
  let server: RunningServer;
  let n: ReturnType<typeof notaryRunner>;
  const gun = 'registry.example.com/team/app';

  before(async () => {
    server = await startDctServer(join(work, 'server'));
    n = notaryRunner(work, server);
    writeFileSync(join(work, 'hello.txt'), 'hello\n');
    writeFileSync(join(work, 'r3.txt'), 'release 3\n');
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("init -p, add, addhash, status, publish, list, lookup, verify: notary's texts", async () => {
    const init = await n('init', '-p', gun);
    ok(init);
    assert.equal(init.out, `Auto-publishing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`);
    // root, targets and snapshot keys, as notary init makes them
    const keys = await new FileKeyStore(join(work, 'trust')).list();
    assert.deepEqual(keys.map((k) => k.role).sort(), ['root', 'snapshot', 'targets']);
    assert.deepEqual(
      keys.filter((k) => k.gun).map((k) => k.gun),
      [gun, gun],
    );

    assert.equal((await n('add', gun, 'v1', 'hello.txt')).out, `Addition of target "v1" to repository "${gun}" staged for next publish.\n`);
    const h = 'a'.repeat(64);
    assert.equal(
      (await n('addhash', gun, 'v2', '10', '--sha256', h)).out,
      `Addition of target "v2" by sha256 hash to repository "${gun}" staged for next publish.\n`,
    );
    const status = await n('status', gun);
    assert.equal(
      status.out,
      `Unpublished changes for ${gun}:\n\n` +
        table([
          ['#', 'ACTION', 'SCOPE', 'TYPE', 'PATH'],
          ['-', '------', '-----', '----', '----'],
          ['0', 'create', 'targets', 'target', 'v1'],
          ['1', 'create', 'targets', 'target', 'v2'],
        ]),
    );
    const publish = await n('publish', gun);
    assert.equal(publish.out, `Pushing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`);
    assert.equal((await n('status', gun)).out, `No unpublished changes for ${gun}\n`);
    const list = await n('list', gun);
    assert.equal(
      list.out,
      table([
        ['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'],
        ['----', '------', '------------', '----'],
        ['v1', sha256('hello\n'), '6', 'targets'],
        ['v2', h, '10', 'targets'],
      ]),
    );
    assert.equal((await n('lookup', gun, 'v1')).out, `v1 sha256:${sha256('hello\n')} 6\n`);
    const missing = await n('lookup', gun, 'nope');
    assert.deepEqual([missing.code, missing.out], [1, '\n* fatal: No valid trust data for nope\n']);
    const verified = await n('verify', gun, 'v1', '-i', 'hello.txt');
    assert.deepEqual([verified.code, verified.bytes.toString()], [0, 'hello\n']);
    // binary payloads come back byte for byte (stdin or -i), or into -o
    const blob = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    writeFileSync(join(work, 'blob.bin'), blob);
    ok(await n('add', gun, 'blob', 'blob.bin', '-p'));
    assert.ok((await n('verify', gun, 'blob', '-i', 'blob.bin')).bytes.equals(blob));
    ok(await n('verify', gun, 'blob', '-i', 'blob.bin', '-o', 'blob.out'));
    assert.ok(readFileSync(join(work, 'blob.out')).equals(blob));
    const mismatch = await n('verify', gun, 'v2', '-i', 'hello.txt');
    assert.equal(mismatch.code, 1);
    assert.equal(
      mismatch.out,
      `\n* fatal: data not present in the trusted collection, sha256 checksum for v2 did not match: expected ${h}\n`,
    );
    assert.equal((await n.with({ input: 'hello\n' }, 'verify', gun, 'v1', '-q')).out, '');
  });

  it('remove -p, reset -n / --all, witness, and a publish that fails keeps the changelist', async () => {
    const remove = await n('remove', gun, 'v2', '-p');
    assert.equal(
      remove.out,
      `Removal of v2 from ${gun} staged for next publish.\nAuto-publishing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`,
    );
    assert.doesNotMatch((await n('list', gun)).out, /^v2\s/m);

    ok(await n('add', gun, 'x1', 'hello.txt'));
    ok(await n('add', gun, 'x2', 'hello.txt'));
    ok(await n('add', gun, 'x3', 'hello.txt'));
    assert.equal((await n('reset', gun, '-n', '0,2')).out, `Successfully reset specified changes for repository ${gun}\n`);
    assert.match((await n('status', gun)).out, /^0 +create +targets +target +x2$/m);
    ok(await n('reset', gun, '--all'));
    const noFlag = await n('reset', gun);
    assert.equal(noFlag.code, 1);
    assert.match(noFlag.out, /^Usage:\n {2}notary reset \[ GUN \] \[flags\]\n/);
    assert.match(noFlag.out, /\n\* fatal: Must specify changes to reset with -n or the --all flag\n$/);

    // a target for a delegation that does not exist: notary's error, nothing published, changes kept
    ok(await n('add', gun, 'y1', 'hello.txt', '-r', 'targets/nope'));
    const failed = await n('publish', gun);
    assert.equal(failed.code, 1);
    assert.equal(failed.out, `Pushing changes to ${gun}\n\n* fatal: tuf: invalid role targets/nope. delegation does not exist\n`);
    assert.match(
      failed.err,
      /level=error msg="couldn't add target to targets\/nope: tuf: invalid role targets\/nope\. delegation does not exist"/,
    );
    assert.match((await n('status', gun)).out, /targets\/nope/);
    ok(await n('reset', gun, '--all'));

    const witness = await n('witness', gun, 'targets', '-p');
    assert.equal(
      witness.out,
      `The following roles were successfully marked for witnessing on the next publish:\n\t- targets\nAuto-publishing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`,
    );
    const unknown = await n('witness', gun, 'targets/unknown', '-p');
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /\* fatal: tuf: invalid role targets\/unknown\. this role is not known\n$/);
    ok(await n('reset', gun, '--all'));
  });

  it('delegations: add (certificate, public key, paths), list, a delegated target, remove, purge', async () => {
    const rel = writeDelegationKey(join(work, 'rel'), 'releases');
    const qa = writeDelegationKey(join(work, 'qa'), 'qa');
    const relId = PublicKey.fromCertificatePem(readFileSync(rel.certFile, 'utf8')).canonicalId;
    const add = await n('delegation', 'add', gun, 'targets/releases', 'rel.crt', '--all-paths', '-p');
    ok(add);
    assert.equal(
      add.out,
      `\nAddition of delegation role targets/releases with keys [${relId}], with paths ["" <all paths>], to repository "${gun}" staged for next publish.\n\nAuto-publishing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`,
    );
    const qaId = PublicKey.fromKeyObject((await import('node:crypto')).createPublicKey(readFileSync(qa.pubFile))).id;
    ok(await n('delegation', 'add', gun, 'targets/qa', 'qa.pub', '--paths', 'qa/,beta/', '-p'));
    const list = await n('delegation', 'list', gun);
    assert.equal(
      list.out,
      '\n' +
        table([
          ['ROLE', 'PATHS', 'KEY IDS', 'THRESHOLD'],
          ['----', '-----', '-------', '---------'],
          ['targets/qa', 'beta/', qaId, '1'],
          ['', 'qa/', '', ''],
          ['targets/releases', '"" <all paths>', relId, '1'],
        ]) +
        '\n',
    );
    // the delegation's key signs once imported (unencrypted PKCS#8, encrypted on import)
    ok(await n('key', 'import', 'rel.key', '--role', 'targets/releases'));
    ok(await n('add', gun, 'v4', 'r3.txt', '--roles', 'targets/releases', '-p'));
    assert.match((await n('list', gun)).out, new RegExp(`^v4\\s+${sha256('release 3\n')}\\s+10\\s+targets/releases\\s*$`, 'm'));
    assert.equal(
      (await n('list', gun, '--roles', 'targets/releases')).out,
      table([
        ['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'],
        ['----', '------', '------------', '----'],
        ['v4', sha256('release 3\n'), '10', 'targets/releases'],
      ]),
    );
    // a name outside the delegation's paths cannot be added
    const outside = await n('add', gun, 'other', 'hello.txt', '-r', 'targets/qa', '-p');
    assert.equal(outside.code, 1);
    assert.match(outside.out, /\* fatal: could not find necessary signing keys|\* fatal: Could not add all targets/);
    ok(await n('reset', gun, '--all'));

    // purge the qa key everywhere, then remove the releases delegation with its targets
    const purge = await n('delegation', 'purge', gun, '--key', qaId, '-p');
    ok(purge);
    assert.match(
      purge.out,
      new RegExp(`^Removal of the following keys from all delegations in ${gun} staged for next publish:\n\t- ${qaId}\n`),
    );
    assert.doesNotMatch((await n('delegation', 'list', gun)).out, new RegExp(qaId));
    const removed = await n('delegation', 'remove', gun, 'targets/releases', '-y', '-p');
    assert.equal(
      removed.out,
      `\nAre you sure you want to remove all data for this delegation? (yes/no)\nConfirmed \`yes\` from flag\n\nForced removal (including all keys and paths) of delegation role targets/releases to repository "${gun}" staged for next publish.\n\nAuto-publishing changes to ${gun}\nSuccessfully published changes for repository ${gun}\n`,
    );
    assert.doesNotMatch((await n('list', gun)).out, /v4/);
    const aborted = await n.with({ input: 'no\n' }, 'delegation', 'remove', gun, 'targets/qa');
    assert.deepEqual(
      [aborted.code, aborted.out],
      [1, '\nAre you sure you want to remove all data for this delegation? (yes/no)\n* fatal: Aborting action.\n'],
    );
  });

  it('key rotate: server-managed snapshot and timestamp, a new local targets key, root after confirmation', async () => {
    const trust = join(work, 'trust');
    const before = await new FileKeyStore(trust).list();
    const oldSnapshot = before.find((k) => k.role === 'snapshot' && k.gun === gun)!.keyId;
    assert.equal((await n('key', 'rotate', gun, 'snapshot', '-r')).out, `Successfully rotated snapshot key for repository ${gun}\n`);
    // notary drops the private key a rotation replaced
    assert.equal(await new FileKeyStore(trust).has(oldSnapshot), false);
    ok(await n('key', 'rotate', gun, 'timestamp', '-r'));
    ok(await n('key', 'rotate', gun, 'targets'));
    ok(await n('add', gun, 'after-rotation', 'hello.txt', '-p'));
    assert.match((await n('list', gun)).out, /^after-rotation\s/m);
    const declined = await n.with({ input: 'no\n' }, 'key', 'rotate', gun, 'root');
    assert.equal(
      declined.out,
      'Warning: you are about to rotate your root key.\n\nYou must use your old key to sign this root rotation.\nAre you sure you want to proceed?  (yes/no)  \nAborting action.\n',
    );
    const rotated = await n.with({ input: 'yes\n' }, 'key', 'rotate', gun, 'root');
    ok(rotated);
    assert.match(rotated.out, /Successfully rotated root key for repository/);
    // a fresh client trusts the rotated root
    const fresh = notaryRunner(work, server, join(work, 'trust-fresh'));
    assert.match((await fresh('list', gun)).out, /^after-rotation\s/m);
    for (const [role, flag, message] of [
      ['timestamp', [], 'notary does not permit the client managing the timestamp key'],
      ['targets', ['-r'], 'notary does not permit the server managing the targets key'],
      ['targets/releases', [], 'notary does not currently permit rotating the targets/releases key'],
    ] as const) {
      const r = await n('key', 'rotate', gun, role, ...flag);
      assert.deepEqual([r.code, r.out], [1, `\n* fatal: ${message}\n`]);
    }
  });

  it('--format json on list, lookup, status, delegation list, key list; errors as JSON', async () => {
    const list = JSON.parse((await n('list', gun, '--format', 'json')).out) as {
      gun: string;
      targets: Array<{ name: string; digest: string; size: number; role: string }>;
    };
    assert.equal(list.gun, gun);
    assert.deepEqual(
      list.targets.find((t) => t.name === 'v1'),
      { name: 'v1', digest: sha256('hello\n'), size: 6, role: 'targets' },
    );
    const lookup = JSON.parse((await n('lookup', gun, 'v1', '--format=json')).out) as { target: unknown };
    assert.deepEqual(lookup.target, {
      name: 'v1',
      digest: sha256('hello\n'),
      size: 6,
      role: 'targets',
    });
    ok(await n('add', gun, 'j1', 'hello.txt'));
    const status = JSON.parse((await n('status', gun, '--format', 'json')).out) as { changes: unknown[] };
    assert.deepEqual(status.changes, [{ index: 0, action: 'create', scope: 'targets', type: 'target', path: 'j1' }]);
    ok(await n('reset', gun, '--all'));
    const keys = JSON.parse((await n('key', 'list', '--format', 'json')).out) as { keys: Array<{ role: string; keyId: string }> };
    assert.equal(keys.keys[0]?.role, 'root');
    assert.ok(keys.keys.every((k) => /^[0-9a-f]{64}$/.test(k.keyId)));
    const delegations = JSON.parse((await n('delegation', 'list', gun, '--format', 'json')).out) as {
      delegations: Array<{ role: string; paths: string[] }>;
    };
    assert.deepEqual(
      delegations.delegations.map((d) => d.role),
      ['targets/qa'],
    );
    const failed = await n('lookup', gun, 'nope', '--format', 'json');
    assert.equal(failed.code, 1);
    assert.deepEqual(JSON.parse(failed.out), { error: 'No valid trust data for nope' });
    const bad = await n('list', gun, '--format', 'yaml');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--format must be "table" or "json"/);
  });

  it('key generate, list, export, import elsewhere, passwd, remove', async () => {
    const dir = join(work, 'keys');
    mkdirSync(dir);
    const k = notaryRunner(dir, undefined, join(dir, 'trust'));
    assert.equal((await k('key', 'list')).out, '\nNo signing keys found.\n\n');
    const gen = await k('key', 'generate', '--role', 'targets/ci');
    const id = /^Generated new ecdsa targets\/ci key with keyID: ([0-9a-f]{64})\n$/.exec(gen.out)?.[1];
    assert.ok(id, gen.out);
    const rootGen = await k('key', 'generate');
    const rootId = /root key with keyID: ([0-9a-f]{64})/.exec(rootGen.out)?.[1] as string;
    const location = join(dir, 'trust', 'private');
    const shown = location.length > 40 ? `...${location.slice(location.length - 37)}` : location;
    assert.equal(
      (await k('key', 'list')).out,
      '\n' +
        table([
          ['ROLE', 'GUN', 'KEY ID', 'LOCATION'],
          ['----', '---', '------', '--------'],
          ['root', '', rootId, shown],
          ['targets/ci', '', id, shown],
        ]) +
        '\n',
    );
    // -o: two files, nothing stored
    ok(await k('key', 'generate', '-o', 'out', '--role', 'targets/x'));
    assert.match(readFileSync(join(dir, 'out.pem'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\nrole: targets\/x\n\n/);
    assert.match(readFileSync(join(dir, 'out-key.pem'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets\/x\n\n/);
    assert.equal(statSync(join(dir, 'out-key.pem')).mode & 0o777, 0o600);

    const exported = await k('key', 'export', '--key', id);
    assert.match(exported.out, new RegExp(`^-----BEGIN ENCRYPTED PRIVATE KEY-----\npath: ${id}\nrole: targets/ci\n\n`));
    writeFileSync(join(dir, 'export.pem'), exported.out);
    const other = notaryRunner(dir, undefined, join(dir, 'trust2'));
    ok(await other('key', 'import', 'export.pem'));
    const imported = await new FileKeyStore(join(dir, 'trust2')).load(id, 'delegpass123');
    assert.equal(imported.role, 'targets/ci');

    // passwd: the key decrypts with its passphrase, and is stored again with the new one (here: an unencrypted key gets one)
    const store = new FileKeyStore(join(dir, 'trust'));
    const plain = await store.load(id, 'delegpass123');
    await store.save({ privateKey: plain.privateKey, role: 'targets/ci', passphrase: '' });
    assert.match(readFileSync(plain.path, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    const passwd = await k.with({ env: { NOTARY_DELEGATION_PASSPHRASE: 'a-new-passphrase' } }, 'key', 'passwd', id);
    assert.equal(passwd.out, `\nSuccessfully updated passphrase for key ID: ${id}\n`);
    assert.match(readFileSync(plain.path, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets\/ci\n/);
    await store.load(id, 'a-new-passphrase');
    await assert.rejects(store.load(id, 'delegpass123'));
    const unknownKey = await k('key', 'passwd', 'f'.repeat(64));
    assert.deepEqual(
      [unknownKey.code, unknownKey.out],
      [1, `\n* fatal: could not retrieve local key for key ID provided: ${'f'.repeat(64)}\n`],
    );

    const invalid = await k('key', 'remove', 'abc');
    assert.deepEqual([invalid.code, invalid.out], [1, '\n* fatal: invalid key ID provided: abc\n']);
    const kept = await k.with({ input: 'no\n' }, 'key', 'remove', id);
    assert.equal(kept.out, `\nAre you sure you want to remove ${id} (role targets/ci) from ${location}?  (yes/no)  \nAborting action.\n\n`);
    const removed = await k.with({ input: 'yes\n' }, 'key', 'remove', id);
    assert.equal(
      removed.out,
      `\nAre you sure you want to remove ${id} (role targets/ci) from ${location}?  (yes/no)  \nDeleted ${id} (role targets/ci) from ${location}.\n\n`,
    );
    assert.equal(await new FileKeyStore(join(dir, 'trust')).has(id), false);
  });

  it("delete --remote removes the cache and the server's data", async () => {
    const other = 'registry.example.com/team/deleted';
    ok(await n('init', '-p', other));
    const repoDir = join(work, 'trust', 'tuf', 'registry.example.com', 'team', 'deleted');
    assert.ok(existsSync(repoDir));
    const del = await n('delete', other, '--remote');
    assert.equal(
      del.out,
      `Deleting trust data for repository ${other}\nSuccessfully deleted local and remote trust data for repository ${other}\n`,
    );
    assert.equal(existsSync(repoDir), false);
    const list = await n('list', other);
    assert.deepEqual([list.code, list.out], [1, `\n* fatal: ${new URL(server.url).host} does not have trust data for ${other}\n`]);
  });
});

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
