/**
 * The client against a Notary server that sends too much or nothing: files over
 * the size limits (declared or chunked, or pinned huge by a re-signed parent),
 * endless downloads and silent connections. Each fails with a stable code
 * (RESPONSE_TOO_LARGE, TIMEOUT, …) and the cache unchanged, a server that
 * cannot be reached falls back to the cached timestamp with notary's warning,
 * and an endless download stops near the length its parent pins.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache } from '../../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../src/adapters/notary-http/remote-repository.js';
import { CACHED_TIMESTAMP_WARNING } from '../../../src/app/client/update-repository.js';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { GoTime } from '../../../src/core/go-time.js';
import { Metadata } from '../../../src/core/tuf/metadata.js';
import { Timestamp } from '../../../src/core/tuf/timestamp.js';
import { checksumPath, honest, padded, putFile, versionOf } from '../../support/malicious-attacks.js';
import { CLIENT_PASSPHRASE, copyCache } from '../../support/malicious-recording.js';
import {
  attackTests,
  type Case,
  cur,
  DAY,
  escapeRegExp,
  evil,
  fails,
  MiB,
  ok,
  recording,
  serveAt,
  useMaliciousNotary,
  work,
} from './malicious-server-world.js';

const cases: Case[] = [
  // ------------------------------------------------------------- oversized
  {
    name: 'timestamp over 1 MiB (declared in Content-Length)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => putFile(honest(r, 'new'), 'timestamp', padded(cur(r, 'new', 'timestamp'), MiB + 1)),
    read: fails('RESPONSE_TOO_LARGE', /timestamp\.json.*(limit|exceeds)/),
    first: fails('RESPONSE_TOO_LARGE', /timestamp\.json.*(limit|exceeds)/),
  },
  {
    name: 'timestamp over 1 MiB, chunked (no Content-Length)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => serveAt(honest(r, 'new'), 'timestamp.json', padded(cur(r, 'new', 'timestamp'), 2 * MiB), { chunked: true }),
    read: fails('RESPONSE_TOO_LARGE', /timestamp\.json.*(limit|exceeds)/),
    first: fails('RESPONSE_TOO_LARGE', /timestamp\.json.*(limit|exceeds)/),
  },
  {
    name: 'targets longer than the length the snapshot pins',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const t = cur(r, 'new', 'targets');
      return serveAt(honest(r, 'new'), checksumPath('targets', t), padded(t, t.length + 2 * MiB));
    },
    read: fails(['SIZE_LIMIT_EXCEEDED', 'RESPONSE_TOO_LARGE'], /targets/),
    first: fails(['SIZE_LIMIT_EXCEEDED', 'RESPONSE_TOO_LARGE'], /targets/),
  },
  {
    name: 'a snapshot pinned at 200 MiB by a timestamp re-signed with the server key',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => {
      const s = cur(r, 'new', 'snapshot');
      const real = { ...(await import('../../../src/core/tuf/file-meta.js')).fileMetaOf(s), length: 200 * MiB };
      const t = new Timestamp(versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1, GoTime.fromEpochMs(Date.now() + DAY), {
        snapshot: real,
      });
      return putFile(honest(r, 'new'), 'timestamp', (await new Metadata(t, []).sign([r.keys.timestamp])).serialize());
    },
    read: fails('SIZE_LIMIT_EXCEEDED', /snapshot/),
    first: fails('SIZE_LIMIT_EXCEEDED', /snapshot/),
  },

  // ------------------------------------------------------------- endless and silent
  {
    name: 'endless timestamp (bytes for ever, no Content-Length)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const a = honest(r, 'new');
      a.files.set('timestamp.json', { kind: 'endless' });
      return a;
    },
    read: fails('RESPONSE_TOO_LARGE', /timestamp\.json/),
    first: fails('RESPONSE_TOO_LARGE', /timestamp\.json/),
  },
  {
    name: 'endless targets download',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const a = honest(r, 'new');
      a.files.set(checksumPath('targets', cur(r, 'new', 'targets')), { kind: 'endless' });
      return a;
    },
    // whichever comes first: the size cap or the deadline (see the bound test below)
    read: fails(['RESPONSE_TOO_LARGE', 'SIZE_LIMIT_EXCEEDED', 'TIMEOUT'], /targets/),
    first: fails(['RESPONSE_TOO_LARGE', 'SIZE_LIMIT_EXCEEDED', 'TIMEOUT'], /targets/),
  },
  {
    name: 'a server that accepts connections and never answers: cached timestamp with a warning; writes fail',
    repo: 'docker',
    cache: 'old',
    attack: () => ({ name: 'hang', files: new Map(), all: { kind: 'hang' } }),
    read: ok({ warning: new RegExp(`^${escapeRegExp(CACHED_TIMESTAMP_WARNING)}$`), offline: true }),
    draft: fails('TIMEOUT', /root\.json.*no complete response within/),
    first: fails('TIMEOUT', /root\.json.*no complete response within/),
  },
  {
    name: 'the snapshot download never answers',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const a = honest(r, 'new');
      a.files.set(checksumPath('snapshot', cur(r, 'new', 'snapshot')), { kind: 'hang' });
      return a;
    },
    read: fails('TIMEOUT', /snapshot\.[0-9a-f]{64}\.json.*no complete response within/),
    first: fails('TIMEOUT', /snapshot\.[0-9a-f]{64}\.json.*no complete response within/),
  },
  {
    name: 'the targets download trickles one byte at a time',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const a = honest(r, 'new');
      a.files.set(checksumPath('targets', cur(r, 'new', 'targets')), { kind: 'trickle' });
      return a;
    },
    read: fails('TIMEOUT', /targets\.[0-9a-f]{64}\.json.*no complete response within/),
    first: fails('TIMEOUT', /targets\.[0-9a-f]{64}\.json.*no complete response within/),
  },
];

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);

  it('an endless download stops near the length its parent pins (the client reads no more than it needs)', async () => {
    const repo = recording.docker;
    const a = honest(repo, 'new');
    const targetsPath = checksumPath('targets', cur(repo, 'new', 'targets'));
    a.files.set(targetsPath, { kind: 'endless' });
    evil.serve(a);
    const dir = copyCache(repo.caches.old, join(work, 'runs', 'endless-bound'));
    const client = new NotaryClient({ baseUrl: evil.url, timeoutMs: 10_000 });
    try {
      const t = new TrustRepository({
        gun: repo.gun,
        cache: new FileMetadataCache(dir, repo.gun),
        keyRing: new FileKeyRing(new FileKeyStore(dir), { get: async () => CLIENT_PASSPHRASE }),
        remote: new NotaryRemoteRepository(client, repo.gun, evil.url),
      });
      await assert.rejects(t.read());
    } finally {
      client.close();
    }
    const sent = Math.max(...evil.requests.filter((r) => r.file === targetsPath).map((r) => r.bytesSent));
    assert.ok(
      sent < 8 * MiB,
      `the server got to send ${sent} bytes of an endless targets file pinned at ${cur(repo, 'new', 'targets').length}`,
    );
  });
});
