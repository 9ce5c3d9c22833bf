/**
 * `dct notary` in process against an in-process `dct server`: notary's outputs,
 * exit codes and error texts for the repository, delegation and key commands
 * (init, add, publish, list, lookup, verify, remove, reset, witness,
 * delegation, key rotate/generate/export/import/passwd/remove, delete --remote)
 * and `--format json`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import type { RunningServer } from '../../../src/server/start-server.js';
import { notaryRunner, startDctServer, table, writeDelegationKey } from './helpers.js';
import { ok, sha256 } from './notary-cli-support.js';

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
