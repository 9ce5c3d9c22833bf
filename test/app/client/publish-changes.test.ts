/**
 * The publish use case's own decisions, over a made-up repository: a draft that
 * cannot be had is reported and rethrown (nothing published), a repository with no
 * trust data is initialised by the publish. Applying changes to real drafts is
 * tested with the applier and end to end by the notary CLI tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publishChanges, type PublishEvent } from '../../../src/app/client/publish-changes.js';
import type { RepositoryDraft } from '../../../src/app/client/repository-draft.js';
import type { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { DctError } from '../../../src/core/errors.js';

function fakeRepository(openDraft: () => Promise<RepositoryDraft | undefined>) {
  const calls: string[] = [];
  const draft = {} as RepositoryDraft;
  const repo = {
    gun: 'example.com/app',
    openDraft: async () => {
      calls.push('openDraft');
      return openDraft();
    },
    initialize: async (opts: { serverManagedSnapshot: boolean }) => {
      calls.push(`initialize serverManagedSnapshot=${String(opts.serverManagedSnapshot)}`);
      return draft;
    },
    publish: async (d: RepositoryDraft) => {
      calls.push(d === draft ? 'publish initialized draft' : 'publish other draft');
    },
  } as unknown as TrustRepository;
  return { repo, calls, draft };
}

const ports = (events: PublishEvent[]) => ({
  holdsKeyOf: () => Promise.resolve(false),
  retireKey: () => Promise.reject(new Error('no key is retired without a rotation')),
  onEvent: (e: PublishEvent) => void events.push(e),
});

describe('publishChanges', () => {
  it('reports a failed update and rethrows it, publishing nothing', async () => {
    const failure = new DctError('OFFLINE', 'the server cannot be reached');
    const { repo, calls } = fakeRepository(() => Promise.reject(failure));
    const events: PublishEvent[] = [];
    await assert.rejects(publishChanges(repo, [], ports(events)), (err) => err === failure);
    assert.deepEqual(events, [{ type: 'update-failed', error: failure }]);
    assert.deepEqual(calls, ['openDraft']);
  });

  it('initialises a repository with no trust data (client-managed snapshot, as notary) and publishes that draft', async () => {
    const { repo, calls } = fakeRepository(() => Promise.resolve(undefined));
    const events: PublishEvent[] = [];
    await publishChanges(repo, [], ports(events));
    assert.deepEqual(events, [{ type: 'initializing', gun: 'example.com/app' }]);
    assert.deepEqual(calls, ['openDraft', 'initialize serverManagedSnapshot=false', 'publish initialized draft']);
  });
});
