/**
 * Applying staged changes to a repository draft with notary's rules
 * (`applyChangelist`): what changes, what is refused with which text, what is
 * left alone, and what gets signed.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { createPassphraseSource } from '../../../src/adapters/passphrase.js';
import {
  addTargetChanges,
  delegationChange,
  removeTargetChanges,
  rootRoleChange,
  witnessChange,
  type NotaryChange,
} from '../../../src/app/client/notary-change.js';
import { applyChanges } from '../../../src/app/client/change-applier.js';
import { RepositoryDraft } from '../../../src/app/client/repository-draft.js';
import { createRepository } from '../../../src/app/create-repository.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { fileMetaOf } from '../../../src/core/tuf/file-meta.js';
import { PASSPHRASES } from './helpers.js';

const GUN = 'example.com/changes';
const plainKey = () => PublicKey.fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);

describe('applying notary changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-changes-'));
  let ring: FileKeyRing;
  let base: Awaited<ReturnType<typeof createRepository>>;
  const warnings: string[] = [];
  const errors: string[] = [];

  before(async () => {
    ring = new FileKeyRing(new FileKeyStore(dir), createPassphraseSource({ mode: 'notary', env: PASSPHRASES }));
    const rootKey = (await ring.generate('root')).privateKey;
    const targetsKey = (await ring.generate('targets', GUN)).privateKey;
    const snapshotKey = (await ring.generate('snapshot', GUN)).privateKey;
    base = await createRepository({ gun: GUN, now: new Date(), rootKey, targetsKey, snapshotKey, timestampKey: plainKey() });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const draft = () =>
    new RepositoryDraft({
      gun: GUN,
      root: base.root,
      targets: new Map([['targets', base.targets]]),
      ...(base.snapshot ? { snapshot: base.snapshot } : {}),
      initialPublish: false,
    });
  const apply = (d: RepositoryDraft, changes: NotaryChange[]) =>
    applyChanges(d, changes, {
      holdsKeyOf: async (keys) => {
        for (const k of keys) if (await ring.has(k.canonicalId)) return true;
        return false;
      },
      warn: (m) => warnings.push(m),
      error: (m) => errors.push(m),
    });
  const hello = fileMetaOf(Buffer.from('hello\n'));

  it('targets: add and remove in order; re-adding the same file changes nothing', async () => {
    const d = draft();
    await apply(d, [...addTargetChanges('a', hello, []), ...addTargetChanges('b', hello, []), ...removeTargetChanges('a', [])]);
    assert.deepEqual(
      [...d.role('targets')!.targets.entries()].map(([name]) => name),
      ['b'],
    );
    assert.equal(d.changed, true);
    const same = draft();
    await apply(same, removeTargetChanges('never-there', []));
    assert.equal(same.changed, false);
  });

  it('delegations: keys then paths, nested roles, paths restricted by the parent, delete', async () => {
    const d = draft();
    const alice = plainKey();
    const bob = plainKey();
    await apply(d, [
      delegationChange('create', 'targets/a', { threshold: 1, addKeys: [alice] }),
      delegationChange('create', 'targets/a', { addPaths: ['x/', 'y/'] }),
    ]);
    assert.deepEqual(d.delegation('targets/a'), { name: 'targets/a', keyids: [alice.id], threshold: 1, paths: ['x/', 'y/'] });
    // the client holds no key of targets/a: it cannot sign a child of it
    await assert.rejects(
      apply(d, [delegationChange('create', 'targets/a/b', { threshold: 1, addKeys: [bob] })]),
      new RegExp(
        `^ChangeError: could not find necessary signing keys, at least one of these keys must be available: ${alice.canonicalId}$`,
      ),
    );
    // a new role needs keys first (notary: threshold 0 is an invalid role)
    await assert.rejects(
      apply(d, [delegationChange('create', 'targets/c', { addPaths: ['z/'] })]),
      /^ChangeError: tuf: invalid role targets\/c\.$/,
    );
    await apply(d, [
      delegationChange('update', 'targets/a', { removePaths: ['y/'], addKeys: [bob] }),
      delegationChange('update', 'targets/a', { removeKeys: [alice.canonicalId] }),
    ]);
    assert.deepEqual(d.delegation('targets/a'), { name: 'targets/a', keyids: [bob.id], threshold: 1, paths: ['x/'] });
    await apply(d, [delegationChange('update', 'targets/a', { clearPaths: true })]);
    assert.deepEqual(d.delegation('targets/a')!.paths, []);
    await apply(d, [delegationChange('delete', 'targets/a')]);
    assert.equal(d.delegation('targets/a'), undefined);
    await assert.rejects(
      apply(d, [delegationChange('update', 'targets/a', { addPaths: ['q/'] })]),
      /tuf: invalid role targets\/a\. delegation does not exist/,
    );
  });

  it('targets in delegations: only where the paths allow, only with a held key', async () => {
    const d = draft();
    const held = (await ring.generate('targets/rel')).keyId;
    const relKey = PublicKey.fromKeyObject(createPublicKey((await ring.unlock(held))!));
    const other = plainKey();
    await apply(d, [
      delegationChange('create', 'targets/rel', { threshold: 1, addKeys: [relKey] }),
      delegationChange('create', 'targets/rel', { addPaths: ['rel/'] }),
      delegationChange('create', 'targets/other', { threshold: 1, addKeys: [other] }),
      delegationChange('create', 'targets/other', { addPaths: [''] }),
      ...addTargetChanges('rel/v1', hello, ['targets/rel']),
    ]);
    assert.ok(d.role('targets/rel')!.targets.has('rel/v1'));
    errors.length = 0;
    await assert.rejects(apply(d, addTargetChanges('elsewhere', hello, ['targets/rel'])), /^ChangeError: Could not add all targets$/);
    assert.deepEqual(errors, ["couldn't add target to targets/rel: Could not add all targets"]);
    await assert.rejects(apply(d, addTargetChanges('x', hello, ['targets/other'])), /could not find necessary signing keys/);
    await assert.rejects(
      apply(d, addTargetChanges('x', hello, ['targets/none'])),
      /tuf: invalid role targets\/none\. delegation does not exist/,
    );
    // purge: keys come out of every delegation whose parent can be re-signed
    warnings.length = 0;
    await apply(d, [delegationChange('update', 'targets/*', { removeKeys: [other.canonicalId, relKey.canonicalId] })]);
    assert.deepEqual(d.delegation('targets/other')!.keyids, []);
    assert.deepEqual(d.delegation('targets/rel')!.keyids, []);
    assert.ok(
      warnings.some(
        (w) => w === 'role targets/other has fewer keys than its threshold of 1; it will not be usable until keys are added to it',
      ),
    );
  });

  it("witness re-signs a role with a file; unknown roles and other scopes are refused with notary's texts", async () => {
    const d = draft();
    await apply(d, [witnessChange('targets')]);
    const files = await d.sign(ring, new Date());
    const targets = files.find((f) => f.role === 'targets');
    assert.ok(targets);
    assert.equal((JSON.parse(targets.bytes.toString()) as { signed: { version: number } }).signed.version, base.targets.signed.version + 1);
    await assert.rejects(
      apply(draft(), [witnessChange('targets/ghost')]),
      /^ChangeError: tuf: invalid role targets\/ghost\. this role is not known$/,
    );
    await assert.rejects(apply(draft(), [witnessChange('root')]), /^ChangeError: type of root change not yet supported: witness$/);
    await assert.rejects(apply(draft(), [witnessChange('snapshot')]), /^ChangeError: scope not supported: snapshot$/);
  });

  it('root role changes replace base role keys; a new targets key re-signs targets; old keys are retired', async () => {
    const d = draft();
    const oldTargets = base.keys.targets.canonicalId;
    const fresh = await ring.generate('targets', GUN);
    const freshKey = PublicKey.fromKeyObject(createPublicKey(fresh.privateKey));
    const { retiredKeyIds } = await apply(d, [rootRoleChange('targets', [freshKey])]);
    assert.deepEqual(retiredKeyIds, [oldTargets]);
    assert.deepEqual(d.rootRole.roles['targets']!.keyids, [freshKey.id]);
    const files = await d.sign(ring, new Date());
    assert.deepEqual(files.map((f) => f.role).sort(), ['root', 'snapshot', 'targets']);
    const signedTargets = JSON.parse(files.find((f) => f.role === 'targets')!.bytes.toString()) as { signatures: Array<{ keyid: string }> };
    assert.deepEqual(
      signedTargets.signatures.map((s) => s.keyid),
      [freshKey.id],
    );
  });
});
