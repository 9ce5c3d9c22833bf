/**
 * The world of the dashboard's browser tests: a real `dct server` process (TLS self-signed,
 * embedded registry on, a pull gate on `gated/*`) holding trust data made by the real tools:
 *
 * - `acme/app`, by the real notary CLI: `init`, `add v1` (the Repo Admin, `targets`), `delegation
 *   add` of `targets/releases` and `targets/bob` with bob's certificate (openssl), bob's key
 *   imported, `add v2 --roles targets/releases --roles targets/bob` (bob signs v2 as docker
 *   trust sign would), `key rotate … targets`: five publishes;
 * - `you/app`, as a Docker Hub user leaves it (test/support/docker-hub-user.ts): an image pushed
 *   by `dct push` into the embedded registry, signed with `docker trust` (alice) when docker is
 *   on PATH, else by notary;
 * - `acme/expiring`: `notary init --rootkey --rootcert` with a root certificate (openssl) valid
 *   for 3 days: its root certificate expires inside any warning window of 3 days or more;
 * - `gated/unsigned`: an image pushed unsigned (`dct push --disable-content-trust`); the pull
 *   gate refuses it, so a pull of it is a denied decision in the audit feed;
 * - `fill/repo-NNN`: `fillers` small repositories published through the Notary API by dct's
 *   client library (server-managed snapshot and timestamp), so that the list has pages;
 * - `long/<a name of 60 characters>`, published the same way: a GUN wider than a phone screen.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { createRepository, targetFromContent } from '../../src/app/create-repository.js';
import { dctOnPath, type DctOnPath } from '../support/dct-on-path.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { makeDockerHubUser, trustCa, type DockerHubUser } from '../support/docker-hub-user.js';
import { selfSignedEcCertArgs } from '../support/openssl.js';
import { run, type RunResult } from '../support/reference-stack.js';
import { generateTestImage } from '../support/test-images.js';
import { freePort, startDashboardServer, type DashboardServer } from './dashboard-server.js';

/** The passphrases of every key notary makes in the worlds. */
export const NOTARY_ENV = {
  NOTARY_ROOT_PASSPHRASE: 'browser-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'browser-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'browser-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'browser-delegation-pass',
};

/** Days the expiring repository's root certificate is valid. */
export const EXPIRING_CERT_DAYS = 3;

export interface DashboardWorld {
  server: DashboardServer;
  dir: string;
  /** the `dct` command line of this checkout */
  dct: DctOnPath;
  /** GUN signed by the Repo Admin (v1) and bob (v2) */
  bobRepo: string;
  /** the Docker Hub user's repository (made by docker trust, or notary without docker) */
  dockerUser: DockerHubUser;
  /** GUN whose root certificate expires in EXPIRING_CERT_DAYS days */
  expiringRepo: string;
  /** the unsigned image the pull gate refuses (`<host>/gated/unsigned:v1`) */
  gatedImage: string;
  fillers: string[];
  /** GUN whose last segment does not fit across a 375 px screen in one line */
  longRepo: string;
  /** runs the real notary CLI against the server with its own trust dir */
  notary(trustDir: string, args: readonly string[], env?: Record<string, string>): Promise<RunResult>;
  close(): Promise<void>;
}

export interface WorldOptions {
  fillers?: number;
  /** more settings for the server's config file */
  config?: Record<string, unknown>;
}

export async function startDashboardWorld(opts: WorldOptions = {}): Promise<DashboardWorld> {
  await ensureUiBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'dct-browser-'));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const server = await startDashboardServer({
      dir,
      port,
      config: { pullGate: [{ repositories: `${host}/gated/*`, signers: [] }], ...opts.config },
    });
    cleanups.push(() => server.stop());
    const dct = await dctOnPath();
    cleanups.push(() => dct.cleanup());
    const notary = (trustDir: string, args: readonly string[], env: Record<string, string> = {}) =>
      run('notary', ['-s', server.url, '--tlscacert', server.caFile, '-d', trustDir, ...args], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, ...NOTARY_ENV, ...env },
        cwd: dir,
      });

    const bobRepo = await makeBobRepository(dir, host, notary);
    const expiringRepo = await makeExpiringRepository(dir, host, notary);
    const dockerUser = await makeDockerHubUser({ dir: join(dir, 'docker-user'), source: server, registry: host, dctBin: dct.bin });
    const gatedImage = await pushUnsigned(dir, host, server, dct);
    const fillers = Array.from({ length: opts.fillers ?? 0 }, (_, i) => `${host}/fill/repo-${String(i + 1).padStart(3, '0')}`);
    const longRepo = `${host}/long/${LONG_NAME}`;
    await publishThroughApi(server, [...fillers, longRepo]);
    return { server, dir, dct, bobRepo, dockerUser, expiringRepo, gatedImage, fillers, longRepo, notary, close };
  } catch (err) {
    await close();
    throw err;
  }
}

type Notary = DashboardWorld['notary'];

/**
 * The server serves the UI from dist/ui (`npm run build`, or `npm run build:ui` alone): built here
 * when missing or older than a file of ui/ (the sources, so a test never runs a stale UI).
 */
