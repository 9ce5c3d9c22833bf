/**
 * The docker trust use cases without I/O, on repositories the real docker and
 * notary made (fixtures, clock pinned): inspect data, signable roles, signer
 * staging/removal, signing and revoking tags, natural order, key files.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { SaveKeyOptions } from '../../../src/adapters/keystore/file-keystore.js';
import { unlockWithPassphrase } from '../../../src/adapters/passphrase.js';
import { RepositoryDraft } from '../../../src/app/client/repository-draft.js';
import { rolesWithSignatures, signedTagsOf, trustInfoOf, type SignedTag } from '../../../src/app/docker-trust/inspect.js';
import { generateSignerKey, loadSignerKey, parsePublicKeyPem, type ImportPassphrases } from '../../../src/app/docker-trust/keys.js';
import { naturalCompare, naturalLess, sortNatural } from '../../../src/app/docker-trust/natural-order.js';
import { isReleasedRole, signerNameOf } from '../../../src/app/docker-trust/roles.js';
import { planSignerRemoval, stageSigner, unstageSigner } from '../../../src/app/docker-trust/signers.js';
import { addToSignableRoles, manifestTarget, releasedTag, revokeTags, signableRoles } from '../../../src/app/docker-trust/tags.js';
import { hexOfBase64All } from '../../../src/core/encoding.js';
import { isDctError } from '../../../src/core/errors.js';
import { decodePrivateKeyFile, encodePrivateKeyFile, publicKeyOf } from '../../../src/core/keys/key-file.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import type { PassphraseSource } from '../../../src/core/ports.js';
import { targetsInAllRoles } from '../../../src/core/trust/repository-view.js';
import { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { fixturePath, notaryCases } from '../../support/fixtures.js';
import { newRootKey, RepoSimulator } from '../../support/repo-simulator.js';
import { FIXTURE_NOW, fixtureGun, fixtureRepository } from './fixture-repository.js';

const ALICE = 'a1aad554f113474c40aabbb4c186fce8f5b163a6006adc07ee06a63dd31b5044';
const BOB = 'ff2f7b2d7514880969bde767e26b3524347bc648d2d9bfbc98e7055c8acd48aa';
const DIGEST = '6ce1896bc48c4bba0f2c2f347b28cf77593ceb3e56e881c838e3caa98d63ac13';

const code = (c: string) => (err: unknown) => {
  assert.ok(isDctError(err, c), `expected ${c}, got ${(err as { code?: string }).code}: ${(err as Error).message}`);
  return true;
};

async function load(name: string) {
  const { trusted } = await fixtureRepository(name).read();
  return { trusted, draft: RepositoryDraft.fromTrustedSet(trusted) };
}

describe('inspect data (docker-signer-releases)', () => {
  it('released tags with the other signers of the same digest; signers with canonical key IDs; admin keys', async () => {
    const { trusted } = await load('docker-signer-releases');
    const info = trustInfoOf(trusted);
    assert.deepEqual(info.signedTags, [{ tag: 'v1', digest: DIGEST, signers: ['alice'] }]);
    assert.deepEqual(info.signers, [
      { name: 'alice', keyIds: [ALICE] },
      { name: 'bob', keyIds: [BOB] },
    ]);
    assert.deepEqual(info.rootKeyIds, ['f5bd907f17bcb73bb07ecdd9bb6123eee4c16c59dc537f085cf2c9fd5feffa6e']);
    assert.deepEqual(info.repositoryKeyIds, ['0e35ad51b13a047f6f6b9ae9cdfbd44c36ed8d109999eeb8373afed139ab1e83']);
    const releases = rolesWithSignatures(trusted).find((r) => r.name === 'targets/releases');
    assert.deepEqual(releases, { name: 'targets/releases', keyIds: [ALICE, BOB], threshold: 1, signatureKeyIds: [ALICE, BOB] });
  });

  it('notary-delegations: nested delegations are signers (releases/qa), certificate keys show their canonical IDs', async () => {
    const { trusted } = await load('notary-delegations');
    const info = trustInfoOf(trusted);
    assert.deepEqual(info.signers.map((s) => s.name).sort(), ['alice', 'releases/qa']);
    assert.deepEqual(info.signers.find((s) => s.name === 'alice')?.keyIds, [
      '045c5af69db1b38f95c6f067c96b539b756a7b648bf14112445a51a1c3a66537',
    ]);
  });
});

describe('signable roles and signing (docker AddToAllSignableRoles)', () => {
  it("every top-level delegation whose key is held; targets when there are no delegations; none held → docker's error", async () => {
    const { draft } = await load('docker-signer-releases');
    assert.deepEqual(signableRoles(draft, new Set([ALICE]), 'v2'), ['targets/alice', 'targets/releases']);
    assert.deepEqual(signableRoles(draft, new Set([BOB]), 'v2'), ['targets/releases', 'targets/bob']);
    assert.throws(
      () => signableRoles(draft, new Set(['0'.repeat(64)]), 'v2'),
      (err: Error) => err.message === 'no valid signing keys for delegation roles',
    );
    const plain = await load('targets-only');
    assert.deepEqual(signableRoles(plain.draft, new Set(), 'v9'), ['targets']);
  });

  it('paths count and nested roles do not: notary-delegations with every key held', async () => {
    const { draft } = await load('notary-delegations');
    const all = new Set(draft.delegations().flatMap((d) => d.keys.map((k) => k.canonicalId)));
    assert.deepEqual(signableRoles(draft, all, 'v1'), ['targets/releases']);
    assert.deepEqual(signableRoles(draft, all, 'alice/v1'), ['targets/releases', 'targets/alice']);
  });

  it('adds the manifest (sha256 + size only) to each role; a released tag is found with its existing signers', async () => {
    const { trusted, draft } = await load('docker-signer-releases');
    const meta = manifestTarget('ab'.repeat(32), 99);
    assert.deepEqual(addToSignableRoles(draft, new Set([ALICE]), 'v2', meta), ['targets/alice', 'targets/releases']);
    assert.deepEqual(Object.keys(draft.role('targets/releases')!.targets.get('v2')!.hashes), ['sha256']);
    assert.equal(draft.role('targets/alice')!.targets.get('v2')!.length, 99);
    const released = releasedTag(trusted, 'v1');
    assert.equal(released?.meta.length, 423);
    assert.deepEqual(released?.existing, { tag: 'v1', digest: DIGEST, signers: ['alice'] });
    assert.equal(releasedTag(trusted, 'v2'), undefined);
    assert.throws(() => manifestTarget('AB', 1), code('INVALID_DIGEST'));
    assert.throws(() => manifestTarget('ab'.repeat(32), -1), code('INVALID_SIZE'));
  });
});

describe('revoke (docker revokeSingleSig / revokeAllSigs)', () => {
  it("takes the tag out of every signable role that has it; unknown tags and empty repositories fail with docker's texts", async () => {
    const { trusted, draft } = await load('docker-signer-releases');
    assert.deepEqual(revokeTags(trusted, draft, new Set([ALICE, BOB]), 'v1'), ['v1']);
    assert.equal(draft.role('targets/releases')!.targets.has('v1'), false);
    assert.equal(draft.role('targets/alice')!.targets.has('v1'), false);
    assert.equal(draft.role('targets/bob'), undefined, 'bob never signed: no file is created for him');
    const again = await load('docker-signer-releases');
    assert.throws(
      () => revokeTags(again.trusted, again.draft, new Set([ALICE]), 'v7'),
      (err: Error) => err.message === 'No valid trust data for v7',
    );
    const all = await load('removed-target');
    assert.deepEqual(revokeTags(all.trusted, all.draft, new Set(), undefined), ['v1', 'v3']);
    assert.equal(all.draft.role('targets')!.targets.size, 0);
  });
});

describe('signers (docker signer add / remove)', () => {
  const key = () => PublicKey.fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);

  it('stageSigner: targets/<name> and targets/releases get the key and the path ""', async () => {
    const { draft } = await load('targets-only');
    const k = key();
    stageSigner(draft, 'carol', [k]);
    assert.deepEqual(
      draft.delegations().map((d) => [d.name, d.keyids, d.paths, d.threshold]),
      [
        ['targets/carol', [k.id], [''], 1],
        ['targets/releases', [k.id], [''], 1],
      ],
    );
  });

  it("planSignerRemoval: last signer when the remaining releases signatures fall below threshold; docker's errors", async () => {
    const { trusted, draft } = await load('docker-signer-releases');
    const roles = rolesWithSignatures(trusted);
    assert.equal(planSignerRemoval(draft, roles, 'bob', 'r').isLastSigner, false, 'alice also signed releases');
    const onlyAlice = roles.map((r) => (r.name === 'targets/releases' ? { ...r, signatureKeyIds: [ALICE] } : r));
    assert.equal(planSignerRemoval(draft, onlyAlice, 'alice', 'r').isLastSigner, true);
    assert.equal(planSignerRemoval(draft, onlyAlice, 'bob', 'r').isLastSigner, false);
    assert.throws(
      () => planSignerRemoval(draft, roles, 'releases', 'r'),
      (e: Error) => e.message === 'releases is a reserved keyword and cannot be removed',
    );
    assert.throws(
      () => planSignerRemoval(draft, roles, 'zoe', 'r'),
      (e: Error) => e.message === 'no signer zoe for repository r',
    );
    // a signature left by a key targets/releases no longer lists does not count
    const stale = roles.map((r) => (r.name === 'targets/releases' ? { ...r, keyIds: [ALICE] } : r));
    assert.equal(planSignerRemoval(draft, stale, 'alice', 'r').isLastSigner, true, "docker would count bob's stale signature");
    const unsigned = roles.map((r) => (r.name === 'targets/releases' ? { ...r, signatureKeyIds: [] } : r));
    assert.throws(
      () => planSignerRemoval(draft, unsigned, 'bob', 'r'),
      (e: Error) => e.message === 'all signed tags are currently revoked, use docker trust sign to fix',
    );
  });

  it('planSignerRemoval counts certificate keys by either ID (docker compares canonical IDs only)', async () => {
    const { trusted, draft } = await load('notary-delegations');
    const roles = rolesWithSignatures(trusted);
    const releases = roles.find((r) => r.name === 'targets/releases')!;
    assert.ok(releases.signatureKeyIds.length > 0);
    // alice's certificate key is one of the releases keys; with only her signature left she is the last signer
    const aliceTuf = '254193c573dc984d8b72d90a3da843e2d1f6393118641ef7f2cd23e642b1ed7c';
    const only = roles.map((r) => (r.name === 'targets/releases' ? { ...r, signatureKeyIds: [aliceTuf] } : r));
    const removal = planSignerRemoval(draft, only, 'alice', 'r');
    assert.ok(
      removal.keyIds.includes(aliceTuf) && removal.keyIds.includes('045c5af69db1b38f95c6f067c96b539b756a7b648bf14112445a51a1c3a66537'),
    );
    assert.equal(removal.isLastSigner, true);
  });

  it('unstageSigner: the signer leaves targets/releases and its delegation is deleted', async () => {
    const { trusted, draft } = await load('docker-signer-releases');
    unstageSigner(draft, planSignerRemoval(draft, rolesWithSignatures(trusted), 'bob', 'r'));
    assert.deepEqual(
      draft.delegations().map((d) => [d.name, d.keyids]),
      [
        ['targets/alice', [ALICE]],
        ['targets/releases', [ALICE]],
      ],
    );
    assert.equal(draft.changed, true);
  });
});

describe('natural order (fvbommel/sortorder)', () => {
  it('numbers compare by value, digits before other bytes, fewer leading zeros first', () => {
    const sorted = ['v10', 'v9', 'v1.10', 'v1.9', 'a', '1', 'v01', 'v1', 'B', 'v1a', ''].sort(naturalCompare);
    // equal numbers with more leading zeros sort after everything that follows the shorter one (v1.9 < v01)
    assert.deepEqual(sorted, ['', '1', 'B', 'a', 'v1', 'v1.9', 'v1.10', 'v1a', 'v01', 'v9', 'v10']);
    assert.equal(naturalLess('x2', 'x10'), true);
    assert.equal(naturalLess('x10', 'x2'), false);
    assert.equal(naturalLess('same', 'same'), false);
  });
});

describe('key files (docker trust key generate / load, signer add --key)', () => {
  const saved: SaveKeyOptions[] = [];
  const store = { save: async (o: SaveKeyOptions) => (saved.push(o), publicKeyOf(o.privateKey).id) };
  const asked: Array<{ role: string; isNew: boolean }> = [];
  // the port as the CLI wires it: a source, and notary's unlocking over it
  const importing = (source: PassphraseSource): ImportPassphrases => ({
    get: (r) => source.get(r),
    ...(source.canRetry ? { canRetry: (r) => source.canRetry!(r) } : {}),
    unlock: (request, unlock) => unlockWithPassphrase(source, request, unlock),
  });
  const passphrases = importing({
    get: async (r) => (asked.push({ role: r.role, isNew: r.isNew }), r.role === 'encrypted' ? 'old-pass' : 'new-pass'),
  });

  it('generate: stored under the role NAME, public PEM with the role header, parsed back to the same key', async () => {
    const { pem, keyId } = await generateSignerKey(store, passphrases, 'alice');
    const last = saved.at(-1)!;
    assert.equal(last.role, 'alice');
    assert.equal(last.passphrase, 'new-pass');
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\nrole: alice\n\n/);
    const parsed = parsePublicKeyPem(pem, FIXTURE_NOW);
    assert.equal(parsed.keyType, 'ecdsa');
    assert.equal(parsed.id, keyId);
    assert.equal(parsed.id, publicKeyOf(last.privateKey).id);
  });

  it('load: an ENCRYPTED key is decrypted with the "encrypted" passphrase and stored (docker 28 silently imports nothing)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const file = encodePrivateKeyFile({ privateKey, role: 'carol', passphrase: 'old-pass' });
    asked.length = 0;
    const loaded = await loadSignerKey(store, passphrases, file, 'signer', 'carol.key');
    assert.equal(loaded.role, 'carol', 'the role header wins over --name');
    assert.deepEqual(asked, [
      { role: 'encrypted', isNew: false },
      { role: 'carol', isNew: true },
    ]);
    assert.equal(saved.at(-1)!.role, 'carol');
    assert.equal(loaded.keyId, decodePrivateKeyFile(file, 'old-pass').publicKey.id);
  });

  it("load: no role header → --name; targets keys need a gun; public keys and other PEM are refused with docker's text", async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const plain = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    assert.equal((await loadSignerKey(store, passphrases, plain, 'dave', 'k')).role, 'dave');
    const targets = encodePrivateKeyFile({ privateKey, role: 'targets', passphrase: '' });
    await assert.rejects(
      loadSignerKey(store, passphrases, targets, 'x', 'k'),
      (e: Error) => e.message === 'failed to import all keys: invalid key pem block',
    );
    const pub = readFileSync(fixturePath('notary-0.7', 'docker-signer-releases', 'keys', 'alice.pub'), 'utf8');
    await assert.rejects(
      loadSignerKey(store, passphrases, pub, 'x', 'alice.pub'),
      (e: Error) =>
        e.message === "provided file alice.pub is not a supported private key - to add a signer's public key use docker trust signer add",
    );
    const wrong = importing({ get: async () => 'wrong', canRetry: () => false });
    await assert.rejects(
      loadSignerKey(store, wrong, encodePrivateKeyFile({ privateKey, role: 'x', passphrase: 'p' }), 'x', 'k'),
      (e: Error) => /could not decrypt key/.test(e.message),
    );
  });

  it('signer add --key: docker-made PUBLIC KEY files give the key IDs in the fixture metadata; certificates are re-encoded as notary does', async () => {
    const alicePub = readFileSync(fixturePath('notary-0.7', 'docker-signer-releases', 'keys', 'alice.pub'), 'utf8');
    assert.equal(parsePublicKeyPem(alicePub, FIXTURE_NOW).id, ALICE);
    const gun = fixtureGun('docker-signer-releases');
    const root = newRootKey(gun, FIXTURE_NOW);
    const certPem = root.publicKey.certificates()[0]!.toString();
    const withHeaders = `junk before\n${certPem.replace('-----BEGIN CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\r\n')}`;
    const parsed = parsePublicKeyPem(withHeaders, FIXTURE_NOW);
    assert.equal(parsed.keyType, 'ecdsa-x509');
    assert.equal(parsed.id, root.publicKey.id, 'same TUF ID as the certificate key notary makes');
    assert.throws(
      () => parsePublicKeyPem(certPem, new Date('2040-01-01')),
      (e: Error) => e.message.startsWith('invalid certificate:'),
    );
    assert.throws(
      () => parsePublicKeyPem('nothing', FIXTURE_NOW),
      (e: Error) => e.message === 'no valid public key found',
    );
    assert.throws(
      () => parsePublicKeyPem('-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n', FIXTURE_NOW),
      (e: Error) => e.message === 'unsupported PEM block type "FOO", expected CERTIFICATE or PUBLIC KEY',
    );
  });
});

describe('natural order comparator', () => {
  it('is a consistent order on random tags with digits, zeros and other bytes (antisymmetric, transitive, 0 only for equal tags)', () => {
    const alphabet = ['0', '0', '1', '2', '9', 'a', 'b', '.', '-', 'é'];
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const tag = () => Array.from({ length: rand(7) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const [a, b, c] = [tag(), tag(), tag()];
      const ab = naturalCompare(a, b);
      assert.equal(naturalCompare(b, a), -ab || 0, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      assert.equal(ab === 0, a === b, `${JSON.stringify(a)} vs ${JSON.stringify(b)}: 0 only for equal tags`);
      assert.equal(naturalLess(a, b), ab < 0);
      if (ab < 0 && naturalCompare(b, c) < 0) assert.ok(naturalCompare(a, c) < 0, `${a} < ${b} < ${c}`);
    }
  });

  it('sortNatural (ASCII keys compared as strings, others as UTF-8) sorts as naturalCompare does, stably', () => {
    const alphabet = ['0', '0', '1', '2', '9', 'a', 'B', '.', '-', '~', 'é', '\u{1F600}'];
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const tag = (pool: number) => Array.from({ length: rand(6) }, () => alphabet[rand(pool)]).join('');
    for (const pool of [10, alphabet.length]) {
      const items = Array.from({ length: 3000 }, (_, i) => ({ i, tag: tag(pool) }));
      const expected = [...items].sort((x, y) => naturalCompare(x.tag, y.tag) || x.i - y.i);
      assert.deepEqual(
        sortNatural(items, (x) => x.tag),
        expected,
      );
    }
  });
});

/**
 * docker's matchReleasedSignatures written out plainly over targetsInAllRoles (hex digests,
 * a map keyed by tag and digest, a comparator sort): the reference signedTagsOf must equal.
 */
