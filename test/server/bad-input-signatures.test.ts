/**
 * `dct server` against badly signed or badly versioned metadata: tampered,
 * missing and wrong-key signatures, a client snapshot pinning other bytes,
 * expired targets, versions 0 and beyond 32 bits, old and same versions, root
 * rotations the old root did not sign, and a first publish without a root of
 * its own — each refused whole with notary's INVALID_UPDATE or VERSION answer,
 * nothing stored changed.
 */
import { describe, it } from 'node:test';
import { signerFor } from '../../src/app/create-repository.js';
import { GoTime } from '../../src/core/go-time.js';
import { KeySigner } from '../../src/core/keys/signer.js';
import { Root } from '../../src/core/tuf/root.js';
import { newRootKey } from '../support/repo-simulator.js';
import {
  CLIENT,
  clientOwner,
  MANAGED,
  managed,
  multipart,
  newEcKey,
  now,
  post,
  refused,
  rootFile,
  snapshotFile,
  targetsFile,
  update,
  useBadInputServer,
} from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('signatures, keys and versions', () => {
    it('a tampered signature → ErrBadTargets "valid signatures did not meet threshold for targets"', async () => {
      const good = await targetsFile(managed, 'targets', 3, { delegate: true });
      const doc = JSON.parse(good.toString('utf8')) as { signatures: Array<{ sig: string }> };
      const sig = Buffer.from(doc.signatures[0]!.sig, 'base64');
      sig[10] = (sig[10] as number) ^ 0x01;
      doc.signatures[0]!.sig = sig.toString('base64');
      await refused(
        'flipped bit',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: JSON.stringify(doc) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets'),
      );
      // the signature of v2 on v3 content (the lab's exchange 24)
      const v2 = JSON.parse(managed.published.get('targets@2')!.toString('utf8')) as { signatures: unknown };
      const moved = JSON.parse(good.toString('utf8')) as { signatures: unknown };
      moved.signatures = v2.signatures;
      await refused(
        'old signature',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: JSON.stringify(moved) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets'),
      );
    });

    it('no signatures → ErrBadTargets "tuf: data has no signatures"', async () => {
      const doc = JSON.parse((await targetsFile(managed, 'targets', 3, { delegate: true })).toString('utf8')) as { signatures: unknown[] };
      doc.signatures = [];
      await refused(
        'no signatures',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: JSON.stringify(doc) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'tuf: data has no signatures'),
      );
    });

    it('signed by a wrong key (targets, a delegation, a client snapshot, a snapshot on a server-snapshot GUN) → INVALID_UPDATE', async () => {
      const stranger = signerFor(newEcKey());
      const byStranger = await targetsFile(managed, 'targets', 3, { delegate: true, signers: [stranger] });
      await refused(
        'targets by a stranger',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: byStranger }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets'),
      );
      // by the targets key instead of the delegation's
      const releases = await targetsFile(managed, 'targets/releases', 2, { signers: [signerFor(managed.targetsKey)] });
      await refused(
        'releases by the targets key',
        () => post(MANAGED, multipart([{ filename: 'targets/releases', bytes: releases }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets/releases'),
      );
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      const badSnapshot = await snapshotFile(clientOwner, 3, { root: clientOwner.published.get('root@1')!, targets: ctargets }, [stranger]);
      await refused(
        'client snapshot by a stranger',
        () =>
          post(
            CLIENT,
            multipart([
              { filename: 'targets', bytes: ctargets },
              { filename: 'snapshot', bytes: badSnapshot },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', 'valid signatures did not meet threshold for snapshot'),
      );
      const next = await targetsFile(managed, 'targets', 3, { delegate: true });
      const forged = await snapshotFile(managed, 9, { root: managed.published.get('root@1')!, targets: next }, [stranger]);
      await refused(
        'snapshot upload on a server-snapshot GUN',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'snapshot', bytes: forged },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', 'valid signatures did not meet threshold for snapshot'),
      );
    });

    it('a good targets with a badly signed delegation in the same upload → refused whole (atomic)', async () => {
      const targets3 = await targetsFile(managed, 'targets', 3, { delegate: true, targets: { a: 'a', new: 'new' } });
      const releases = await targetsFile(managed, 'targets/releases', 2, { signers: [signerFor(newEcKey())] });
      await refused(
        'targets + bad releases',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: targets3 },
              { filename: 'targets/releases', bytes: releases },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'valid signatures did not meet threshold for targets/releases'),
      );
    });

    it('a client snapshot that pins other bytes than uploaded → ErrBadSnapshot', async () => {
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      const wrongPin = await snapshotFile(clientOwner, 3, {
        root: clientOwner.published.get('root@1')!,
        targets: clientOwner.published.get('targets@2')!,
      });
      await refused(
        'wrong pin',
        () =>
          post(
            CLIENT,
            multipart([
              { filename: 'targets', bytes: ctargets },
              { filename: 'snapshot', bytes: wrongPin },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadSnapshot', /^sha256 checksum for targets did not match/),
      );
    });

    it('targets without a snapshot on a client-snapshot GUN → ErrBadHierarchy', async () => {
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      await refused(
        'no snapshot',
        () => post(CLIENT, multipart([{ filename: 'targets', bytes: ctargets }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadHierarchy', /server does not hold current snapshot key/),
      );
    });

    it('an expired targets → ErrBadTargets "targets expired at …"', async () => {
      const expired = await targetsFile(managed, 'targets', 3, { delegate: true, expires: GoTime.fromEpochMs(Date.now() - 60_000) });
      await refused(
        'expired',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: expired }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /^targets expired at \w{3} \w{3} \d+ \d\d:\d\d:\d\d UTC \d{4}$/),
      );
    });

    it('versions 0 and beyond 32 bits, correctly signed → 400 INVALID_UPDATE (never a storage error)', async () => {
      await refused(
        'version 0',
        async () =>
          post(MANAGED, multipart([{ filename: 'targets', bytes: await targetsFile(managed, 'targets', 0, { delegate: true }) }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', /version cannot be less than 1/),
      );
      await refused(
        'version 2^31',
        async () =>
          post(MANAGED, multipart([{ filename: 'targets', bytes: await targetsFile(managed, 'targets', 2 ** 31, { delegate: true }) }])),
        400,
        'INVALID_UPDATE',
        update('ErrValidation', `version ${2 ** 31} of targets is not an integer in 0..2147483647`),
      );
      const ctargets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', c: 'c' } });
      const bigSnapshot = await snapshotFile(clientOwner, 2 ** 40, { root: clientOwner.published.get('root@1')!, targets: ctargets });
      await refused(
        'snapshot version 2^40',
        () =>
          post(
            CLIENT,
            multipart([
              { filename: 'targets', bytes: ctargets },
              { filename: 'snapshot', bytes: bigSnapshot },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrValidation', `version ${2 ** 40} of snapshot is not an integer in 0..2147483647`),
      );
    });

    it('old versions (stored bytes again, or newly signed with a lower version) → VERSION', async () => {
      await refused(
        'targets v1 again',
        () => post(MANAGED, multipart([{ filename: 'targets', bytes: managed.published.get('targets@1')! }])),
        400,
        'VERSION',
        {},
      );
      await refused(
        'root v1 again',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: managed.published.get('root@1')! }])),
        400,
        'VERSION',
        {},
      );
      await refused(
        'releases v1 again',
        () => post(MANAGED, multipart([{ filename: 'targets/releases', bytes: managed.published.get('targets/releases@1')! }])),
        400,
        'VERSION',
        {},
      );
      const older = await targetsFile(managed, 'targets', 1, { delegate: true, targets: { rollback: 'x' } });
      await refused('targets v1 re-signed', () => post(MANAGED, multipart([{ filename: 'targets', bytes: older }])), 400, 'VERSION', {});
      const oldSnapshot = clientOwner.published.get('snapshot@1')!;
      await refused(
        'client snapshot v1 again',
        () => post(CLIENT, multipart([{ filename: 'snapshot', bytes: oldSnapshot }])),
        400,
        'VERSION',
        {},
      );
    });

    it('same versions with other content → VERSION', async () => {
      const same = await targetsFile(managed, 'targets', 2, { delegate: true, targets: { other: 'content' } });
      await refused('targets v2 re-signed', () => post(MANAGED, multipart([{ filename: 'targets', bytes: same }])), 400, 'VERSION', {});
      const ctargets = clientOwner.published.get('targets@2')!;
      const csnap = await snapshotFile(clientOwner, 2, { root: clientOwner.published.get('root@1')!, targets: ctargets });
      await refused(
        'client snapshot v2 re-signed',
        () => post(CLIENT, multipart([{ filename: 'snapshot', bytes: csnap }])),
        400,
        'VERSION',
        {},
      );
    });

    it('root rotations the old root did not sign, that skip a version or name another GUN → ErrBadRoot', async () => {
      const newRoot = newRootKey(MANAGED, now());
      const rotate = (r: Root) => {
        r.version = 2;
        for (const id of r.roles['root']!.keyids) delete r.keys[id];
        r.keys[newRoot.publicKey.id] = newRoot.publicKey;
        r.roles['root'] = { keyids: [newRoot.publicKey.id], threshold: 1 };
      };
      const onlyNew = await rootFile(managed, rotate, [new KeySigner(newRoot.privateKey, newRoot.publicKey)]);
      await refused(
        'signed by the new key only',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: onlyNew }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', 'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates'),
      );
      const onlyOld = await rootFile(managed, rotate);
      await refused(
        'signed by the old key only',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: onlyOld }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /^could not validate the path to a trusted root/),
      );
      const jump = await rootFile(managed, (r) => (r.version = 3));
      await refused(
        'version 3',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: jump }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', 'Root modifications must increment the version. Current 1, new 3'),
      );
      const otherGun = newRootKey('example.com/someone/else', now());
      const foreign = await rootFile(
        managed,
        (r) => {
          r.version = 2;
          r.keys[otherGun.publicKey.id] = otherGun.publicKey;
          r.roles['root'] = { keyids: [otherGun.publicKey.id], threshold: 1 };
        },
        [new KeySigner(managed.rootKey, managed.rootCert), new KeySigner(otherGun.privateKey, otherGun.publicKey)],
      );
      await refused(
        'a certificate for another GUN',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: foreign }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /./),
      );
      const timestampGone = await rootFile(managed, (r) => {
        r.version = 2;
        const stranger = signerFor(newEcKey()).publicKey;
        r.keys[stranger.id] = stranger;
        r.roles['timestamp'] = { keyids: [stranger.id], threshold: 1 };
      });
      await refused(
        'a timestamp key the server does not hold',
        () => post(MANAGED, multipart([{ filename: 'root', bytes: timestampGone }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', 'no  timestamp keys exist on the server'),
      );
    });

    it('a first publish of a new GUN with a root of another GUN, or without a root → INVALID_UPDATE', async () => {
      const gun = 'example.com/bad/new';
      await refused(
        'root of another GUN',
        () =>
          post(
            gun,
            multipart([
              { filename: 'root', bytes: managed.published.get('root@1')! },
              { filename: 'targets', bytes: managed.published.get('targets@1')! },
            ]),
          ),
        400,
        'INVALID_UPDATE',
        update('ErrBadRoot', /./),
      );
      await refused(
        'no root',
        () => post(gun, multipart([{ filename: 'targets', bytes: managed.published.get('targets@1')! }])),
        400,
        'INVALID_UPDATE',
        update('ErrValidation', 'no pre-existing root and no root provided in update.'),
      );
    });
  });
});
