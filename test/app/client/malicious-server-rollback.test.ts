/**
 * The client against a Notary server that rolls back or freezes: the whole
 * repository or one role (under newer parents the server re-signed) older than
 * the client has cached, and a timestamp served past its expiry or already
 * expired (freeze). A cached client fails with a stable code and its cache
 * unchanged; a new client cannot know better than a consistent older repository
 * (trust on first use), as the cases say.
 */
import { describe } from 'node:test';
import { forgeTimestamp, honest, putFile, repinned, tamper, versionOf } from '../../support/malicious-attacks.js';
import { attackTests, type Case, cur, fails, ok, serveAt, useMaliciousNotary } from './malicious-server-world.js';

const cases: Case[] = [
  // ------------------------------------------------------------- rollback
  {
    name: 'the whole repository rolled back to an older valid state',
    repo: 'docker',
    cache: 'new',
    attack: (r) => honest(r, 'old', 'rolled back'),
    // the timestamp is refused, then the root refresh meets the old root: either rollback is named
    read: fails('VERSION_ROLLBACK', /(timestamp|root) version \d+ is lower than current version \d+/),
    first: ok({ updates: true }), // a new client cannot tell an older consistent state
  },
  {
    name: 'snapshot rolled back under a newer timestamp (server timestamp key)',
    repo: 'docker',
    cache: 'new',
    attack: async (r) => {
      const old = cur(r, 'old', 'snapshot');
      return putFile(
        honest(r, 'new'),
        'timestamp',
        await forgeTimestamp(old, versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1, r.keys.timestamp),
      );
    },
    read: fails('VERSION_ROLLBACK', /snapshot version \d+ is lower than current version \d+/),
    // the old snapshot pins the old root: the root refresh fetches that one by checksum (as notary), an older root
    first: fails('VERSION_ROLLBACK', /root version \d+ is lower than current version \d+/),
  },
  {
    name: 'targets rolled back under a newer snapshot and timestamp (server keys)',
    repo: 'docker',
    cache: 'new',
    attack: (r) => repinned(r, 'new', 'targets rolled back', { targets: cur(r, 'old', 'targets') }),
    read: fails('VERSION_ROLLBACK', /targets version \d+ is lower than current version \d+/),
    first: ok({ updates: true }),
  },
  {
    name: 'a delegation rolled back under a newer snapshot and timestamp (server keys)',
    repo: 'docker',
    cache: 'new',
    attack: (r) => repinned(r, 'new', 'delegation rolled back', { 'targets/releases': cur(r, 'old', 'targets/releases') }),
    read: fails('VERSION_ROLLBACK', /targets\/releases version \d+ is lower than current version \d+/),
    first: ok({ updates: true }),
  },
  {
    name: 'root rolled back (served when the client refreshes its root)',
    repo: 'docker',
    cache: 'new',
    attack: (r) => {
      const a = putFile(honest(r, 'new'), 'timestamp', tamper(cur(r, 'new', 'timestamp'))); // makes the client refresh its root
      return serveAt(a, 'root.json', cur(r, 'old', 'root'));
    },
    read: fails('VERSION_ROLLBACK', /root version 1 is lower than current version 2/),
    first: fails('THRESHOLD_NOT_MET', /timestamp/),
  },
  {
    name: 'notary style: the whole repository rolled back',
    repo: 'notary',
    cache: 'new',
    attack: (r) => honest(r, 'old', 'rolled back'),
    // the timestamp is refused, then the root refresh meets the old root: either rollback is named
    read: fails('VERSION_ROLLBACK', /(timestamp|root) version \d+ is lower than current version \d+/),
    first: ok({ updates: true }),
  },
  {
    name: 'notary style: targets rolled back, snapshot re-signed with a stolen snapshot key',
    repo: 'notary',
    cache: 'new',
    attack: (r) => repinned(r, 'new', 'targets rolled back', { targets: cur(r, 'old', 'targets') }),
    read: fails('VERSION_ROLLBACK', /targets version \d+ is lower than current version \d+/),
    first: ok({ updates: true }),
  },

  // ------------------------------------------------------------- freeze
  {
    name: 'frozen: the server keeps serving the old timestamp after it expired',
    repo: 'docker',
    cache: 'old',
    clockDays: 15,
    attack: (r) => honest(r, 'old', 'frozen'),
    read: fails('EXPIRED', /timestamp expired at/),
    first: fails('EXPIRED', /timestamp expired at/),
  },
  {
    name: 'a newer timestamp, validly signed but already expired',
    repo: 'docker',
    cache: 'old',
    attack: async (r) =>
      putFile(
        honest(r, 'new'),
        'timestamp',
        await forgeTimestamp(
          cur(r, 'new', 'snapshot'),
          versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1,
          r.keys.timestamp,
          new Date(Date.now() - 3600_000),
        ),
      ),
    read: fails('EXPIRED', /timestamp expired at/),
    first: fails('EXPIRED', /timestamp expired at/),
  },
  {
    name: 'notary style: frozen timestamp',
    repo: 'notary',
    cache: 'old',
    clockDays: 15,
    attack: (r) => honest(r, 'old', 'frozen'),
    read: fails('EXPIRED', /timestamp expired at/),
    first: fails('EXPIRED', /timestamp expired at/),
  },
];

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);
});
