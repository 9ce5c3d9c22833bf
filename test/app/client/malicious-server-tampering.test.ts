/**
 * The client against a Notary server that serves tampered trust data (a byte of
 * a signed part flipped in the timestamp, snapshot, targets, a delegation or
 * the root, served where the real file is pinned or pinned by parents the
 * server re-signed), after two controls: an honest server (the cached client
 * updates, a new client reads) and valid files with a wrong Content-Type
 * (ignored, as notary does). Each attack fails with a stable code, the cache
 * unchanged, nothing written to the server.
 */
import { describe } from 'node:test';
import { checksumPath, forgeTimestamp, honest, putFile, repinned, tamper, versionOf } from '../../support/malicious-attacks.js';
import { asHtml, attackTests, type Case, cur, fails, ok, serveAt, useMaliciousNotary } from './malicious-server-world.js';

const cases: Case[] = [
  // ------------------------------------------------------------- controls
  {
    name: 'honest server (control): the cached client updates, a new client reads',
    repo: 'docker',
    cache: 'old',
    attack: (r) => honest(r, 'new'),
    read: ok({ updates: true }),
    first: ok({ updates: true }),
  },
  {
    name: 'valid files with a wrong Content-Type (ignored, as notary does)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => asHtml(honest(r, 'new')),
    read: ok({ updates: true }),
    first: ok({ updates: true }),
  },

  // ------------------------------------------------------------- tampered
  {
    name: 'tampered timestamp (a byte of its signed part flipped)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => putFile(honest(r, 'new'), 'timestamp', tamper(cur(r, 'new', 'timestamp'))),
    read: fails('THRESHOLD_NOT_MET', /timestamp/),
    first: fails('THRESHOLD_NOT_MET', /timestamp/),
  },
  {
    name: 'tampered snapshot served where the timestamp pins the real one',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const s = cur(r, 'new', 'snapshot');
      return serveAt(serveAt(honest(r, 'new'), checksumPath('snapshot', s), tamper(s)), 'snapshot.json', tamper(s));
    },
    read: fails('HASH_MISMATCH', /snapshot/),
    first: fails('HASH_MISMATCH', /snapshot/),
  },
  {
    name: 'tampered snapshot pinned by a timestamp re-signed with the server timestamp key',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => {
      const bad = tamper(cur(r, 'new', 'snapshot'));
      const a = putFile(honest(r, 'new'), 'snapshot', bad);
      return putFile(a, 'timestamp', await forgeTimestamp(bad, versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1, r.keys.timestamp));
    },
    read: fails('THRESHOLD_NOT_MET', /snapshot/),
    first: fails('THRESHOLD_NOT_MET', /snapshot/),
  },
  {
    name: 'tampered targets served where the snapshot pins the real one',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const t = cur(r, 'new', 'targets');
      return serveAt(honest(r, 'new'), checksumPath('targets', t), tamper(t));
    },
    read: fails('HASH_MISMATCH', /targets/),
    first: fails('HASH_MISMATCH', /targets/),
  },
  {
    name: 'tampered targets pinned by a snapshot and timestamp the server re-signed',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => repinned(r, 'new', 'tampered targets, re-pinned', { targets: tamper(cur(r, 'new', 'targets')) }),
    read: fails('THRESHOLD_NOT_MET', /targets/),
    first: fails('THRESHOLD_NOT_MET', /targets/),
  },
  {
    name: 'tampered delegation served where the snapshot pins the real one',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const d = cur(r, 'new', 'targets/releases');
      return serveAt(honest(r, 'new'), checksumPath('targets/releases', d), tamper(d));
    },
    read: fails('HASH_MISMATCH', /targets\/releases/),
    first: fails('HASH_MISMATCH', /targets\/releases/),
  },
  {
    name: 'tampered delegation pinned by a re-signed snapshot: skipped with a warning (notary), never cached',
    repo: 'docker',
    cache: 'old',
    attack: async (r) =>
      repinned(r, 'new', 'tampered delegation, re-pinned', { 'targets/releases': tamper(cur(r, 'new', 'targets/releases')) }),
    read: ok({
      warning: /^Error getting targets\/releases: valid signatures did not meet threshold for targets\/releases$/,
      updates: true,
    }),
    first: ok({
      warning: /^Error getting targets\/releases: valid signatures did not meet threshold for targets\/releases$/,
      updates: true,
    }),
  },
  {
    name: 'tampered root announced by the snapshot',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const bad = tamper(cur(r, 'new', 'root'));
      const a = honest(r, 'new');
      serveAt(a, 'root.json', bad);
      serveAt(a, checksumPath('root', cur(r, 'new', 'root')), bad);
      return serveAt(a, `${versionOf(cur(r, 'new', 'root'), 'root')}.root.json`, bad);
    },
    // the snapshot announces root v2: the client refreshes its root and meets the tampered one
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: fails('THRESHOLD_NOT_MET', /root/),
  },
];

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);
});
