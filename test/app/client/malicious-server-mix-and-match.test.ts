/**
 * The client against a Notary server that mixes and matches: a new timestamp
 * with the old snapshot, a new snapshot with the old targets (served at their
 * checksum paths), a snapshot that does not match the hash the timestamp pins.
 * Each fails with a stable code naming the mismatch and the cache unchanged.
 */
import { describe } from 'node:test';
import { GoTime } from '../../../src/core/go-time.js';
import { Metadata } from '../../../src/core/tuf/metadata.js';
import { Timestamp } from '../../../src/core/tuf/timestamp.js';
import { checksumPath, honest, putFile, randomHex, versionOf } from '../../support/malicious-attacks.js';
import { attackTests, type Case, cur, DAY, fails, serveAt, useMaliciousNotary } from './malicious-server-world.js';

const cases: Case[] = [
  // ------------------------------------------------------------- mix and match
  {
    name: 'mix-and-match: the new timestamp with the old snapshot served at its checksum',
    repo: 'docker',
    cache: 'old',
    attack: (r) => serveAt(honest(r, 'new'), checksumPath('snapshot', cur(r, 'new', 'snapshot')), cur(r, 'old', 'snapshot')),
    // the old snapshot may be a byte longer than the pin (version digits, times): then the declared length is refused first
    read: fails(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'RESPONSE_TOO_LARGE'], /snapshot/),
    first: fails(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'RESPONSE_TOO_LARGE'], /snapshot/),
  },
  {
    name: 'mix-and-match: the new snapshot with the old targets served at its checksum',
    repo: 'docker',
    cache: 'old',
    attack: (r) => serveAt(honest(r, 'new'), checksumPath('targets', cur(r, 'new', 'targets')), cur(r, 'old', 'targets')),
    read: fails(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'RESPONSE_TOO_LARGE'], /targets/),
    first: fails(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'RESPONSE_TOO_LARGE'], /targets/),
  },
  {
    name: 'a snapshot that does not match the hash the timestamp pins',
    repo: 'docker',
    cache: 'old',
    attack: async (r) => {
      const s = cur(r, 'new', 'snapshot');
      const hash = randomHex();
      const t = new Timestamp(versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1, GoTime.fromEpochMs(Date.now() + DAY), {
        snapshot: { length: s.length, hashes: { sha256: Buffer.from(hash, 'hex') } },
      });
      const ts = (await new Metadata(t, []).sign([r.keys.timestamp])).serialize();
      return serveAt(putFile(honest(r, 'new'), 'timestamp', ts), `snapshot.${hash}.json`, s);
    },
    read: fails('HASH_MISMATCH', /snapshot/),
    first: fails('HASH_MISMATCH', /snapshot/),
  },
  {
    name: 'notary style: the new timestamp with the old snapshot',
    repo: 'notary',
    cache: 'old',
    attack: (r) => serveAt(honest(r, 'new'), checksumPath('snapshot', cur(r, 'new', 'snapshot')), cur(r, 'old', 'snapshot')),
    // the old snapshot may be a byte longer than the pin (version digits, times): then the declared length is refused first
    read: fails(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'RESPONSE_TOO_LARGE'], /snapshot/),
    first: fails(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'RESPONSE_TOO_LARGE'], /snapshot/),
  },
];

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);
});
