/**
 * `dct trust migrate --new-root` from one dct server to another, on repositories the REAL
 * notary CLI built (delegations, a removed tag, a root rotation): one whose snapshot key
 * the client holds, one whose snapshot the server signs. The trust dir has lost the root
 * key. The destination serves them under a new root key (made in the trust dir, encrypted,
 * 0600) with targets and delegations byte for byte; a client that trusted the old root
 * refuses it (the real `notary list`, `dct trust inspect`) until it runs the printed
 * commands, then lists the same tags; a notary client pinned to the printed root key ID
 * reads it and one pinned to another does not. Reruns skip, then catch up what the source
 * signed since; a destination holding the repository under another root is refused; an
 * existing root key is taken with `--rootkey FILE`; the targets key keeps signing there.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { parseNotaryList, type NotaryListRow } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';
import { buildRepository, dctTrust, dockerEnv, notary, notaryList, PASSPHRASES, rowsOf } from './trust-export-support.js';
import {
  keysOnly,
  notaryAtHome,
  runClientCommands,
  servedFiles,
  smallRepository,
  startDct,
  withoutRootKeys,
} from './trust-migrate-support.js';

const unavailable = missingTool('notary', 'openssl');

interface Outcome {
  gun: string;
  status: string;
  code?: string;
  reason?: string;
  rotated: string[];
  destinationRoot?: number;
  newRoot?: { keyId?: string; rootKeyId?: string };
}
interface Report {
  repositories: Outcome[];
  clients: { commands: string[]; trustPinning?: { certs: Record<string, string[]> } };
}

const ROLES = ['root', 'targets', 'targets/releases', 'targets/bob', 'snapshot'];

describe('dct trust migrate --new-root: dct server → dct server, the root key lost', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-migrate-new-root-'));
  let source: RunningServer;
  let dest: RunningServer;
  let from: TrustServerUnderTest;
  let to: TrustServerUnderTest;
  let env: Record<string, string>;
  let builderTrust: string;
  let lost: string;
  const gun = `127.0.0.1:15000/reroot/app-${process.pid}`;
  const served = `127.0.0.1:15000/reroot/served-${process.pid}`; // its snapshot is the server's
  const kept = `127.0.0.1:15000/reroot/kept-${process.pid}`; // migrated keeping its root first
  const later = `127.0.0.1:15000/reroot/later-${process.pid}`; // re-rooted with --rootkey
  const readerTrust = () => join(env['DOCKER_CONFIG'] as string, 'trust');
  const notaryHome = join(work, 'notary-home'); // a notary client with its default trust dir ~/.notary
  const homeNotary = (server: TrustServerUnderTest, args: readonly string[]) => notaryAtHome(server, notaryHome, args);
  let listed: NotaryListRow[];
  let inspectBefore: Array<{ SignedTags: unknown; Signers: unknown }>;
  let first: Report;

  const migrate = async (args: readonly string[], trustDir = lost) => {
    const r = await dctTrust(['migrate', from.url, to.url, ...args, '--trust-dir', trustDir, '--format', 'json'], {
      ...env,
      ...PASSPHRASES,
    });
    return { code: r.code, report: JSON.parse(r.out) as Report, err: r.err };
  };
  const statuses = (r: Report) => r.repositories.map((o) => [o.gun, o.status, o.code]);
  const inspect = async (server: TrustServerUnderTest) => {
    const r = await dctTrust(['inspect', gun], { ...env, DOCKER_CONTENT_TRUST_SERVER: server.url });
    return { code: r.code, json: r.code === 0 ? (JSON.parse(r.out) as typeof inspectBefore) : [] };
  };

  before(async () => {
    source = await startDct(join(work, 'source'));
    dest = await startDct(join(work, 'dest'));
    from = { url: source.url, caFile: source.caFile as string };
    to = { url: dest.url, caFile: dest.caFile as string };
    env = dockerEnv(from, work);
    dockerEnv(to, work);
    ({ trustDir: builderTrust } = await buildRepository(from, join(work, 'build'), gun));
    await buildRepository(from, join(work, 'build'), served);
    await notary(from, builderTrust, ['key', 'rotate', served, 'snapshot', '-r']);
    await smallRepository(from, builderTrust, kept, join(work, 'kept.txt'));
    await smallRepository(from, builderTrust, later, join(work, 'later.txt'));
    lost = withoutRootKeys(builderTrust, join(work, 'lost-trust'));
    listed = await notaryList(from, readerTrust(), gun); // a client that trusted the old root
    await homeNotary(from, ['list', gun]);
    inspectBefore = (await inspect(from)).json;
  });
  after(async () => {
    await dest.close();
    await source.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('--dry-run lists the repositories and what clients will do; nothing moves, no key is made', { timeout: 60_000 }, async () => {
    const dry = await migrate([gun, served, '--new-root', '--dry-run']);
    assert.equal(dry.code, 0, dry.err);
    assert.deepEqual(
      dry.report.repositories.map((o) => [o.status, o.newRoot]),
      [
        ['would-migrate', {}],
        ['would-migrate', {}],
      ],
    );
    assert.ok(dry.report.clients.commands.includes(`rm -rf ~/.notary/tuf/${gun}`));
    assert.equal(dry.report.clients.trustPinning, undefined);
    const text = await dctTrust(['migrate', from.url, to.url, gun, '--new-root', '--dry-run', '--trust-dir', lost], env);
    assert.match(text.out, /: would migrate under a new root key \(root chain v1\.\.v2, 5 tags\)\nDry run: 1 to migrate/);
    assert.match(text.out, /The root key IDs to pin \(notary trust_pinning\) are printed by the run\.\n$/);
    const rootKeys = () =>
      readdirSync(join(lost, 'private')).filter((f) => /^role: root$/m.test(readFileSync(join(lost, 'private', f), 'utf8')));
    assert.deepEqual(rootKeys(), [], 'the trust dir holds no root key, and the dry run made none');
    assert.equal((await servedFiles(to, gun, ['root'])).size, 0, 'the destination holds nothing');
    const wrong = await dctTrust(['migrate', from.url, to.url, gun, '--rootkey', 'x.key'], env);
    assert.equal(wrong.code, 125, "an argument error, as docker's");
    assert.match(wrong.err, /--rootkey chooses the root key of --new-root: give --new-root with it/);
  });

  it('migrates under a new root key made in the trust dir: targets and delegations byte for byte', { timeout: 60_000 }, async () => {
    const r = await migrate([gun, served, '--new-root']);
    assert.equal(r.code, 0, JSON.stringify(r.report) + r.err);
    first = r.report;
    const [a, b] = first.repositories as [Outcome, Outcome];
    assert.deepEqual(
      [a.status, a.rotated, a.destinationRoot, b.status, b.rotated, b.destinationRoot],
      ['migrated', ['timestamp'], 1, 'migrated', ['timestamp', 'snapshot'], 1],
    );
    const keyId = a.newRoot?.keyId as string;
    assert.equal(b.newRoot?.keyId, keyId, 'one new root key per run');
    const keyFile = join(lost, 'private', `${keyId}.key`);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /^role: root$[\s\S]*ENCRYPTED PRIVATE KEY/m);
    assert.deepEqual(first.clients.trustPinning, { certs: { [gun]: [a.newRoot?.rootKeyId], [served]: [b.newRoot?.rootKeyId] } });
    const before_ = await servedFiles(from, gun, ROLES);
    const after_ = await servedFiles(to, gun, ROLES);
    for (const role of ['targets', 'targets/releases', 'targets/bob']) assert.ok(after_.get(role)?.equals(before_.get(role)!), role);
    const root = JSON.parse(after_.get('root')!.toString()) as { signed: { version: number; roles: Record<string, { keyids: string[] }> } };
    assert.equal(root.signed.version, 1);
    assert.deepEqual(root.signed.roles['root']!.keyids, [a.newRoot?.rootKeyId]);
    const snapshot = (bytes: Buffer) => (JSON.parse(bytes.toString()) as { signed: { version: number } }).signed.version;
    assert.equal(snapshot(after_.get('snapshot')!), snapshot(before_.get('snapshot')!) + 1, 'the client-signed snapshot continues');
  });

  it('a client that trusted the old root refuses the new one until it runs the printed commands', { timeout: 90_000 }, async () => {
    await assert.rejects(notaryList(to, readerTrust(), gun), /could not rotate trust to a new trusted root/);
    assert.notEqual((await inspect(to)).code, 0);
    await assert.rejects(homeNotary(to, ['list', gun]));
    await runClientCommands(first.clients.commands, notaryHome, env['DOCKER_CONFIG'] as string);
    assert.deepEqual(rowsOf(await notaryList(to, readerTrust(), gun)), rowsOf(listed));
    assert.deepEqual(rowsOf(parseNotaryList((await homeNotary(to, ['list', gun])).stdout)), rowsOf(listed));
    const now = await inspect(to);
    assert.equal(now.code, 0);
    assert.deepEqual(
      now.json.map((r) => [r.SignedTags, r.Signers]),
      inspectBefore.map((r) => [r.SignedTags, r.Signers]),
    );
  });

  it("notary's trust_pinning with the printed root key ID reads it; another ID is refused", { timeout: 60_000 }, async () => {
    const pinned = (pinning: unknown, name: string) => {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ trust_pinning: pinning }));
      return notary(to, join(dir, 'trust'), ['-c', join(dir, 'config.json'), 'list', gun]);
    };
    const good = await pinned(first.clients.trustPinning, 'pin-good');
    assert.match(good.stdout, /^v6 /m);
    const other = first.clients.trustPinning!.certs[served]!;
    await assert.rejects(pinned({ certs: { [gun]: other } }, 'pin-wrong'), /unable to match any certificates to trust_pinning config/);
  });

  it('reruns skip; what the source signs since is caught up under the new root', { timeout: 90_000 }, async () => {
    const keys = readdirSync(join(lost, 'private')).length;
    const again = await migrate([gun, served, '--new-root']);
    assert.deepEqual(statuses(again.report), [
      [gun, 'skipped', undefined],
      [served, 'skipped', undefined],
    ]);
    assert.deepEqual(again.report.clients, first.clients, 'the same steps, the same root key IDs');
    assert.equal(readdirSync(join(lost, 'private')).length, keys, 'no key made');
    const signer = keysOnly(builderTrust, join(work, 'source-signer'));
    writeFileSync(join(work, 'v8.txt'), 'hello v8\n');
    for (const g of [gun, served]) {
      await notary(from, signer, ['add', g, 'v8', join(work, 'v8.txt')]);
      await notary(from, signer, ['publish', g]);
    }
    const dry = await migrate([gun, served, '--new-root', '--dry-run']);
    assert.deepEqual(
      dry.report.repositories.map((o) => [o.status, o.reason]),
      [
        ['would-update', 'signed at the source since: targets'],
        ['would-update', 'signed at the source since: targets'],
      ],
    );
    const caught = await migrate([gun, served, '--new-root']);
    assert.equal(caught.code, 0, JSON.stringify(caught.report));
    assert.deepEqual(
      caught.report.repositories.map((o) => [o.status, o.destinationRoot]),
      [
        ['updated', 1],
        ['updated', 1],
      ],
    );
    assert.ok((await notaryList(to, readerTrust(), gun)).some((row) => row.name === 'v8'));
  });

  it('a destination holding the repository under the source root, or a root not held, is refused', { timeout: 90_000 }, async () => {
    const keep = await migrate([kept], builderTrust);
    assert.equal(keep.report.repositories[0]!.status, 'migrated');
    const reroot = await migrate([kept, '--new-root']);
    assert.equal(reroot.code, 1);
    assert.equal(reroot.report.repositories[0]!.code, 'MIGRATE_CONFLICT');
    assert.match(reroot.report.repositories[0]!.reason!, /under the source's root .*key rotate .* root.*delete .* --remote/);
    const stranger = await migrate([gun, '--new-root'], join(work, 'stranger-trust'));
    assert.match(stranger.report.repositories[0]!.reason!, /under another root \(key IDs [0-9a-f]{64}\).*trust dir that holds/);
    const keepRoot = await migrate([gun], builderTrust);
    assert.equal(keepRoot.report.repositories[0]!.code, 'MIGRATE_CONFLICT', 'without --new-root it is a conflict too');
    assert.match(keepRoot.report.repositories[0]!.reason!, /rerun with --new-root$/);
  });

  it('--rootkey FILE takes an existing root key; the targets key signs at the destination', { timeout: 90_000 }, async () => {
    const keyId = first.repositories[0]!.newRoot!.keyId!;
    const r = await migrate([later, '--new-root', '--rootkey', join(lost, 'private', `${keyId}.key`)], join(work, 'fresh-trust'));
    assert.equal(r.code, 0, JSON.stringify(r.report));
    assert.equal(r.report.repositories[0]!.newRoot!.keyId, keyId);
    const signer = keysOnly(builderTrust, join(work, 'dest-signer'));
    writeFileSync(join(work, 'v9.txt'), 'hello v9\n');
    await notary(to, signer, ['add', gun, 'v9', join(work, 'v9.txt')]);
    await notary(to, signer, ['publish', gun]);
    assert.ok((await notaryList(to, readerTrust(), gun)).some((row) => row.name === 'v9'));
  });
});