function matchReleasedSignatures(set: TrustedSet, tag = ''): SignedTag[] {
  const targets = targetsInAllRoles(set, tag);
  const rows = new Map<string, SignedTag>();
  const key = (name: string, digest: string) => JSON.stringify([name, digest]);
  for (const t of targets) {
    const digest = t.meta.hashes['sha256']?.toString('hex') ?? '';
    if (isReleasedRole(t.role) && !rows.has(key(t.name, digest))) rows.set(key(t.name, digest), { tag: t.name, digest, signers: [] });
  }
  for (const t of targets) {
    if (!isReleasedRole(t.role)) rows.get(key(t.name, t.meta.hashes['sha256']?.toString('hex') ?? ''))?.signers.push(signerNameOf(t.role));
  }
  return [...rows.values()].sort((a, b) => naturalCompare(a.tag, b.tag));
}

describe("signedTagsOf (the fast path of inspect) equals docker's matchReleasedSignatures written out plainly", () => {
  const reference = matchReleasedSignatures;

  it('on every fixture repository, for all tags and for each tag', async () => {
    let compared = 0;
    for (const name of notaryCases()) {
      let trusted: TrustedSet;
      try {
        ({ trusted } = await fixtureRepository(name).read());
      } catch {
        continue; // cases without a readable repository (e.g. errors by design)
      }
      assert.deepEqual(signedTagsOf(trusted), reference(trusted), name);
      for (const t of targetsInAllRoles(trusted))
        assert.deepEqual(signedTagsOf(trusted, t.name), reference(trusted, t.name), `${name} ${t.name}`);
      assert.deepEqual(signedTagsOf(trusted, 'no-such-tag'), []);
      // notary list's lean listing agrees with the decoding one
      const summaries = trusted.listTargetSummaries();
      assert.deepEqual(
        summaries.map((t) => ({ ...t, hex: hexOfBase64All([t.sha256])[0] })),
        trusted.listTargets().map((t) => ({
          name: t.name,
          role: t.role,
          sha256: t.meta.hashes['sha256']?.toString('base64') ?? '',
          length: t.meta.length,
          hex: t.meta.hashes['sha256']?.toString('hex') ?? '',
        })),
        name,
      );
      assert.deepEqual(
        hexOfBase64All(summaries.map((t) => t.sha256)),
        summaries.map((t) => (t.sha256 === '' ? '' : Buffer.from(t.sha256, 'base64').toString('hex'))),
      );
      if (signedTagsOf(trusted).length > 0) compared++;
    }
    assert.ok(compared >= 4, `${compared} fixture repositories with signed tags compared`);
  });

  it('several digests per tag, released in both roles, signers agreeing with one digest or none, tags in natural order', async () => {
    const sim = new RepoSimulator('127.0.0.1:5000/sim/inspect');
    sim.delegate('targets/releases');
    sim.delegate('targets/alice');
    sim.delegate('targets/bob');
    for (let i = 0; i < 40; i++) {
      sim.addTarget(`v${i}`, `m${i}`, 'targets/releases');
      if (i % 3 === 0) sim.addTarget(`v${i}`, `m${i}`, 'targets/alice');
      if (i % 4 === 0) sim.addTarget(`v${i}`, `other${i}`, 'targets/bob');
      if (i % 5 === 0) sim.addTarget(`v${i}`, `admin${i}`, 'targets');
      if (i % 10 === 0) sim.addTarget(`v${i}`, `admin${i}`, 'targets/bob');
    }
    await sim.publish();
    const set = sim.trustedSet();
    const fast = signedTagsOf(set);
    assert.deepEqual(fast, reference(set));
    assert.equal(fast.filter((r) => r.tag === 'v10').length, 2, 'two released digests of v10');
    assert.deepEqual(fast.find((r) => r.tag === 'v10' && r.signers.length > 0)?.signers, ['bob']);
    assert.deepEqual(
      fast.slice(0, 3).map((r) => r.tag),
      ['v0', 'v0', 'v1'],
    );
  });
});
