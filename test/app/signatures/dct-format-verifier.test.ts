/**
 * DCT as a signature format (DctFormatVerifier) on verified trust data (RepoSimulator):
 * one report per role that holds a tag for the digest, with its tags, signer, key IDs and
 * whether docker would release it; targets outside a delegation's paths do not count;
 * no trust data → no reports; trust data that does not verify → one failed report with
 * its code; trust data that cannot be had → thrown.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DctFormatVerifier } from '../../../src/app/signatures/dct-format-verifier.js';
import { ResolutionFailure } from '../../../src/app/images/trust-resolver.js';
import { CoreError } from '../../../src/core/errors.js';
import { DctError } from '../../../src/core/errors.js';
import type { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { RepoSimulator } from '../../support/repo-simulator.js';

const GUN = '127.0.0.1:5000/sim/app';
const digestOf = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const subject = (digest: string) => ({ registry: '127.0.0.1:5000', repository: 'sim/app', digest });

async function signedRepository() {
  const sim = new RepoSimulator(GUN);
  sim.addTarget('1.0', 'manifest one');
  sim.addTarget('stable', 'manifest one');
  sim.addTarget('latest', 'manifest latest');
  sim.delegate('targets/releases');
  sim.addTarget('1.0', 'manifest one', 'targets/releases');
  const alice = sim.delegate('targets/alice');
  sim.addTarget('alice-1.0', 'manifest one', 'targets/alice');
  // bob may sign only `bob/…` names: his `1.0` is no signature
  sim.delegate('targets/bob', ['bob/']);
  sim.addTarget('1.0', 'manifest one', 'targets/bob');
  sim.addTarget('bob/1.0', 'manifest latest', 'targets/bob');
  await sim.publish();
  return { sim, set: sim.trustedSet(), alice };
}

describe('DctFormatVerifier', () => {
  it('one verified report per role holding the digest: tags, signer, key IDs, released or not; paths enforced', async () => {
    const { sim, set, alice } = await signedRepository();
    const asked: string[] = [];
    const verifier = new DctFormatVerifier(
      {
        trusted: async (gun) => {
          asked.push(gun);
          return set;
        },
      },
      { location: (gun) => `https://trust.example/${gun}` },
    );
    assert.equal(verifier.format, 'dct');
    const reports = await verifier.verify(subject(digestOf('manifest one')));
    assert.deepEqual(asked, [GUN]);
    assert.deepEqual(
      reports.map((r) => [r.signer?.role, r.details?.['tags'], r.details?.['released']]),
      [
        ['targets', ['1.0', 'stable'], true],
        ['targets/releases', ['1.0'], true],
        ['targets/alice', ['alice-1.0'], false],
      ],
    );
    for (const r of reports) {
      assert.equal(r.format, 'dct');
      assert.equal(r.verdict, 'verified');
      assert.equal(r.subject, digestOf('manifest one'));
      assert.deepEqual(r.foundAt, { via: 'tuf', reference: `https://trust.example/${GUN}` });
      assert.equal(r.signedAt, undefined, 'TUF records no signing time');
    }
    assert.deepEqual(reports[0]!.signer, { kind: 'role', role: 'targets', name: 'Repo Admin', keyId: sim.keys.targets.publicKey.id });
    assert.deepEqual(reports[2]!.signer, { kind: 'role', role: 'targets/alice', name: 'alice', keyId: alice.publicKey.id });
    assert.equal(reports[2]!.details?.['roleVersion'], 1);

    const latest = await verifier.verify(subject(digestOf('manifest latest')));
    assert.deepEqual(
      latest.map((r) => [r.signer?.role, r.details?.['tags']]),
      [
        ['targets', ['latest']],
        ['targets/bob', ['bob/1.0']],
      ],
    );
    assert.deepEqual(await verifier.verify(subject(digestOf('never signed'))), []);
    assert.deepEqual(await verifier.verify(subject('sha512:' + 'a'.repeat(128))), []);
  });

  it('no trust data: no DCT signatures; trust data that does not verify: a failed report; unreachable: thrown', async () => {
    const digest = digestOf('x');
    const over = (err: unknown) =>
      new DctFormatVerifier({
        trusted: async (): Promise<TrustedSet> => {
          throw err;
        },
      });
    const absent = new ResolutionFailure(new DctError('REPOSITORY_NOT_FOUND', `no trust data for ${GUN}`), GUN);
    assert.deepEqual(await over(absent).verify(subject(digest)), []);

    const broken = new ResolutionFailure(new CoreError('EXPIRED', 'targets expired'), GUN);
    const failed = await over(broken).verify(subject(digest));
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.verdict, 'failed');
    assert.equal(failed[0]!.code, 'EXPIRED');
    assert.match(failed[0]!.reason ?? '', /does not verify: targets expired/);

    await assert.rejects(over(new ResolutionFailure(new DctError('NETWORK_ERROR', 'connection refused'), GUN)).verify(subject(digest)), {
      code: 'NETWORK_ERROR',
    });
    await assert.rejects(over(new Error('socket hang up')).verify(subject(digest)), { code: 'NETWORK_ERROR' });
  });
});
