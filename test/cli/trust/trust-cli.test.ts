/**
 * `dct trust …` in process against an in-process `dct server` (TLS, loopback
 * registry: certificate verification skipped as docker does): grammar, docker's
 * messages and exit codes, the docker 28 bugs dct does not copy, and --format json.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { allTrustCommands, runTrust } from '../../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../../src/cli/docker-trust/io.js';
import { encodePrivateKeyFile, publicKeyOf } from '../../../src/core/keys/key-file.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';

const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'cli-root-pass', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'cli-repo-pass' };
const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('dct trust (in process, against dct server)', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-cli-'));
  let server: RunningServer;
  let n = 0;

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: 'sqlite::memory:', dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'k' }, pino({ level: 'warn' }));
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A user: own DOCKER_CONFIG and working folder. */
  function user(extraEnv: Record<string, string> = {}) {
    const home = join(work, `user-${++n}`);
    mkdirSync(join(home, 'docker'), { recursive: true });
    const env = {
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      HOME: home,
      ...PASS,
      ...extraEnv,
    };
    const run = async (args: string[], input = '', hints = false): Promise<Run> => {
      let out = '';
      let err = '';
      const lines = input.split('\n');
      const io: TrustIo = {
        out: (t) => void (out += t),
        err: (t) => void (err += t),
        readLine: async () => (lines.length > 1 ? lines.shift() : undefined),
        env,
        cwd: home,
        now: () => new Date(),
        hints,
      };
      const code = await runTrust(args, io);
      return { code, out, err };
    };
    return { home, env, run };
  }
  const gunOf = (name: string) => `127.0.0.1:5000/cli/${name}`;
  const expectRun = (r: Run, expected: Partial<Run>) =>
    assert.deepEqual({ code: r.code, out: r.out, err: r.err }, { code: 0, out: '', err: '', ...expected });

  describe('grammar', () => {
    it('usage errors as docker words them: arity (exit 1), flags (exit 125), help (exit 0)', async () => {
      const u = user();
      expectRun(await u.run(['sign']), {
        code: 1,
        err: "dct: 'dct trust sign' requires 1 argument\n\nUsage:  dct trust sign IMAGE:TAG\n\nRun 'dct trust sign --help' for more information\n",
      });
      expectRun(await u.run(['signer', 'add', 'x']), {
        code: 1,
        err: "dct: 'dct trust signer add' requires at least 2 arguments\n\nUsage:  dct trust signer add OPTIONS NAME REPOSITORY [REPOSITORY...] \n\nSee 'dct trust signer add --help' for more information\n",
      });
      expectRun(await u.run(['inspect', '--bogus', 'x']), {
        code: 125,
        err: "unknown flag: --bogus\n\nUsage:  dct trust inspect IMAGE[:TAG] [IMAGE[:TAG]...]\n\nRun 'dct trust inspect --help' for more information\n",
      });
      expectRun(await u.run(['revoke', '-x', 'a']), {
        code: 125,
        err: "unknown shorthand flag: 'x' in -x\n\nUsage:  dct trust revoke [OPTIONS] IMAGE[:TAG]\n\nRun 'dct trust revoke --help' for more information\n",
      });
      expectRun(await u.run(['key', 'generate', 'a', '--dir']), {
        code: 125,
        err: "flag needs an argument: --dir\n\nUsage:  dct trust key generate NAME\n\nRun 'dct trust key generate --help' for more information\n",
      });
      const pretty = await u.run(['inspect', '--pretty=maybe', 'x']);
      assert.equal(pretty.code, 125);
      assert.match(pretty.err, /^invalid argument "maybe" for "--pretty" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n/);
      const help = await u.run(['revoke', '--help']);
      assert.equal(help.code, 0);
      assert.match(
        help.out,
        /^Usage: {2}dct trust revoke \[OPTIONS\] IMAGE\[:TAG\]\n\nRemove trust for an image\n\nOptions:\n {2}-y, --yes +Do not prompt for confirmation\n/,
      );
      const group = await u.run([]);
      assert.equal(group.code, 0);
      assert.match(
        group.out,
        /Management Commands:\n {2}key +Manage keys for signing Docker images\n {2}signer +Manage entities who can sign Docker images/,
      );
      expectRun(await u.run(['key', 'frob']), {
        code: 1,
        err: "dct: unknown command: dct trust key frob\n\nUsage:  dct trust key\n\nRun 'dct trust key --help' for more information\n",
      });
      // names of Object.prototype are not commands
      expectRun(await u.run(['constructor']), {
        code: 1,
        err: "dct: unknown command: dct trust constructor\n\nUsage:  dct trust\n\nRun 'dct trust --help' for more information\n",
      });
    });

    it("the group listings show each command's own summary (commands load only when run)", async () => {
      const commands = await allTrustCommands();
      assert.equal(commands.length, 11); // docker's 7, plus dct's export, verify-bundle, migrate and resign
      for (const c of commands) assert.equal(c.short, c.command.spec.short, c.path);
    });

    it("argument checks before any server contact, with docker's texts", async () => {
      const u = user();
      expectRun(await u.run(['sign', 'foo']), { code: 1, err: 'no tag specified for foo\n' });
      expectRun(await u.run(['sign', `foo@sha256:${D1}`]), { code: 1, err: 'cannot use a digest reference for IMAGE:TAG\n' });
      expectRun(await u.run(['revoke', `foo@sha256:${D1}`]), { code: 1, err: 'cannot use a digest reference for IMAGE:TAG\n' });
      expectRun(await u.run(['sign', 'FOO:1']), {
        code: 1,
        err: 'invalid reference format: repository name (library/FOO) must be lowercase\n',
      });
      expectRun(await u.run(['signer', 'add', 'alice', 'foo']), {
        code: 1,
        err: 'path to a public key must be provided using the `--key` flag\n',
      });
      expectRun(await u.run(['signer', 'add', 'releases', 'foo']), {
        code: 1,
        err: 'releases is a reserved keyword, use a different signer name\n',
      });
      expectRun(await u.run(['signer', 'add', '--key', 'k.pub', 'Al', 'foo']), {
        code: 1,
        err: 'signer name "Al" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character\n',
      });
      expectRun(await u.run(['signer', 'add', '--key', 'missing.pub', 'al', 'foo']), {
        code: 1,
        err: 'unable to read public key from file: open missing.pub: no such file or directory\n',
      });
      expectRun(await u.run(['signer', 'remove', 'releases', 'foo']), {
        code: 1,
        out: 'Removing signer "releases" from foo...\n',
        err: 'releases is a reserved keyword and cannot be removed\n\nerror removing signer from: foo\n',
      });
      expectRun(await u.run(['sign', 'x:1', '--digest', `sha256:${D1}`]), {
        code: 1,
        err: "--digest and --size go together: give both (the manifest's sha256 digest and its length in bytes), or neither to read them from the registry\n",
      });
      expectRun(await u.run(['inspect', 'x'], ''), { code: 1, out: '[]\n', err: 'no signatures or cannot access x\n' });
      const bad = user({ DOCKER_CONTENT_TRUST_SERVER: 'http://plain.example' });
      expectRun(await bad.run(['inspect', 'x']), {
        code: 1,
        out: '[]\n',
        err: 'valid https URL required for trust server, got http://plain.example\n',
      });
      expectRun(await u.run(['revoke', 'foo'], 'n\n'), { out: 'Confirm you would like to delete all signature data for foo? [y/N] ' });
    });
  });

  describe('keys', () => {
    it("generate: docker's messages and files; the key is in $DOCKER_CONFIG/trust/private under the role NAME", async () => {
      const u = user();
      mkdirSync(join(u.home, 'k'));
      expectRun(await u.run(['key', 'generate', 'alice', '--dir', 'k']), {
        out: 'Generating key for alice...\nSuccessfully generated and loaded private key. Corresponding public key available: k/alice.pub\n',
      });
      assert.equal(statSync(join(u.home, 'k', 'alice.pub')).mode & 0o777, 0o600);
      const keys = readdirSync(join(u.home, 'docker', 'trust', 'private'));
      assert.equal(keys.length, 1);
      assert.match(
        readFileSync(join(u.home, 'docker', 'trust', 'private', keys[0]!), 'utf8'),
        /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n\n/,
      );
      expectRun(await u.run(['key', 'generate', 'alice', '--dir', 'k']), {
        code: 1,
        err: 'public key file already exists: "k/alice.pub"\n',
      });
      expectRun(await u.run(['key', 'generate', 'bob', '--dir', 'nope']), { code: 1, err: 'public key path does not exist: "nope"\n' });
      const json = await u.run(['key', 'generate', 'bob', '--format', 'json']);
      assert.equal(json.code, 0);
      const parsed = JSON.parse(json.out) as { name: string; keyId: string; publicKey: string };
      assert.equal(parsed.publicKey, join(u.home, 'bob.pub'));
      assert.ok(existsSync(join(u.home, 'docker', 'trust', 'private', `${parsed.keyId}.key`)));
    });

    it('load: an encrypted key is really imported (docker 28 only says so); permissions are checked as docker does', async () => {
      const u = user();
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const file = join(u.home, 'enc.key');
      writeFileSync(
        file,
        encodePrivateKeyFile({ privateKey, role: 'carol', passphrase: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE }),
        { mode: 0o600 },
      );
      expectRun(await u.run(['key', 'load', 'enc.key']), {
        out: 'Loading key from "enc.key"...\nSuccessfully imported key from enc.key\n',
      });
      const id = publicKeyOf(privateKey).id;
      assert.match(readFileSync(join(u.home, 'docker', 'trust', 'private', `${id}.key`), 'utf8'), /role: carol/);
      chmodSync(file, 0o644);
      expectRun(await u.run(['key', 'load', 'enc.key', '--name', 'x']), {
        code: 1,
        out: 'Loading key from "enc.key"...\n',
        err: 'refusing to load key from enc.key: private key file enc.key must not be readable or writable by others\n',
      });
      expectRun(await u.run(['key', 'load', 'gone.key']), {
        code: 1,
        out: 'Loading key from "gone.key"...\n',
        err: 'refusing to load key from gone.key: stat gone.key: no such file or directory\n',
      });
    });
  });

  describe('signers, signing, revoking', () => {
    it('the docker flow: signer add (initialises), inspect, sign, re-sign, revoke, signer remove really removes', async () => {
      const gun = gunOf('flow');
      const owner = user();
      for (const who of ['alice', 'bob'])
        expectRun(await owner.run(['key', 'generate', who]), {
          out: `Generating key for ${who}...\nSuccessfully generated and loaded private key. Corresponding public key available: ${join(owner.home, `${who}.pub`)}\n`,
        });
      expectRun(await owner.run(['signer', 'add', '--key', 'alice.pub', 'alice', gun]), {
        out: `Adding signer "alice" to ${gun}...\nInitializing signed repository for ${gun}...\nSuccessfully initialized "${gun}"\nSuccessfully added signer: alice to ${gun}\n\n`,
      });
      expectRun(await owner.run(['signer', 'add', '--key=bob.pub', 'bob', gun]), {
        out: `Adding signer "bob" to ${gun}...\nSuccessfully added signer: bob to ${gun}\n\n`,
      });

      // a new tag: signed into every role whose key the owner holds
      expectRun(await owner.run(['sign', `${gun}:v1`, '--digest', `sha256:${D1}`, '--size', '100']), {
        out: `Signing and pushing trust metadata\nSuccessfully signed ${gun}:v1\n`,
        err: `Signing and pushing trust data for local image ${gun}:v1, may overwrite remote trust data\n`,
      });
      const reader = user();
      const info = JSON.parse((await reader.run(['inspect', `${gun}:v1`])).out) as Array<{
        SignedTags: unknown;
        Signers: Array<{ Name: string }>;
      }>;
      assert.deepEqual(info[0]!.SignedTags, [{ SignedTag: 'v1', Digest: D1, Signers: ['alice', 'bob'] }]);
      assert.deepEqual(
        info[0]!.Signers.map((s) => s.Name),
        ['bob', 'alice'],
      );

      // the tag is released: signing again re-signs what is released (the given digest matches)
      expectRun(await owner.run(['sign', `${gun}:v1`]), {
        out: `Signing and pushing trust metadata for ${gun}:v1\nExisting signatures for tag v1 digest ${D1} from:\nalice, bob\nSuccessfully signed ${gun}:v1\n`,
      });
      // another digest replaces it
      await owner.run(['sign', `${gun}:v1`, '--digest', `sha256:${D2}`, '--size', '7']);
      const pretty = await reader.run(['inspect', '--pretty', gun]);
      assert.match(pretty.out, new RegExp(`\\nv1 {11}${D2} {3}alice, bob\\n`));

      // bob is not the last signer: dct removes him without asking (docker 28 silently does nothing)
      expectRun(await owner.run(['signer', 'remove', 'bob', gun]), {
        out: `Removing signer "bob" from ${gun}...\nSuccessfully removed bob from ${gun}\n\n`,
      });
      const after = JSON.parse((await reader.run(['inspect', gun])).out) as Array<{ Signers: Array<{ Name: string }> }>;
      assert.deepEqual(
        after[0]!.Signers.map((s) => s.Name),
        ['alice'],
      );

      // alice is now the last signer whose signature on the releases counts (bob's key is gone
      // from targets/releases): asked first; "n" keeps her; -f removes her without asking
      const question = `The signer "alice" signed the last released version of ${gun}. Removing this signer will make ${gun} unpullable. Are you sure you want to continue? [y/N] `;
      expectRun(await owner.run(['signer', 'remove', 'alice', gun], 'n\n'), { out: `Removing signer "alice" from ${gun}...\n${question}` });
      const none = gunOf('none');
      expectRun(await owner.run(['signer', 'remove', 'alice', none]), {
        code: 1,
        out: `Removing signer "alice" from ${none}...\n`,
        err: `error retrieving signers for ${none}: ${new URL(server.url).host} does not have trust data for ${none}\n\nerror removing signer from: ${none}\n`,
      });

      // revoke the tag; then there is nothing left to revoke
      expectRun(await owner.run(['revoke', '-y', `${gun}:v1`]), { out: `Successfully deleted signature for ${gun}:v1\n` });
      expectRun(await owner.run(['revoke', '--yes', gun]), {
        code: 1,
        err: `could not remove signature for ${gun}: no signed tags to remove\n`,
      });
      expectRun(await owner.run(['revoke', '-y', `${gun}:v9`]), {
        code: 1,
        err: `could not remove signature for ${gun}:v9: No valid trust data for v9\n`,
      });
      expectRun(await owner.run(['signer', 'remove', '-f', 'zoe', gun]), {
        code: 1,
        out: `Removing signer "zoe" from ${gun}...\n`,
        err: `no signer zoe for repository ${gun}\n\nerror removing signer from: ${gun}\n`,
      });
      const forced = await owner.run(['signer', 'remove', '-f', 'alice', gun]);
      assert.equal(forced.out, `Removing signer "alice" from ${gun}...\nSuccessfully removed alice from ${gun}\n\n`);
      const empty = JSON.parse((await reader.run(['inspect', gun])).out) as Array<{ Signers: unknown[] }>;
      assert.deepEqual(empty[0]!.Signers, []);

      // several arguments: what could be read is printed, the failures follow on stderr (exit 1)
      const mixed = await reader.run(['inspect', gun, none, 'BAD']);
      assert.equal(mixed.code, 1);
      assert.deepEqual(
        (JSON.parse(mixed.out) as Array<{ Name: string }>).map((r) => r.Name),
        [gun],
      );
      // (targets/releases is still signed by removed keys only: the client warns, as notary does)
      assert.equal(
        mixed.err.replace(/^time=".*" level=warning msg=.*\n/gm, ''),
        `no signatures or cannot access ${none}\ninvalid reference format: repository name (library/BAD) must be lowercase\n`,
      );
      assert.match(
        mixed.err,
        /level=warning msg="Error getting targets\/releases: valid signatures did not meet threshold for targets\/releases"/,
      );
      const twoPretty = await reader.run(['inspect', '--pretty', gun, gun]);
      const block = `\nNo signatures for ${gun}\n\n\nAdministrative keys for ${gun}\n\n`;
      assert.equal(twoPretty.out.split(block).length, 3);
      assert.match(twoPretty.out, /Root Key:\t[0-9a-f]{64}\n\n\n\nNo signatures/);
      // with hints (a terminal, or DCT_HINTS=1) the cause and the fix follow docker's line
      const hinted = await reader.run(['inspect', none], '', true);
      assert.equal(hinted.out, '[]\n');
      assert.match(
        hinted.err,
        new RegExp(
          `^no signatures or cannot access ${none.replace(/\./g, '\\.')}\nhint: .*does not have trust data for .*\nhint: .*sign a tag with \`dct trust sign`,
        ),
      );
    });

    it("sign on a new repository: with a registry user name docker's signer set-up, without one docker push's (targets)", async () => {
      const withUser = user();
      writeFileSync(
        join(withUser.env.DOCKER_CONFIG, 'config.json'),
        JSON.stringify({ auths: { '127.0.0.1:5000': { auth: Buffer.from('maria:secret').toString('base64') } } }),
      );
      const gun = gunOf('by-user');
      expectRun(await withUser.run(['sign', `${gun}:1.0`, '--digest', `sha256:${D1}`, '--size', '5']), {
        out: `Created signer: maria\nFinished initializing signed repository for ${gun}:1.0\nSigning and pushing trust metadata\nSuccessfully signed ${gun}:1.0\n`,
        err: `Signing and pushing trust data for local image ${gun}:1.0, may overwrite remote trust data\n`,
      });
      const info = JSON.parse((await user().run(['inspect', gun])).out) as Array<{ SignedTags: unknown; Signers: Array<{ Name: string }> }>;
      assert.deepEqual(info[0]!.SignedTags, [{ SignedTag: '1.0', Digest: D1, Signers: ['maria'] }]);
      assert.deepEqual(
        info[0]!.Signers.map((s) => s.Name),
        ['maria'],
      );

      const anonymous = user();
      const gun2 = gunOf('anonymous');
      const r = await anonymous.run(['sign', `${gun2}:1.0`, '--digest', `sha256:${D2}`, '--size', '5', '--format', 'json']);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), {
        repository: gun2,
        tag: '1.0',
        digest: `sha256:${D2}`,
        size: 5,
        roles: ['targets'],
        initialized: true,
        resigned: false,
      });
      const info2 = JSON.parse((await user().run(['inspect', gun2])).out) as Array<{ SignedTags: unknown; Signers: unknown[] }>;
      assert.deepEqual(info2[0]!.SignedTags, [{ SignedTag: '1.0', Digest: D2, Signers: ['Repo Admin'] }]);

      // someone without keys for the repository cannot sign, with docker's wording
      const stranger = user();
      expectRun(await stranger.run(['sign', `${gun}:2.0`, '--digest', `sha256:${D1}`, '--size', '5']), {
        code: 1,
        out: 'Signing and pushing trust metadata\n',
        err: `Signing and pushing trust data for local image ${gun}:2.0, may overwrite remote trust data\nfailed to sign ${gun}:2.0: no valid signing keys for delegation roles\n`,
      });
    });

    it('--format json on signer add/remove and revoke; failures as JSON with a hint', async () => {
      const u = user();
      await u.run(['key', 'generate', 'kim']);
      const gun = gunOf('json');
      const add = await u.run(['signer', 'add', '--key', 'kim.pub', 'kim', gun, '--format', 'json']);
      assert.equal(add.code, 0, add.err);
      const added = JSON.parse(add.out) as {
        signer: string;
        repositories: Array<{ repository: string; added: boolean; initialized: boolean }>;
      };
      assert.deepEqual(
        added.repositories.map((r) => [r.repository, r.added, r.initialized]),
        [[gun, true, true]],
      );
      const revoke = await u.run(['revoke', '-y', gun, '--format', 'json']);
      assert.equal(revoke.code, 1);
      const failed = JSON.parse(revoke.out) as { error: { code: string; message: string; hint?: string } };
      assert.equal(failed.error.code, 'NO_SIGNED_TAGS');
      assert.match(failed.error.hint ?? '', /no tag is signed; sign one with `dct trust sign/);
      const removed = JSON.parse((await u.run(['signer', 'remove', 'kim', gun, '--format', 'json'])).out) as {
        repositories: Array<{ removed: boolean; error?: { message: string } }>;
      };
      assert.equal(removed.repositories[0]!.error?.message, 'all signed tags are currently revoked, use docker trust sign to fix');
    });
  });
});