export async function ensureUiBuilt(): Promise<void> {
  const index = join(PROJECT_ROOT, 'dist', 'ui', 'index.html');
  const sources = readdirSync(join(PROJECT_ROOT, 'ui'), { recursive: true, encoding: 'utf8' });
  const newest = Math.max(...sources.map((f) => statSync(join(PROJECT_ROOT, 'ui', f)).mtimeMs));
  if (existsSync(index) && statSync(index).mtimeMs >= newest) return;
  await run('npm', ['run', 'build:ui'], { cwd: PROJECT_ROOT, timeoutMs: 300_000 });
}

/**
 * `acme/app` by the real notary CLI: v1 by the Repo Admin; bob's certificate (openssl) made the
 * key of `targets/releases` and `targets/bob` (one publish), bob's key imported, and v2 signed by
 * bob into both roles, as `docker trust sign` signs; then the targets key rotated.
 */
async function makeBobRepository(dir: string, host: string, notary: Notary): Promise<string> {
  const gun = `${host}/acme/app`;
  const trust = join(dir, 'acme-trust');
  const files = join(dir, 'files');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'v1.txt'), 'acme app v1\n');
  writeFileSync(join(files, 'v2.txt'), 'acme app v2, signed by bob\n');
  await notary(trust, ['init', '-p', gun]);
  await notary(trust, ['add', '-p', gun, 'v1', join(files, 'v1.txt')]);
  await run('openssl', selfSignedEcCertArgs(join(dir, 'bob.key'), join(dir, 'bob.crt'), 'bob', 365));
  await notary(trust, ['delegation', 'add', gun, 'targets/releases', join(dir, 'bob.crt'), '--all-paths']);
  await notary(trust, ['delegation', 'add', '-p', gun, 'targets/bob', join(dir, 'bob.crt'), '--all-paths']);
  await notary(trust, ['key', 'import', join(dir, 'bob.key'), '--role', 'targets/bob']);
  await notary(trust, ['add', '-p', gun, 'v2', join(files, 'v2.txt'), '--roles', 'targets/releases', '--roles', 'targets/bob']);
  await notary(trust, ['key', 'rotate', gun, 'targets']);
  return gun;
}

/**
 * `acme/expiring`: its root key made by openssl, encrypted as notary imports root keys (PKCS#8,
 * PBES2 with HMAC-SHA1), and a root certificate for the GUN (a leaf: CA:FALSE) valid for
 * EXPIRING_CERT_DAYS days, given to `notary init --rootkey --rootcert`; then one tag.
 */
async function makeExpiringRepository(dir: string, host: string, notary: Notary): Promise<string> {
  const gun = `${host}/acme/expiring`;
  const key = join(dir, 'expiring-root.key');
  const encrypted = join(dir, 'expiring-root.p8');
  const cert = join(dir, 'expiring-root.crt');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await run('openssl', [
    ...['req', '-new', '-x509', '-key', key, '-out', cert, '-days', String(EXPIRING_CERT_DAYS)],
    ...['-subj', `/CN=${gun.replaceAll('/', '\\/')}`, '-addext', 'basicConstraints=critical,CA:FALSE'],
    ...['-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=codeSigning'],
  ]);
  await run('openssl', [
    ...['pkcs8', '-topk8', '-in', key, '-out', encrypted, '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1'],
    ...['-passout', `pass:${NOTARY_ENV.NOTARY_ROOT_PASSPHRASE}`],
  ]);
  const trust = join(dir, 'expiring-trust');
  writeFileSync(join(dir, 'files', 'expiring.txt'), 'expiring soon\n');
  await notary(trust, ['init', '-p', gun, '--rootkey', encrypted, '--rootcert', cert]);
  await notary(trust, ['add', '-p', gun, 'v1', join(dir, 'files', 'expiring.txt')]);
  return gun;
}

/** `gated/unsigned:v1`, pushed by `dct push` without signing. */
async function pushUnsigned(dir: string, host: string, server: DashboardServer, dct: DctOnPath): Promise<string> {
  const image = `${host}/gated/unsigned`;
  const built = await generateTestImage(join(dir, 'unsigned-layout'), { seed: 'browser-unsigned', tag: 'v1', layers: [4096] });
  const home = join(dir, 'pusher');
  trustCa(home, server); // ~/.docker/tls/<host>/ca.crt, where dct looks
  await run(join(dct.bin, 'dct'), ['push', `${built.dir}:v1`, `${image}:v1`, '--disable-content-trust'], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
  });
  return `${image}:v1`;
}

/** The last segment of the long GUN: 60 characters with no place to break a line. */
const LONG_NAME = 'a_repository_name_too_long_for_one_line_on_a_phone_screen_60';

/** Repositories `guns` with one tag each, published through the Notary API. */
async function publishThroughApi(server: DashboardServer, guns: readonly string[]): Promise<void> {
  const client = new NotaryClient({ baseUrl: server.url, caFile: server.caFile, timeoutMs: 30_000 });
  const key = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const rootKey = key();
  const targetsKey = key();
  try {
    for (const [i, gun] of guns.entries()) {
      const created = await createRepository({
        gun,
        now: new Date(),
        rootKey,
        targetsKey,
        serverSnapshotKey: await client.getKey(gun, 'snapshot'),
        timestampKey: await client.getKey(gun, 'timestamp'),
        targets: { latest: targetFromContent(Buffer.from(`filler ${i + 1}\n`)) },
      });
      await client.publish(gun, created.files);
    }
  } finally {
    client.close();
  }
}
