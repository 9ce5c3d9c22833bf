/**
 * `dct server` against invalid role names in an upload: names that are not
 * roles (INVALID_ROLE with the name as detail), empty names (NO_FILENAME), one
 * `.json` suffix stripped as notary does, delegations the targets role does not
 * list, and a timestamp-only upload where the server cannot sign the snapshot
 * (ErrBadHierarchy). Nothing stored changes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signerFor } from '../../src/app/create-repository.js';
import { CLIENT, MANAGED, managed, multipart, post, refused, targetsFile, update, useBadInputServer } from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('role names', () => {
    const data = () => managed.published.get('targets@2')!;
    const invalid: Array<[string, string]> = [
      ['foo', 'foo'],
      ['targets/../root', 'targets/../root'],
      ['TARGETS/x', 'TARGETS/x'],
      ['Targets', 'Targets'],
      ['targets//x', 'targets//x'],
      ['targets/./x', 'targets/./x'],
      ['targets/', 'targets/'],
      ['/targets', '/targets'],
      ['targets/x/', 'targets/x/'],
      [' targets', ' targets'],
      ['targets.json.json', 'targets.json'],
      ['root.JSON', 'root.JSON'],
      ['targets/x y', 'targets/x y'],
      ['targets/é', 'targets/é'],
      ['..', '..'],
    ];
    for (const [filename, role] of invalid) {
      it(`filename ${JSON.stringify(filename)} → INVALID_ROLE detail ${JSON.stringify(role)}`, () =>
        refused(filename, () => post(MANAGED, multipart([{ filename, bytes: data() }])), 400, 'INVALID_ROLE', role));
    }

    it('filename "" and ".json" → NO_FILENAME', async () => {
      await refused('""', () => post(MANAGED, multipart([{ filename: '', bytes: data() }])), 400, 'NO_FILENAME');
      await refused('.json', () => post(MANAGED, multipart([{ filename: '.json', bytes: data() }])), 400, 'NO_FILENAME');
    });

    it('a bad role after a good part → INVALID_ROLE (nothing of the good part is stored)', async () => {
      const next = await targetsFile(managed, 'targets', 3, { delegate: true });
      await refused(
        'good then foo',
        () =>
          post(
            MANAGED,
            multipart([
              { filename: 'targets', bytes: next },
              { filename: 'foo', bytes: next },
            ]),
          ),
        400,
        'INVALID_ROLE',
        'foo',
      );
    });

    it('".json" suffixes are stripped once: targets.json / targets/releases.json of stored versions → VERSION', async () => {
      await refused('targets.json', () => post(MANAGED, multipart([{ filename: 'targets.json', bytes: data() }])), 400, 'VERSION', {});
      await refused(
        'targets/releases.json',
        () => post(MANAGED, multipart([{ filename: 'targets/releases.json', bytes: managed.published.get('targets/releases@1')! }])),
        400,
        'VERSION',
        {},
      );
    });

    it('a delegation the targets role does not list, and one below it → INVALID_UPDATE ErrBadTargets', async () => {
      const nope = await targetsFile(managed, 'targets/nope', 1, { signers: [signerFor(managed.releasesKey)] });
      await refused(
        'targets/nope',
        () => post(MANAGED, multipart([{ filename: 'targets/nope', bytes: nope }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'tuf: invalid role targets/nope. delegation does not exist'),
      );
      const deeper = await targetsFile(managed, 'targets/releases/deeper', 1, { signers: [signerFor(managed.releasesKey)] });
      await refused(
        'targets/releases/deeper',
        () => post(MANAGED, multipart([{ filename: 'targets/releases/deeper', bytes: deeper }])),
        400,
        'INVALID_UPDATE',
        update('ErrBadTargets', 'tuf: invalid role targets/releases/deeper. delegation does not exist'),
      );
    });

    it('timestamp only where the server cannot sign a snapshot (client-managed) → ErrBadHierarchy', async () => {
      const ts = managed.published.get('targets@1')!; // any envelope: a timestamp part is ignored
      await refused(
        'timestamp only',
        () => post(CLIENT, multipart([{ filename: 'timestamp', bytes: ts }])),
        400,
        'INVALID_UPDATE',
        (d: unknown) =>
          assert.deepEqual(d, {
            Name: 'ErrBadHierarchy',
            Error: {
              Missing: 'snapshot',
              Msg: 'no snapshot was included in update and server does not hold current snapshot key for repository',
            },
          }),
      );
    });
  });
});
