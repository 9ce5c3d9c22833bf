import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GoTime } from '../../../src/core/go-time.js';
import { isDctError, type DctErrorCode } from '../../../src/core/errors.js';
import { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { Metadata } from '../../../src/core/tuf/metadata.js';
import { fixturePath, notaryCases } from '../../support/fixtures.js';
import { newKey, newRootKey, RepoSimulator, signerOf } from '../../support/repo-simulator.js';

/** Fixture timestamps were made 2026-11-23 and expire 14 days later: pin the clock. */
const FIXTURE_NOW = new Date('2026-11-23T12:00:00Z');

const GUNS: Record<string, string> = {};
function gunOf(caseName: string): string {
  GUNS[caseName] ??= /GUN: `([^`]+)`/.exec(readFileSync(fixturePath('notary-0.7', caseName, 'README.md'), 'utf8'))![1]!;
  return GUNS[caseName];
}

/** Loads a served repository as a client does: root, timestamp, snapshot, then targets breadth-first. */
function loadServed(dir: string, gun: string, now: Date): TrustedSet {
  const read = (name: string) => readFileSync(join(dir, name));
  const set = new TrustedSet(read('root.json'), { gun, now });
  set.updateTimestamp(read('timestamp.json'));
  set.updateSnapshot(read('snapshot.json'));
  set.updateTargets(read('targets.json'));
  const queue = set.childRoles('targets').map((c) => c.name);
  while (queue.length > 0) {
    const role = queue.shift()!;
    if (!set.snapshot!.signed.meta[role] || !existsSync(join(dir, `${role}.json`))) continue;
    set.updateTargets(read(`${role}.json`), role);
    queue.push(...set.childRoles(role).map((c) => c.name));
  }
  return set;
}

const expectCode = (code: DctErrorCode) => (err: unknown) => {
  assert.ok(isDctError(err, code), `expected ${code}, got ${(err as Error & { code?: string }).code}: ${(err as Error).message}`);
  return true;
};

describe('TrustedSet on repositories made by the real notary and docker', () => {
  for (const name of notaryCases()) {
    it(`${name}: every role verifies and every listed target resolves`, () => {
      const set = loadServed(fixturePath('notary-0.7', name, 'server'), gunOf(name), FIXTURE_NOW);
      const list = readFileSync(fixturePath('notary-0.7', name, 'notary-list.txt'), 'utf8');
      const rows = list
        .split('\n')
        .slice(2)
        .map((l) => l.trim().split(/\s{2,}/))
        .filter((r) => r.length >= 4);
      assert.ok(rows.length > 0, 'notary list shows targets');
      for (const [target, digest, size, role] of rows) {
        const found = set.findTarget(target!, [role!]);
        assert.ok(found, `${target} in ${role}`);
        assert.equal(found.meta.hashes['sha256']!.toString('hex'), digest);
        assert.equal(String(found.meta.length), size);
      }
    });
  }

  it('notary-go-vectors: the Go-made repository loads, with an ed25519 timestamp', () => {
    const set = loadServed(fixturePath('notary-go-vectors', 'repo', 'metadata'), 'example.com/vectors/repo', FIXTURE_NOW);
    assert.equal(set.findTarget('hello.txt')?.role, 'targets');
    assert.equal(set.findTarget('latest', ['targets/releases'])?.role, 'targets/releases');
  });

  it('notary-go-vectors: root v2 rotates from root v1 (signed by old and new keys)', () => {
    const dir = fixturePath('notary-go-vectors', 'repo', 'rotation');
    const set = new TrustedSet(readFileSync(join(dir, '1.root.json')), { gun: 'example.com/vectors/repo', now: FIXTURE_NOW });
    assert.equal(set.updateRoot(readFileSync(join(dir, '2.root.json'))).signed.version, 2);
  });

  it('root-rotation: the chain v1 → v2 → v3 made by `notary key rotate` validates', () => {
    const dir = fixturePath('notary-0.7', 'root-rotation', 'server', 'versions');
    const set = new TrustedSet(readFileSync(join(dir, '1.root.json')), { gun: gunOf('root-rotation'), now: FIXTURE_NOW });
    set.updateRoot(readFileSync(join(dir, '2.root.json')), { intermediate: true });
    set.updateRoot(readFileSync(join(dir, '3.root.json')));
    assert.equal(set.root.signed.version, 3);
  });

  it('refuses a fixture root for another GUN (certificate CN must be the GUN)', () => {
    const root = readFileSync(fixturePath('notary-0.7', 'targets-only', 'server', 'root.json'));
    assert.throws(
      () => new TrustedSet(root, { gun: 'docker.io/library/other', now: FIXTURE_NOW }),
      expectCode('CERTIFICATE_VALIDATION_FAILED'),
    );
  });

  it('indefinite freeze: the fixture timestamp is refused once it expired', () => {
    const dir = fixturePath('notary-0.7', 'targets-only', 'server');
    const set = new TrustedSet(readFileSync(join(dir, 'root.json')), { gun: gunOf('targets-only'), now: new Date('2026-12-08T00:00:00Z') });
    assert.throws(() => set.updateTimestamp(readFileSync(join(dir, 'timestamp.json'))), expectCode('EXPIRED'));
  });
});

describe('TrustedSet refuses attacks', () => {
  async function repo(): Promise<RepoSimulator> {
    const sim = new RepoSimulator();
    sim.addTarget('v1', 'content one');
    await sim.publish();
    return sim;
  }
  const trust = (sim: RepoSimulator, extra: Partial<ConstructorParameters<typeof TrustedSet>[1]> = {}) =>
    new TrustedSet(sim.file('root'), { gun: sim.gun, now: sim.now, ...extra });
  const upToSnapshot = (sim: RepoSimulator, set = trust(sim)) => {
    set.updateTimestamp(sim.file('timestamp'));
    set.updateSnapshot(sim.file('snapshot'));
    return set;
  };

  it('accepts the untampered repository', async () => {
    const sim = await repo();
    const set = upToSnapshot(sim);
    set.updateTargets(sim.file('targets'));
    assert.equal(set.findTarget('v1')?.meta.length, 'content one'.length);
  });

  it('arbitrary target: a target added without re-signing is refused', async () => {
    const sim = await repo();
    const doc = JSON.parse(sim.file('targets').toString()) as { signed: { targets: Record<string, unknown> } };
    doc.signed.targets['evil'] = doc.signed.targets['v1'];
    const tampered = Buffer.from(JSON.stringify(doc));
    // even with a matching snapshot pin, the signature no longer covers the content
    sim.files.set('targets', tampered);
    await sim.publishSnapshot();
    const set = upToSnapshot(sim);
    assert.throws(() => set.updateTargets(tampered), expectCode('THRESHOLD_NOT_MET'));
  });

  it('arbitrary target: a target length edited after signing fails the snapshot pin', async () => {
    const sim = await repo();
    const set = upToSnapshot(sim);
    const original = sim.file('targets');
    const tampered = Buffer.from(original.toString().replace(/"length":11/, '"length":12'));
    assert.equal(tampered.length, original.length, 'same size: only the pinned hash can tell');
    assert.notDeepEqual(tampered, original);
    assert.throws(() => set.updateTargets(tampered), expectCode('HASH_MISMATCH'));
  });

  it('rollback: an older timestamp than the trusted one is refused', async () => {
    const sim = await repo();
    const old = sim.file('timestamp');
    await sim.publishTimestamp();
    const set = trust(sim);
    set.updateTimestamp(sim.file('timestamp'));
    assert.throws(() => set.updateTimestamp(old), expectCode('VERSION_ROLLBACK'));
  });

  it('rollback: versions trusted in an earlier session (cache) are minimums', async () => {
    const sim = await repo();
    const old = { timestamp: sim.file('timestamp'), snapshot: sim.file('snapshot'), targets: sim.file('targets') };
    await sim.publish();
    const set = trust(sim, { minimumVersions: { timestamp: 2, snapshot: 2, targets: 2 } });
    assert.throws(() => set.updateTimestamp(old.timestamp), expectCode('VERSION_ROLLBACK'));
  });

  it('rollback: an older snapshot under a fresh timestamp is refused', async () => {
    const sim = await repo();
    const oldSnapshot = sim.file('snapshot');
    await sim.publishSnapshot();
    const set = trust(sim, { minimumVersions: { snapshot: 2 } });
    // attacker re-pins the old snapshot with a newly signed timestamp (timestamp key compromised)
    sim.files.set('snapshot', oldSnapshot);
    await sim.publishTimestamp();
    set.updateTimestamp(sim.file('timestamp'));
    assert.throws(() => set.updateSnapshot(oldSnapshot), expectCode('VERSION_ROLLBACK'));
  });

  it('rollback: an older root is refused', async () => {
    const sim = await repo();
    const v1 = sim.file('root');
    await sim.signRoot();
    const set = new TrustedSet(sim.file('root'), { gun: sim.gun, now: sim.now });
    assert.throws(() => set.updateRoot(v1), expectCode('VERSION_ROLLBACK'));
  });

  it('indefinite freeze: expired timestamp, snapshot, targets and root are refused', async () => {
    const sim = await repo();
    const later = (days: number) => new Date(sim.now.getTime() + days * 86400_000);
    const ts = new TrustedSet(sim.file('root'), { gun: sim.gun, now: later(15) });
    assert.throws(() => ts.updateTimestamp(sim.file('timestamp')), expectCode('EXPIRED'));
    assert.throws(() => new TrustedSet(sim.file('root'), { gun: sim.gun, now: later(3651) }), expectCode('CERTIFICATE_VALIDATION_FAILED'));
    sim.targets.expires = GoTime.fromEpochMs(sim.now.getTime() - 1);
    await sim.publish();
    const set = upToSnapshot(sim);
    assert.throws(() => set.updateTargets(sim.file('targets')), expectCode('EXPIRED'));
  });

  it('mix-and-match: a targets file from another snapshot is refused', async () => {
    const sim = await repo();
    const oldTargets = sim.file('targets');
    sim.addTarget('v2', 'two');
    await sim.publish();
    const set = upToSnapshot(sim);
    assert.throws(() => set.updateTargets(oldTargets), expectCode('LENGTH_MISMATCH'));
  });

  it('mix-and-match: a snapshot not pinned by the timestamp is refused', async () => {
    const sim = await repo();
    const set = trust(sim);
    set.updateTimestamp(sim.file('timestamp'));
    const pinned = sim.file('snapshot');
    sim.addTarget('v2', 'two');
    await sim.publish();
    const newer = sim.file('snapshot');
    assert.equal(newer.length, pinned.length, 'same size: only the pinned hash can tell');
    assert.throws(() => set.updateSnapshot(newer), expectCode('HASH_MISMATCH'));
  });

  it('fast-forward: after the timestamp key rotates, versions pinned by the old key no longer bind', async () => {
    const sim = await repo();
    const set = trust(sim, { minimumVersions: { timestamp: 1000 } });
    const newTs = newKey('ed25519');
    delete sim.root.keys[sim.keys.timestamp.publicKey.id];
    sim.keys.timestamp = newTs;
    sim.root.keys[newTs.publicKey.id] = newTs.publicKey;
    sim.root.roles['timestamp'] = { keyids: [newTs.publicKey.id], threshold: 1 };
    set.updateRoot(await sim.signRoot());
    await sim.publishSnapshot();
    assert.equal(set.updateTimestamp(sim.file('timestamp')).signed.version, 2);
  });

  it('fast-forward: a huge version signed by a key not in the root is refused', async () => {
    const sim = await repo();
    const set = trust(sim);
    sim.timestamp.version = 2 ** 40;
    const forged = (await new Metadata(sim.timestamp, []).sign([signerOf(newKey('ed25519'))])).serialize();
    assert.throws(() => set.updateTimestamp(forged), expectCode('THRESHOLD_NOT_MET'));
  });

  it('endless data: files over the cap or the pinned length are refused before parsing', async () => {
    const sim = await repo();
    const set = trust(sim, { limits: { timestamp: 100 } });
    assert.throws(() => set.updateTimestamp(sim.file('timestamp')), expectCode('SIZE_LIMIT_EXCEEDED'));
    const set2 = upToSnapshot(sim);
    const padded = Buffer.concat([sim.file('targets'), Buffer.alloc(1 << 20, 0x20)]);
    assert.throws(() => set2.updateTargets(padded), expectCode('SIZE_LIMIT_EXCEEDED'));
    assert.throws(() => new TrustedSet(Buffer.alloc(11 << 20, 0x20), { gun: sim.gun, now: sim.now }), expectCode('SIZE_LIMIT_EXCEEDED'));
  });

  it('wrong key: targets signed by a key the root does not list is refused', async () => {
    const sim = await repo();
    sim.keys.targets = newKey();
    await sim.publish();
    assert.throws(() => upToSnapshot(sim).updateTargets(sim.file('targets')), expectCode('THRESHOLD_NOT_MET'));
  });

  it("wrong key: a role signed by another role's key from the same root is refused", async () => {
    const sim = await repo();
    const { targets, snapshot, timestamp } = sim.keys;
    // targets signed with the snapshot key: a key the root lists, but not for targets
    sim.keys.targets = snapshot;
    await sim.publish();
    assert.throws(() => upToSnapshot(sim).updateTargets(sim.file('targets')), expectCode('THRESHOLD_NOT_MET'));
    // snapshot signed with the timestamp key, timestamp signed with the snapshot key
    sim.keys.targets = targets;
    sim.keys.snapshot = timestamp;
    await sim.publish();
    const set = trust(sim);
    set.updateTimestamp(sim.file('timestamp'));
    assert.throws(() => set.updateSnapshot(sim.file('snapshot')), expectCode('THRESHOLD_NOT_MET'));
    sim.keys.snapshot = snapshot;
    sim.keys.timestamp = snapshot;
    await sim.publish();
    assert.throws(() => trust(sim).updateTimestamp(sim.file('timestamp')), expectCode('THRESHOLD_NOT_MET'));
  });

  it('wrong key: a delegation signed by its parent key instead of its own is refused', async () => {
    const sim = new RepoSimulator();
    sim.delegate('targets/releases');
    sim.addTarget('v1', 'x', 'targets/releases');
    sim.delegationKeys.set('targets/releases', sim.keys.targets);
    await sim.publish();
    const set = upToSnapshot(sim);
    set.updateTargets(sim.file('targets'));
    assert.throws(() => set.updateTargets(sim.file('targets/releases'), 'targets/releases'), expectCode('THRESHOLD_NOT_MET'));
  });

  it('threshold not met: 1 of 2 required signatures', async () => {
    const sim = await repo();
    const second = newKey();
    sim.root.keys[second.publicKey.id] = second.publicKey;
    sim.root.roles['targets'] = { keyids: [sim.keys.targets.publicKey.id, second.publicKey.id], threshold: 2 };
    await sim.signRoot();
    await sim.publish();
    const set = upToSnapshot(sim);
    assert.throws(() => set.updateTargets(sim.file('targets')), expectCode('THRESHOLD_NOT_MET'));
  });

  it('duplicate signatures are counted once', async () => {
    const sim = await repo();
    const second = newKey();
    sim.root.keys[second.publicKey.id] = second.publicKey;
    sim.root.roles['targets'] = { keyids: [sim.keys.targets.publicKey.id, second.publicKey.id], threshold: 2 };
    await sim.signRoot();
    sim.targets.version++;
    const signed = await new Metadata(sim.targets, []).sign([signerOf(sim.keys.targets)]);
    const doubled = new Metadata(sim.targets, [...signed.signatures, ...signed.signatures]).serialize();
    sim.targets.version--;
    sim.files.set('targets', doubled);
    await sim.publishSnapshot();
    assert.throws(() => upToSnapshot(sim).updateTargets(doubled), expectCode('THRESHOLD_NOT_MET'));
  });

  it('key-ID mismatch: a key listed under an ID that is not its own is an error', async () => {
    const sim = await repo();
    const realId = sim.keys.targets.publicKey.id;
    const fakeId = 'f'.repeat(64);
    sim.root.keys[fakeId] = sim.root.keys[realId]!;
    sim.root.roles['targets'] = { keyids: [fakeId], threshold: 1 };
    await sim.signRoot();
    const targets = await new Metadata(sim.targets, []).sign([signerOf(sim.keys.targets)]);
    const relabelled = new Metadata(
      sim.targets,
      targets.signatures.map((s) => ({ ...s, keyid: fakeId })),
    ).serialize();
    sim.files.set('targets', relabelled);
    await sim.publishSnapshot();
    assert.throws(() => upToSnapshot(sim).updateTargets(relabelled), expectCode('KEY_ID_MISMATCH'));
  });

  it('no signatures at all', async () => {
    const sim = await repo();
    const bare = new Metadata(sim.timestamp, []).serialize();
    assert.throws(() => trust(sim).updateTimestamp(bare), expectCode('NO_SIGNATURES'));
  });

  it('root rotation must be signed by the old root keys', async () => {
    const sim = await repo();
    const set = trust(sim);
    sim.keys.root = [newRootKey(sim.gun, sim.now)];
    sim.root.keys = { ...sim.root.keys, [sim.keys.root[0]!.publicKey.id]: sim.keys.root[0]!.publicKey };
    sim.root.roles['root'] = { keyids: [sim.keys.root[0]!.publicKey.id], threshold: 1 };
    const unsignedByOld = await sim.signRoot();
    assert.throws(() => set.updateRoot(unsignedByOld), expectCode('ROOT_ROTATION_FAILED'));
  });

  it('root rotation signed by old and new keys is accepted; signed by old keys only is refused', async () => {
    const sim = await repo();
    const set = trust(sim);
    const oldKeys = sim.keys.root;
    const fresh = newRootKey(sim.gun, sim.now);
    sim.root.keys[fresh.publicKey.id] = fresh.publicKey;
    sim.root.roles['root'] = { keyids: [fresh.publicKey.id], threshold: 1 };
    sim.keys.root = oldKeys; // sign with the old key only
    const oldOnly = await sim.signRoot();
    assert.throws(() => set.updateRoot(oldOnly), expectCode('ROOT_ROTATION_FAILED'));
    sim.root.version--;
    sim.keys.root = [fresh];
    sim.rootCosigners = oldKeys;
    assert.equal(set.updateRoot(await sim.signRoot()).signed.version, 2);
  });

  it('trust pinning: a root whose certificate is not pinned is refused on first contact', async () => {
    const sim = await repo();
    assert.throws(() => trust(sim, { pinning: { certs: { [sim.gun]: ['0'.repeat(64)] } } }), expectCode('CERTIFICATE_VALIDATION_FAILED'));
    assert.ok(trust(sim, { pinning: { certs: { 'example.com/*': [sim.keys.root[0]!.publicKey.id] } } }));
    assert.throws(() => trust(sim, { pinning: { disableTofu: true } }), expectCode('CERTIFICATE_VALIDATION_FAILED'));
  });

  it('delegations: paths are restricted by the parent, names outside them are not found', async () => {
    const sim = new RepoSimulator();
    sim.delegate('targets/team', ['team/']);
    sim.delegate('targets/team/qa', ['team/qa/', 'other/'], 'targets/team');
    sim.addTarget('team/qa/candidate', 'a', 'targets/team/qa');
    sim.addTarget('other/escape', 'b', 'targets/team/qa');
    await sim.publish();
    const set = upToSnapshot(sim);
    set.updateTargets(sim.file('targets'));
    set.updateTargets(sim.file('targets/team'), 'targets/team');
    set.updateTargets(sim.file('targets/team/qa'), 'targets/team/qa');
    assert.deepEqual(set.childRoles('targets/team')[0]!.paths, ['team/qa/']);
    assert.equal(set.findTarget('team/qa/candidate')?.role, 'targets/team/qa');
    assert.equal(set.findTarget('other/escape'), undefined);
  });

  it('delegations: a role its parent does not delegate cannot be loaded', async () => {
    const sim = new RepoSimulator();
    sim.delegate('targets/a');
    await sim.publish();
    const set = upToSnapshot(sim);
    assert.throws(() => set.updateTargets(sim.file('targets/a'), 'targets/a'), expectCode('DELEGATION_NOT_ALLOWED'));
    set.updateTargets(sim.file('targets'));
    assert.throws(
      () => set.updateTargets(sim.file('targets/a'), 'targets/b'),
      (err) => isDctError(err, 'MISSING_METADATA'),
    );
  });

  it('delegations: the walk is bounded', async () => {
    const sim = new RepoSimulator();
    for (let i = 0; i < 5; i++) sim.delegate(`targets/d${i}`);
    await sim.publish();
    const set = upToSnapshot(sim, trust(sim, { maxDelegationsVisited: 3 }));
    set.updateTargets(sim.file('targets'));
    for (let i = 0; i < 5; i++) set.updateTargets(sim.file(`targets/d${i}`), `targets/d${i}`);
    assert.throws(() => set.findTarget('missing'), expectCode('SIZE_LIMIT_EXCEEDED'));
  });
});
