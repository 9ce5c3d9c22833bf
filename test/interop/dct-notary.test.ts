/**
 * dct as the `notary` binary: the scripted notary session (and docker's, whose
 * signing step runs `notary`) with dct first on PATH under the name `notary` gives
 * the same outputs and exit codes as the real notary 0.7, against the real
 * notary-server and against `dct server`; and what one tool leaves in a trust
 * directory (staged changelist, keys, cached metadata) the other one uses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSignedEcCertArgs } from '../support/openssl.js';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createRootCertificate } from '../../src/core/keys/certificate.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../support/reference-stack.js';
import { dockerSession, notarySession, type Step } from '../support/trust-scenarios.js';

const unavailable = await ensureReferenceTools();
const dockerMissing = missingTool('docker');
const execFileAsync = promisify(execFile);

/**
 * A folder holding `notary` = dct: a symlink to a bundle of src/cli/main.ts (dct
 * recognises its name, the argv[0] route), or, without esbuild, a script running
 * `node --import tsx src/cli/main.ts notary "$@"`.
 */
async function dctAsNotary(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  try {
    const esbuild = await import('esbuild');
    const app = join(dir, 'app');
    await esbuild.build({
      entryPoints: [join(PROJECT_ROOT, 'src', 'cli', 'main.ts')],
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: join(app, 'src', 'cli'),
      outExtension: { '.js': '.mjs' },
      logLevel: 'warning',
    });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(app, 'node_modules'));
    copyFileSync(join(PROJECT_ROOT, 'package.json'), join(app, 'package.json'));
    const main = join(app, 'src', 'cli', 'main.mjs');
    chmodSync(main, 0o755);
    symlinkSync(main, join(bin, 'notary'));
  } catch {
    const loader = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    writeFileSync(
      join(bin, 'notary'),
      `#!/bin/sh\nexec node --import ${loader} ${join(PROJECT_ROOT, 'src', 'cli', 'main.ts')} notary "$@"\n`,
      { mode: 0o755 },
    );
  }
  return bin;
}

/** Steps of a session with `gun` renamed to `as`, so that sessions on two GUNs of one server compare. */
function renamed(steps: Step[], gun: string, as: string): Step[] {
  return steps.map((s) => ({ command: s.command.split(gun).join(as), exitCode: s.exitCode, output: s.output.split(gun).join(as) }));
}

function compare(reference: Step[], dct: Step[]): void {
  assert.equal(dct.length, reference.length);
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as Step;
    const d = dct[i] as Step;
    assert.deepEqual(
      { command: d.command, exitCode: d.exitCode, output: d.output },
      { command: r.command, exitCode: r.exitCode, output: r.output },
      `step ${i + 1}: ${r.command}`,
    );
  }
}

const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'rootpass123',
  NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
  NOTARY_DELEGATION_PASSPHRASE: 'delegpass123',
};

