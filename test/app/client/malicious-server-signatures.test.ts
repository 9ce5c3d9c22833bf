/**
 * The client against a Notary server that serves metadata with bad signatures:
 * stripped, by a key the root does not list, by another key under the right key
 * ID, by the server instead of the owner. Each fails with a stable code and the
 * cache unchanged; a delegation whose signatures fail is skipped with a warning
 * (notary's rule), never cached, and its older cached copy stays.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache, repositoryDir } from '../../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../src/adapters/notary-http/remote-repository.js';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { Timestamp } from '../../../src/core/tuf/timestamp.js';
import {
  forgeTimestamp,
  honest,
  putFile,
  repinned,
  resign,
  strangerSigner,
  stripSignatures,
  tamper,
  versionOf,
  wrongKeySameId,
} from '../../support/malicious-attacks.js';
import { CLIENT_PASSPHRASE, copyCache, type RecordedRepository } from '../../support/malicious-recording.js';
import { attackTests, type Case, cur, evil, fails, recording, TIMEOUT_MS, useMaliciousNotary, work } from './malicious-server-world.js';

const cases: Case[] = [
  // ------------------------------------------------------------- signatures
  {
    name: 'timestamp with its signatures stripped',
    repo: 'docker',
    cache: 'old',
    attack: (r) => putFile(honest(r, 'new'), 'timestamp', stripSignatures(cur(r, 'new', 'timestamp'))),
    read: fails('NO_SIGNATURES', /timestamp/),
    first: fails('NO_SIGNATURES', /timestamp/),
  },
  {
    name: 'timestamp signed by a key the root does not list',
    repo: 'docker',
    cache: 'old',
    attack: async (r) =>
      putFile(
        honest(r, 'new'),
        'timestamp',
        await resign(cur(r, 'new', 'timestamp'), 'timestamp', [strangerSigner()], (t: Timestamp) => void t.version++),
      ),
    read: fails('THRESHOLD_NOT_MET', /timestamp/),
    first: fails('THRESHOLD_NOT_MET', /timestamp/),
  },
  {
    name: 'timestamp signature naming the right key ID, made by another key',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => putFile(honest(r, 'new'), 'timestamp', await wrongKeySameId(cur(r, 'new', 'timestamp'), 'timestamp')),
    read: fails('THRESHOLD_NOT_MET', /timestamp/),
    first: fails('THRESHOLD_NOT_MET', /timestamp/),
  },
  {
    name: 'snapshot signed by an untrusted key, pinned by a valid timestamp',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => {
      const bad = await resign(cur(r, 'new', 'snapshot'), 'snapshot', [strangerSigner()], (s: { version: number }) => void s.version++);
      const a = putFile(honest(r, 'new'), 'snapshot', bad);
      return putFile(a, 'timestamp', await forgeTimestamp(bad, versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1, r.keys.timestamp));
    },
    read: fails('THRESHOLD_NOT_MET', /snapshot/),
    first: fails('THRESHOLD_NOT_MET', /snapshot/),
  },
  {
    name: 'targets signed by the server instead of the owner (snapshot and timestamp re-signed)',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => {
      const bad = await resign(cur(r, 'new', 'targets'), 'targets', [r.keys.snapshot], (t: { version: number }) => void t.version++);
      return repinned(r, 'new', 'targets signed by the server', { targets: bad });
    },
    read: fails('THRESHOLD_NOT_MET', /targets/),
    first: fails('THRESHOLD_NOT_MET', /targets/),
  },
  {
    name: 'notary style: snapshot signed by the server instead of the owner',
    repo: 'notary',
    cache: 'old',
    attack: async (r) => {
      // the notary-style repository's owner holds the snapshot key; the server signs with its timestamp key instead
      const bad = await resign(cur(r, 'new', 'snapshot'), 'snapshot', [r.keys.timestamp], (s: { version: number }) => void s.version++);
      const a = putFile(honest(r, 'new'), 'snapshot', bad);
      return putFile(a, 'timestamp', await forgeTimestamp(bad, versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1, r.keys.timestamp));
    },
    read: fails('THRESHOLD_NOT_MET', /snapshot/),
    first: fails('THRESHOLD_NOT_MET', /snapshot/),
  },
];

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);

  it('a delegation whose signatures fail is never cached, its older copy stays', async () => {
    const repo = recording.docker;
    const bad = readTamperedReleases(repo);
    evil.serve(await repinned(repo, 'new', 'tampered delegation', { 'targets/releases': bad }));
    const dir = copyCache(repo.caches.old, join(work, 'runs', 'delegation-kept'));
    const client = new NotaryClient({ baseUrl: evil.url, timeoutMs: TIMEOUT_MS });
    try {
      const t = new TrustRepository({
        gun: repo.gun,
        cache: new FileMetadataCache(dir, repo.gun),
        keyRing: new FileKeyRing(new FileKeyStore(dir), { get: async () => CLIENT_PASSPHRASE }),
        remote: new NotaryRemoteRepository(client, repo.gun, evil.url),
      });
      const { trusted } = await t.read();
      assert.equal(trusted.targets('targets/releases'), undefined, 'the tampered delegation is not trusted');
      const cached = readFileSync(join(repositoryDir(dir, repo.gun), 'metadata', 'targets', 'releases.json'));
      assert.ok(cached.equals(cur(repo, 'old', 'targets/releases')), 'the cached delegation is the old good one');
    } finally {
      client.close();
    }
  });
});

function readTamperedReleases(repo: RecordedRepository): Buffer {
  return tamper(cur(repo, 'new', 'targets/releases'));
}
