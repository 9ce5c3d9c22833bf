/**
 * Export and verify-bundle on expired data, over the ports (a simulated repository served
 * by an in-memory RemoteRepository): a delegation that has expired is skipped by the client
 * update, not refused, so the export goes back to an instant it was valid at and keeps it;
 * verify-bundle does the same, labelled; with --at the expired delegation is left out and the
 * tag table no longer matches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportRepository } from '../../../src/app/trust-export/export-repository.js';
import { verifyBundle } from '../../../src/app/trust-export/verify-bundle.js';
import { GoTime } from '../../../src/core/go-time.js';
import type { RemoteRepository } from '../../../src/core/ports.js';
import { BUNDLE_MEDIA_TYPE, serializeManifest } from '../../../src/core/trust-bundle/manifest.js';
import { RepoSimulator } from '../../support/repo-simulator.js';

const DAY = 24 * 3600 * 1000;

function remoteOf(sim: RepoSimulator): RemoteRepository {
  const fail = () => Promise.reject(new Error('read-only'));
  return {
    serverName: 'sim',
    read: async (role, maxBytes) => sim.files.get(role)?.subarray(0, maxBytes + 1),
    readRootVersion: async (v, maxBytes) => sim.files.get(`${v}.root`)?.subarray(0, maxBytes + 1),
    getKey: fail,
    rotateKey: fail,
    publish: fail,
    deleteRepository: fail,
  };
}

describe('trust export of expired data', () => {
  it('keeps a delegation that has expired, verified as of before its expiry, and says so', async () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const sim = new RepoSimulator('example.com/sim/expiring', new Date(now.getTime() - 10 * DAY));
    sim.delegate('targets/releases');
    sim.addTarget('v1', 'one');
    sim.addTarget('v2', 'two', 'targets/releases');
    sim.delegated.get('targets/releases')!.expires = GoTime.fromDate(new Date(now.getTime() - DAY));
    await sim.publish();
    const exported = await exportRepository(sim.gun, { kind: 'server', url: 'https://sim', remote: remoteOf(sim) }, now);
    const repo = exported.repository;
    assert.deepEqual(
      repo.tags.map((t) => t.name),
      ['v1', 'v2'],
    );
    assert.deepEqual(
      repo.expired.map((e) => e.role),
      ['targets/releases'],
    );
    assert.equal(repo.verifiedAsOf, new Date(now.getTime() - DAY - 1000).toISOString());
    assert.ok(repo.files.some((f) => f.path.endsWith('/targets/releases.json')));

    const contents = {
      manifest: serializeManifest({
        mediaType: BUNDLE_MEDIA_TYPE,
        exportedAt: now.toISOString(),
        dctVersion: 'test',
        repositories: [repo],
      }),
      files: new Map(exported.files.map((f) => [f.path, f.bytes])),
    };
    const verdict = await verifyBundle(contents, { now: new Date(now.getTime() + DAY) });
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.match(verdict.repositories[0]!.label ?? '', /^expired since .* \(targets\/releases\); verified as of /);
    const strict = await verifyBundle(contents, { now, at: now });
    assert.equal(strict.repositories[0]!.code, 'BUNDLE_TAGS_MISMATCH');
  });
});