describe('dct under the name notary: the notary CLI 0.7, output for output', { skip: interopSkip(unavailable) }, () => {
  let reference: ReferenceStack;
  let dct: RunningServer;
  let dctBin: string;
  const work = mkdtempSync(join(tmpdir(), 'dct-notary-interop-'));
  const pid = process.pid;
  let referenceSession: Step[] | undefined;
  let referenceGun = '';

  before(async () => {
    [reference, dctBin] = await Promise.all([startReferenceStack({ logLevel: 'warn' }), dctAsNotary(join(work, 'launcher'))]);
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(work, 'dct.db')}`, dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    dct = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'warn' }));
  });
  after(async () => {
    await dct?.close();
    await reference?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** the real notary's session on the reference server (run once, shared by the comparisons) */
  async function realNotarySession(): Promise<Step[]> {
    if (!referenceSession) {
      referenceGun = `127.0.0.1:${reference.registryPort}/interop/notary-ref-${pid}`;
      referenceSession = await notarySession(
        { url: reference.serverUrl, caFile: reference.caFile },
        mkdtempSync(join(work, 'ref-')),
        referenceGun,
      );
    }
    return referenceSession;
  }

  it(
    'the notary session with dct as notary, on the same notary-server, matches the real notary step for step',
    { timeout: 120_000 },
    async () => {
      const ref = await realNotarySession();
      const gun = `127.0.0.1:${reference.registryPort}/interop/notary-dct-${pid}`;
      const ours = await notarySession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'dct-')), gun, {
        pathPrefix: dctBin,
      });
      compare(ref, renamed(ours, gun, referenceGun));
    },
  );

  it(
    'the notary session with dct as notary against dct server matches the real notary against notary-server',
    { timeout: 120_000 },
    async () => {
      const ref = await realNotarySession();
      // same GUN text as the reference (another server): nothing to rename
      const ours = await notarySession({ url: dct.url, caFile: dct.caFile as string }, mkdtempSync(join(work, 'dctsrv-')), referenceGun, {
        pathPrefix: dctBin,
      });
      compare(ref, ours);
    },
  );

  it(
    'docker trust session whose signing step runs dct as notary matches the one running the real notary',
    { timeout: 180_000, skip: interopSkip(dockerMissing) },
    async () => {
      const gunRef = `127.0.0.1:${reference.registryPort}/interop/docker-ref-${pid}`;
      const gunDct = `127.0.0.1:${reference.registryPort}/interop/docker-dct-${pid}`;
      const ref = await dockerSession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'dref-')), gunRef);
      const ours = await dockerSession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'ddct-')), gunDct, {
        pathPrefix: dctBin,
      });
      compare(ref, renamed(ours, gunDct, gunRef));
    },
  );

  it(
    'trust directories are shared: changelists, keys and caches written by one tool are used by the other',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(work, 'shared-'));
      writeFileSync(join(dir, 'hello.txt'), 'hello\n');
      // unsorted members and <>&: notary signs such custom data as it is, and its own server then refuses
      // the signature (notary's "custom pitfall"); dct publishes it canonicalised
      writeFileSync(join(dir, 'custom.json'), '{"b": 2, "a": "<x> & y"}\n');
      writeFileSync(join(dir, 'plain.json'), '{"a": 1, "b": [true, null]}\n');
      const trust = join(dir, 'trust');
      const env = { PATH: process.env['PATH'], HOME: dir, ...PASSPHRASES };
      const exec = (file: string, args: string[], trustDir = trust, server = reference.serverUrl) =>
        new Promise<{ code: number; out: string; err: string }>((resolve) => {
          const child = execFile(
            file,
            ['-s', server, '--tlscacert', reference.caFile, '-d', trustDir, ...args],
            { cwd: dir, env, timeout: 60_000 },
            (e, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 99) : 0, out, err }),
          );
          child.stdin?.on('error', () => undefined);
          child.stdin?.end();
        });
      const real = (...args: string[]) => exec('notary', args);
      const ours = (...args: string[]) => exec(join(dctBin, 'notary'), args);
      const ok = (r: { code: number; out: string; err: string }, what: string) => assert.equal(r.code, 0, `${what}\n${r.out}${r.err}`);
      const sha256 = createHash('sha256').update('hello\n').digest('hex');
      const gun = (name: string) => `127.0.0.1:${reference.registryPort}/interop/shared-${name}-${pid}`;
      const changelistFiles = (t: string, g: string) => readdirSync(join(t, 'tuf', ...g.split('/'), 'changelist')).sort();

      // notary stages, dct shows and publishes, notary reads
      const a = gun('a');
      ok(await real('init', '-p', a), 'notary init');
      ok(await real('add', a, 'v1', 'hello.txt', '--custom', 'custom.json'), 'notary add');
      ok(await real('addhash', a, 'v2', '10', '--sha256', 'ab'.repeat(32)), 'notary addhash');
      const statusByNotary = await real('status', a);
      assert.equal((await ours('status', a)).out, statusByNotary.out);
      ok(await ours('publish', a), 'dct publish of notary-staged changes');
      assert.deepEqual(changelistFiles(trust, a), []);
      const listed = await real('list', a);
      ok(listed, 'notary list');
      assert.match(listed.out, new RegExp(`^v1\\s+${sha256}\\s+6\\s+targets\\s*$`, 'm'));
      assert.match(listed.out, new RegExp(`^v2\\s+${'ab'.repeat(32)}\\s+10\\s+targets\\s*$`, 'm'));
      assert.equal((await ours('list', a)).out, listed.out);

      // dct stages (targets, custom data, a delegation), notary shows and publishes, both read the same
      const b = gun('b');
      ok(await ours('init', '-p', b), 'dct init');
      ok(await ours('add', b, 'c1', 'hello.txt', '--custom', 'custom.json'), 'dct add --custom');
      ok(await real('add', b, 'c2', 'hello.txt', '--custom', 'custom.json'), 'notary add --custom');
      const [fromDct, fromNotary] = changelistFiles(trust, b).map((f) =>
        readFileSync(join(trust, 'tuf', ...b.split('/'), 'changelist', f), 'utf8'),
      );
      assert.match(changelistFiles(trust, b)[0] as string, /^\d{20}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.change$/);
      // byte for byte what notary writes for the same change (only the target name differs)
      assert.equal(fromDct, (fromNotary as string).replace('"path":"c2"', '"path":"c1"'));
      ok(await real('reset', b, '--all'), 'notary reset');
      ok(await ours('add', b, 'c1', 'hello.txt', '--custom', 'plain.json'), 'dct add --custom');
      const rel = join(dir, 'rel');
      await execFileAsync('openssl', selfSignedEcCertArgs(`${rel}.key`, `${rel}.crt`, 'releases', 400));
      ok(await ours('delegation', 'add', b, 'targets/releases', 'rel.crt', '--all-paths'), 'dct delegation add');
      assert.equal((await ours('status', b)).out, (await real('status', b)).out);
      ok(await real('publish', b), 'notary publish of dct-staged changes');
      const listB = await real('list', b);
      ok(listB, 'notary list');
      assert.equal((await ours('list', b)).out, listB.out);
      assert.match(listB.out, /^c1\s/m);
      assert.equal((await ours('delegation', 'list', b)).out, (await real('delegation', 'list', b)).out);
      // a key dct imports signs for notary
      ok(await ours('key', 'import', 'rel.key', '--role', 'targets/releases'), 'dct key import');
      ok(await real('add', b, 'r1', 'hello.txt', '--roles', 'targets/releases', '-p'), 'notary add signed with the key dct imported');
      assert.match((await ours('list', b)).out, /^r1\s+\S+\s+6\s+targets\/releases\s*$/m);
      assert.equal((await ours('key', 'list')).out, (await real('key', 'list')).out);

      // a root key dct generated is the one notary initialises with
      const keysOnly = join(dir, 'keys-only');
      const generated = await exec(join(dctBin, 'notary'), ['key', 'generate', '--role', 'root'], keysOnly);
      ok(generated, 'dct key generate');
      const rootId = /keyID: ([0-9a-f]{64})/.exec(generated.out)?.[1];
      assert.ok(rootId, generated.out);
      const c = gun('c');
      const init = await exec('notary', ['init', c], keysOnly);
      ok(init, 'notary init with a dct key');
      assert.match(init.out, new RegExp(`^Root key found, using: ${rootId}$`, 'm'));
      ok(await exec(join(dctBin, 'notary'), ['publish', c], keysOnly), 'dct publish of what notary initialised');
      assert.equal((await exec('notary', ['list', c], keysOnly)).out, '\nNo targets present in this repository.\n\n');

      // caches: what one tool downloaded, the other reads offline (server unreachable)
      for (const [writer, reader] of [
        ['notary', join(dctBin, 'notary')],
        [join(dctBin, 'notary'), 'notary'],
      ] as const) {
        const fresh = mkdtempSync(join(dir, 'cache-'));
        const online = await exec(writer, ['list', a], fresh);
        ok(online, `${writer} list`);
        const offline = await exec(reader, ['list', a], fresh, 'https://127.0.0.1:1');
        ok(offline, `${reader} list from the cache written by ${writer}`);
        assert.equal(offline.out, online.out);
        assert.match(offline.err, /level=error msg="could not reach https:\/\/127\.0\.0\.1:1: /);
        assert.match(offline.err, /using cached timestamp/);
      }
    },
  );

  it(
    "init --rootkey/--rootcert: the same outputs as notary for a matching certificate and each refusal; each tool reads the other's repository",
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(work, 'rootcert-'));
      const env = { PATH: process.env['PATH'], HOME: dir, ...PASSPHRASES };
      const run = (file: string, args: string[], trustDir: string) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          const child = execFile(
            file,
            ['-s', reference.serverUrl, '--tlscacert', reference.caFile, '-d', trustDir, ...args],
            { cwd: dir, env, timeout: 60_000 },
            (e, out, err) =>
              // logrus lines carry a time; notary repeats its expiry warning at each validation
              resolve({
                code: e ? (typeof e.code === 'number' ? e.code : 99) : 0,
                out: `${out}${err.replace(/^time="[^"]*" level=warning msg="certificate with CN .* is near expiry"\n/gm, '')}`,
              }),
          );
          child.stdin?.on('error', () => undefined);
          child.stdin?.end();
        });
      const openssl = async (args: string[]): Promise<void> => {
        await execFileAsync('openssl', args, { cwd: dir });
      };
      // the root key as notary imports it: PKCS#8, PBES2 with PBKDF2-HMAC-SHA1 (what notary and dct write)
      const rootKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      writeFileSync(join(dir, 'plain.pem'), rootKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await openssl([
        'pkcs8',
        '-topk8',
        '-in',
        'plain.pem',
        '-v2',
        'aes-256-cbc',
        '-v2prf',
        'hmacWithSHA1',
        '-passout',
        `pass:${PASSPHRASES.NOTARY_ROOT_PASSPHRASE}`,
        '-out',
        'root-key.pem',
      ]);
      const now = new Date();
      const certFor = (key: KeyObject, gun: string) =>
        createRootCertificate({
          privateKey: key,
          gun,
          notBefore: now,
          notAfter: new Date(now.getTime() + 3600_000 * 24 * 30),
          serial: randomBytes(16),
        });
      writeFileSync(join(dir, 'garbage.pem'), 'no PEM here\n');

      const session = async (file: string, tool: string) => {
        const gun = `127.0.0.1:${reference.registryPort}/interop/rootcert-${tool}-${pid}`;
        writeFileSync(join(dir, `${tool}-cert.pem`), certFor(rootKey.privateKey, gun));
        writeFileSync(join(dir, `${tool}-other.pem`), certFor(otherKey.privateKey, gun));
        const steps = [
          ['init', gun, '--rootkey', 'root-key.pem', '--rootcert', `${tool}-other.pem`],
          ['init', gun, '--rootkey', 'root-key.pem', '--rootcert', 'garbage.pem'],
          ['init', gun, '--rootkey', 'root-key.pem', '--rootcert', 'missing.pem'],
          ['init', gun, '--rootcert', `${tool}-other.pem`],
          ['init', gun, '--rootkey', 'root-key.pem', '--rootcert', `${tool}-cert.pem`, '-p'],
        ];
        const out: Array<{ code: number; out: string }> = [];
        for (const [i, step] of steps.entries()) {
          // each refusal from a trust dir of its own; the last one keeps its repository
          const r = await run(file, step, join(dir, `${tool}-trust-${i}`));
          out.push({ code: r.code, out: r.out.split(gun).join('<gun>').split(`${tool}-`).join('<tool>-') });
        }
        return { gun, out, trust: join(dir, `${tool}-trust-${steps.length - 1}`) };
      };
      const ref = await session('notary', 'notary');
      const ours = await session(join(dctBin, 'notary'), 'dct');
      assert.equal(ref.out[4]?.code, 0, ref.out[4]?.out);
      assert.deepEqual(ours.out, ref.out);

      // the root key in root.json is the certificate given (as notary writes it: its DER as PEM)
      const rootJson = JSON.parse(readFileSync(join(ours.trust, 'tuf', ...ours.gun.split('/'), 'metadata', 'root.json'), 'utf8')) as {
        signed: { roles: { root: { keyids: string[] } }; keys: Record<string, { keytype: string; keyval: { public: string } }> };
      };
      const rootKeyEntry = rootJson.signed.keys[rootJson.signed.roles.root.keyids[0] as string];
      assert.equal(rootKeyEntry?.keytype, 'ecdsa-x509');
      assert.equal(
        Buffer.from(rootKeyEntry?.keyval.public ?? '', 'base64').toString('utf8'),
        readFileSync(join(dir, 'dct-cert.pem'), 'utf8'),
      );
      // each tool reads what the other initialised with a given certificate
      for (const [file, repo] of [
        ['notary', ours],
        [join(dctBin, 'notary'), ref],
      ] as const) {
        const listed = await run(file, ['list', repo.gun], join(dir, `reader-${repo.gun.length}-${file.length}`));
        assert.deepEqual(listed, { code: 0, out: '\nNo targets present in this repository.\n\n' }, `${file} list ${repo.gun}`);
      }
    },
  );
});
