/**
 * What the trust export tests share: `dct trust …` run in-process with a test io, a
 * repository built by the REAL notary CLI on any trust server (a delegation with two
 * signers, a signer of its own, a removed tag, a root rotation), its `notary list`, and
 * tar surgery on a bundle (to tamper with it).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTrust } from '../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';
import { readBundleFile, TarBundleWriter } from '../../src/adapters/trust-bundle/bundle-file.js';
import { selfSignedEcCertArgs } from '../support/openssl.js';
import { parseNotaryList, run, type NotaryListRow } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';

export interface TrustRun {
  code: number;
  out: string;
  err: string;
}

export async function dctTrust(args: readonly string[], env: Record<string, string>, now: Date = new Date()): Promise<TrustRun> {
  let out = '';
  let err = '';
  const io: TrustIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readLine: async () => undefined,
    env,
    cwd: env['HOME'] ?? '/',
    now: () => now,
    hints: false,
  };
  const code = await runTrust(args, io);
  return { code, out, err };
}

/** `host:port` of a server URL */
export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '443'}`;
}

/** A DOCKER_CONFIG that trusts the server's CA (docker's `tls/<host:port>/ca.crt`) and an env for dct around it. */
export function dockerEnv(server: TrustServerUnderTest, dir: string): Record<string, string> {
  const config = join(dir, 'docker-config');
  const tls = join(config, 'tls', hostPort(server.url));
  mkdirSync(tls, { recursive: true });
  copyFileSync(server.caFile, join(tls, 'ca.crt'));
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  return { HOME: home, DOCKER_CONFIG: config, DCT_CONFIG: join(home, 'dct.json'), PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
}

export const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'export-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'export-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'export-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'export-delegation-pass',
};

/** The real notary CLI on `server` with trust dir `trustDir`. */
export function notary(server: TrustServerUnderTest, trustDir: string, args: readonly string[], input?: string) {
  return run('notary', ['-s', server.url, '--tlscacert', server.caFile, '-d', trustDir, ...args], {
    env: { ...process.env, ...PASSPHRASES },
    timeoutMs: 60_000,
    ...(input !== undefined ? { input } : {}),
  });
}

/**
 * Builds `gun` with the real notary CLI: v1..v3 in targets; targets/releases signed by
 * alice and bob (threshold 1), targets/bob of bob's own; v4 released by alice, v5 by bob
 * in targets/bob; v2 removed; the root rotated (root v2), then v6 added. Returns the tags
 * signed and the delegations.
 */
export async function buildRepository(server: TrustServerUnderTest, dir: string, gun: string): Promise<{ trustDir: string }> {
  const trustDir = join(dir, 'builder-trust');
  const files = join(dir, 'files');
  mkdirSync(files, { recursive: true });
  for (const v of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) writeFileSync(join(files, `${v}.txt`), `hello ${v}\n`);
  await Promise.all(
    ['alice', 'bob'].map((n) => run('openssl', selfSignedEcCertArgs(join(dir, `${n}.key`), join(dir, `${n}.crt`), n, 3650))),
  );
  const n = (args: readonly string[], input?: string) => notary(server, trustDir, args, input);
  await n(['init', gun]);
  for (const v of ['v1', 'v2', 'v3']) await n(['add', gun, v, join(files, `${v}.txt`)]);
  await n(['publish', gun]);
  await n(['delegation', 'add', gun, 'targets/releases', join(dir, 'alice.crt'), join(dir, 'bob.crt'), '--all-paths']);
  await n(['delegation', 'add', gun, 'targets/bob', join(dir, 'bob.crt'), '--all-paths']);
  await n(['publish', gun]);
  await n(['key', 'import', join(dir, 'alice.key'), '--role', 'targets/releases']);
  await n(['key', 'import', join(dir, 'bob.key'), '--role', 'targets/bob']);
  await n(['add', gun, 'v4', join(files, 'v4.txt'), '-r', 'targets/releases']);
  await n(['add', gun, 'v5', join(files, 'v5.txt'), '-r', 'targets/bob']);
  await n(['remove', gun, 'v2']);
  await n(['publish', gun]);
  await n(['key', 'rotate', gun, 'root'], 'yes\n');
  await n(['add', gun, 'v6', join(files, 'v6.txt')]);
  await n(['publish', gun]);
  return { trustDir };
}

/** `notary list GUN` by the real CLI from a fresh trust dir (it also fills that dir's cache). */
export async function notaryList(server: TrustServerUnderTest, trustDir: string, gun: string): Promise<NotaryListRow[]> {
  const { stdout } = await notary(server, trustDir, ['list', gun]);
  return parseNotaryList(stdout);
}

/** The tag table of a verify-bundle JSON verdict's repository as notary list rows would give it (name, digest, size). */
export function tagsAsRows(
  tags: ReadonlyArray<{ name: string; digest: string; size: number }>,
): Array<{ name: string; digest: string; size: number }> {
  return tags
    .map((t) => ({ name: t.name, digest: t.digest.replace(/^sha256:/, ''), size: t.size }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function rowsOf(rows: readonly NotaryListRow[]): Array<{ name: string; digest: string; size: number }> {
  return rows.map((r) => ({ name: r.name, digest: r.digest, size: r.size })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Rewrites a bundle: `edit` changes its manifest (parsed) and files in place. */
export async function rewriteBundle(
  from: string,
  to: string,
  edit: (manifest: Record<string, unknown>, files: Map<string, Buffer>) => void,
): Promise<void> {
  const contents = await readBundleFile(from);
  const manifest = JSON.parse(contents.manifest.toString('utf8')) as Record<string, unknown>;
  const files = new Map(contents.files);
  edit(manifest, files);
  await new TarBundleWriter(to).write(
    Buffer.from(JSON.stringify(manifest, null, 2)),
    [...files.entries()].map(([path, bytes]) => ({ path, bytes })),
  );
}
