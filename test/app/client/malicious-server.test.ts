/**
 * The client against a Notary server that lies. Each attack is served from
 * trust data recorded from an honest `dct server` (test/support/malicious-notary.ts).
 * For every attack:
 * - a client whose cache holds a good repository reads (`read()`) and opens a
 *   draft for a write (`openDraft()`): it fails with a stable code and a message
 *   naming the cause, and the cache folder is byte-for-byte as it was;
 * - a client with an empty cache (first contact) fails and caches nothing —
 *   except where first contact cannot know better (a consistent older or
 *   impostor repository is all a new client can see: trust on first use);
 * - nothing is ever written to the server.
 * Where notary's rules make a read succeed (a server that cannot be reached:
 * cached timestamp with a warning; a delegation with bad signatures: skipped
 * with a warning), the test says so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache, repositoryDir } from '../../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../src/adapters/notary-http/remote-repository.js';
import { CACHED_TIMESTAMP_WARNING } from '../../../src/app/client/update-repository.js';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { isDctError } from '../../../src/core/errors.js';
import { GoTime } from '../../../src/core/go-time.js';
import { Metadata } from '../../../src/core/tuf/metadata.js';
import { Timestamp } from '../../../src/core/tuf/timestamp.js';
import {
  CLIENT_PASSPHRASE,
  HTML_PAGE,
  MaliciousNotary,
  checksumPath,
  copyCache,
  forgeTimestamp,
  honest,
  impostor,
  padded,
  putFile,
  randomHex,
  recordRepositories,
  repinned,
  reply,
  resign,
  snapshotDir,
  strangerSigner,
  stripSignatures,
  tamper,
  versionOf,
  wrongKeySameId,
  type Attack,
  type Reply,
  type RecordedRepository,
  type Recording,
  type RepoKind,
  type StateName,
} from '../../support/malicious-notary.js';

const DAY = 24 * 3600 * 1000;
const MiB = 1024 * 1024;
/** short deadlines keep the hanging-server cases quick */
const TIMEOUT_MS = 400;

type Expect =
  | { code: string | readonly string[]; message: RegExp }
  | { ok: true; warning?: RegExp; offline?: boolean; /** the cache may take verified files */ updates?: boolean };

interface Case {
  name: string;
  repo: RepoKind;
  /** the good state the client cached earlier from the honest server */
  cache: StateName;
  attack: (repo: RecordedRepository, all: Recording) => Attack | Promise<Attack>;
  /** the client's clock, days from now */
  clockDays?: number;
  read: Expect;
  /** openDraft (a write): defaults to `read` when that fails, else a draft is opened */
  draft?: Expect;
  /** an empty cache */
  first: Expect;
}

const ok = (extra: Omit<Extract<Expect, { ok: true }>, 'ok'> = {}): Expect => ({ ok: true, ...extra });
const fails = (code: string | readonly string[], message: RegExp): Expect => ({ code, message });
const cur = (repo: RecordedRepository, state: StateName, role: string) => repo.states[state].current.get(role)!;

/** Replaces what a role's file name serves (current and/or checksum paths). */
function serveAt(attack: Attack, path: string, b: Buffer, extra: Parameters<typeof reply>[1] = {}): Attack {
  attack.files.set(path, reply(b, extra));
  return attack;
}

/** `attack` with `path` answered by `r`. */
function withReply(attack: Attack, path: string, r: Reply): Attack {
  attack.files.set(path, r);
  return attack;
}

/** The same attack with every file served as text/html. */
function asHtml(attack: Attack): Attack {
  for (const [path, r] of attack.files) if (r.kind === 'bytes') attack.files.set(path, { ...r, contentType: 'text/html; charset=utf-8' });
  return attack;
}

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

  // ------------------------------------------------------------- root rotation
  {
    name: 'a new root not signed by the trusted root keys (impostor repository, root v2)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => impostor(r.gun, 2),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: ok({ updates: true }), // trust on first use
  },
  {
    name: 'an impostor root chain several versions ahead',
    repo: 'docker',
    cache: 'old',
    attack: (r) => impostor(r.gun, 5),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: ok({ updates: true }),
  },
  {
    name: 'the repository of another GUN served for this one',
    repo: 'docker',
    cache: 'old',
    attack: (_r, all) => honest(all.notary, 'new', 'another GUN'),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: fails('CERTIFICATE_VALIDATION_FAILED', /registry\.example\.com\/malicious\/docker|certificate/),
  },
  {
    name: 'notary style: the repository of another GUN served for this one',
    repo: 'notary',
    cache: 'old',
    attack: (_r, all) => honest(all.docker, 'new', 'another GUN'),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: fails('CERTIFICATE_VALIDATION_FAILED', /example\.com\/malicious\/notary|certificate/),
  },

  // ------------------------------------------------------------- garbage
  {
    name: 'an HTML error page with status 200 for every file',
    repo: 'docker',
    cache: 'old',
    attack: () => ({ name: 'html', files: new Map(), all: reply(HTML_PAGE, { contentType: 'text/html' }) }),
    read: fails(['MALFORMED_JSON', 'INVALID_METADATA'], /(timestamp|root).*JSON/),
    first: fails(['MALFORMED_JSON', 'INVALID_METADATA'], /root.*JSON/),
  },
  {
    name: 'a truncated timestamp',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const t = cur(r, 'new', 'timestamp');
      return serveAt(honest(r, 'new'), 'timestamp.json', t.subarray(0, t.length >> 1));
    },
    read: fails(['MALFORMED_JSON', 'INVALID_METADATA'], /timestamp/),
    first: fails(['MALFORMED_JSON', 'INVALID_METADATA'], /timestamp/),
  },
  {
    name: 'the snapshot served as the timestamp (wrong _type)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => serveAt(honest(r, 'new'), 'timestamp.json', cur(r, 'new', 'snapshot')),
    read: fails('INVALID_METADATA', /expected type Timestamp/),
    first: fails('INVALID_METADATA', /expected type Timestamp/),
  },
  {
    name: 'deeply nested JSON under 1 MiB as the timestamp',
    repo: 'docker',
    cache: 'old',
    attack: (r) =>
      serveAt(honest(r, 'new'), 'timestamp.json', Buffer.from(`{"signed":${'['.repeat(400_000)}${']'.repeat(400_000)},"signatures":[]}`)),
    read: fails(['MALFORMED_JSON', 'INVALID_METADATA'], /timestamp/),
    first: fails(['MALFORMED_JSON', 'INVALID_METADATA'], /timestamp/),
  },

  // ------------------------------------------------------------- server errors
  {
    name: '500 on every request: cached timestamp with a warning; writes and first contact fail',
    repo: 'docker',
    cache: 'old',
    attack: () => ({ name: '500', files: new Map(), all: { kind: 'status', status: 500 } }),
    read: ok({ warning: new RegExp(`^${escapeRegExp(CACHED_TIMESTAMP_WARNING)}$`), offline: true }),
    draft: fails('SERVER_UNAVAILABLE', /unable to reach trust server at this time: 500/),
    first: fails('SERVER_UNAVAILABLE', /unable to reach trust server at this time: 500/),
  },
  {
    name: '500 with an error body that never ends, on every request',
    repo: 'docker',
    cache: 'old',
    attack: () => ({ name: 'endless 500', files: new Map(), all: { kind: 'endless', status: 500, prefix: Buffer.from('{"errors":[') } }),
    read: ok({ warning: new RegExp(`^${escapeRegExp(CACHED_TIMESTAMP_WARNING)}$`), offline: true }),
    draft: fails(
      ['SERVER_UNAVAILABLE', 'TIMEOUT'],
      /root\.json.*(unable to reach trust server at this time: 500|no complete response within)/,
    ),
    first: fails(
      ['SERVER_UNAVAILABLE', 'TIMEOUT'],
      /root\.json.*(unable to reach trust server at this time: 500|no complete response within)/,
    ),
  },
  {
    name: '500 on every request once the cached timestamp has expired',
    repo: 'docker',
    cache: 'old',
    clockDays: 15,
    attack: () => ({ name: '500', files: new Map(), all: { kind: 'status', status: 500 } }),
    read: fails(['EXPIRED', 'SERVER_UNAVAILABLE'], /timestamp expired at|unable to reach trust server at this time: 500/),
    draft: fails('SERVER_UNAVAILABLE', /unable to reach trust server at this time: 500/),
    first: fails('SERVER_UNAVAILABLE', /unable to reach trust server at this time: 500/),
  },
  {
    name: '500 for the targets download only',
    repo: 'docker',
    cache: 'old',
    attack: (r) => {
      const a = honest(r, 'new');
      a.files.set(checksumPath('targets', cur(r, 'new', 'targets')), { kind: 'status', status: 500 });
      return a;
    },
    read: fails('SERVER_UNAVAILABLE', /targets\.[0-9a-f]{64}\.json.*unable to reach trust server at this time: 500/),
    first: fails('SERVER_UNAVAILABLE', /targets\.[0-9a-f]{64}\.json.*unable to reach trust server at this time: 500/),
  },
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the client against a malicious Notary server', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-malicious-'));
  let recording: Recording;
  let evil: MaliciousNotary;
  let run = 0;

  before(async () => {
    recording = await recordRepositories(join(work, 'recorded'));
    evil = await MaliciousNotary.start();
  });
  after(async () => {
    await evil?.close();
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(c.name, async (t) => {
      const repo = recording[c.repo];
      evil.serve(await c.attack(repo, recording));
      const now = () => new Date(Date.now() + (c.clockDays ?? 0) * DAY);
      const n = run++;

      // 1. a client that cached a good repository earlier
      const readDir = copyCache(repo.caches[c.cache], join(work, 'runs', `${n}`, 'read'));
      await check(c.read, readDir, (t) => t.read(), 'read');

      // 2. the same, opening a draft for a write
      const draftDir = copyCache(repo.caches[c.cache], join(work, 'runs', `${n}`, 'draft'));
      const draftExpect = c.draft ?? ('ok' in c.read ? ok({ ...(c.read.updates ? { updates: true } : {}) }) : c.read);
      await check(
        draftExpect,
        draftDir,
        async (t) => {
          const draft = await t.openDraft();
          assert.ok(draft, 'a draft of the server repository');
          return { warnings: [], offline: false };
        },
        'openDraft',
      );

      // 3. first contact: nothing cached
      const firstDir = join(work, 'runs', `${n}`, 'first');
      await check(c.first, firstDir, (t) => t.read(), 'first contact');

      assert.deepEqual(evil.writes(), [], 'nothing is written to the server');

      async function check(
        expect: Expect,
        trustDir: string,
        act: (t: TrustRepository) => Promise<{ warnings: string[]; offline: boolean }>,
        what: string,
      ) {
        const cacheDir = join(repositoryDir(trustDir, repo.gun), 'metadata');
        const before = snapshotDir(cacheDir);
        const client = new NotaryClient({ baseUrl: evil.url, timeoutMs: TIMEOUT_MS, ...(evil.ca ? { ca: evil.ca } : {}) });
        const trust = new TrustRepository({
          gun: repo.gun,
          cache: new FileMetadataCache(trustDir, repo.gun),
          keyRing: new FileKeyRing(new FileKeyStore(trustDir), { get: async () => CLIENT_PASSPHRASE }),
          remote: new NotaryRemoteRepository(client, repo.gun, evil.url),
          now,
        });
        let result: { warnings: string[]; offline: boolean } | undefined;
        let error: unknown;
        try {
          result = await act(trust);
        } catch (err) {
          error = err;
        } finally {
          client.close();
        }
        const afterFiles = snapshotDir(cacheDir);
        t.diagnostic(`${what}: ${error === undefined ? `ok ${JSON.stringify(result!.warnings)}` : describeError(error)}`);
        if ('ok' in expect) {
          assert.equal(error, undefined, `${what}: expected success, got ${describeError(error)}`);
          const warnings = result!.warnings;
          if (expect.warning)
            assert.ok(
              warnings.some((w) => expect.warning!.test(w)),
              `${what}: warnings ${JSON.stringify(warnings)} lack ${expect.warning}`,
            );
          else assert.deepEqual(warnings, [], `${what}: no warnings`);
          assert.equal(result!.offline, expect.offline ?? false, `${what}: offline`);
          if (!expect.updates) assert.deepEqual(afterFiles, before, `${what}: the cache is unchanged`);
          return;
        }
        assert.ok(isDctError(error), `${what}: expected a DctError ${String(expect.code)}, got ${describeError(error)}`);
        const codes = typeof expect.code === 'string' ? [expect.code] : expect.code;
        assert.ok(codes.includes(error.code), `${what}: expected ${codes.join('|')}, got ${describeError(error)}`);
        assert.match(error.message, expect.message, `${what}: the message names the cause`);
        assert.doesNotMatch(error.message, /undefined|\[object |NaN/, `${what}: a readable message`);
        assert.deepEqual(afterFiles, before, `${what}: the cache is byte-for-byte unchanged`);
      }
    });
  }

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

  describe('over https', () => {
    let tlsEvil: MaliciousNotary;
    let n = 0;
    before(async () => {
      tlsEvil = await MaliciousNotary.start({ tlsDir: join(work, 'tls') });
    });
    after(async () => {
      await tlsEvil?.close();
    });

    const attempt = async (attack: Attack, cache: StateName, timeoutMs = TIMEOUT_MS) => {
      const repo = recording.docker;
      tlsEvil.serve(attack);
      const dir = copyCache(repo.caches[cache], join(work, 'runs-tls', `${n++}`));
      const cacheDir = join(repositoryDir(dir, repo.gun), 'metadata');
      const before = snapshotDir(cacheDir);
      const client = new NotaryClient({ baseUrl: tlsEvil.url, timeoutMs, ca: tlsEvil.ca! });
      try {
        const t = new TrustRepository({
          gun: repo.gun,
          cache: new FileMetadataCache(dir, repo.gun),
          keyRing: new FileKeyRing(new FileKeyStore(dir), { get: async () => CLIENT_PASSPHRASE }),
          remote: new NotaryRemoteRepository(client, repo.gun, tlsEvil.url),
        });
        const result = await t.read().then(
          (r) => ({ ok: r }),
          (err: unknown) => ({ err }),
        );
        return { result, unchanged: JSON.stringify(snapshotDir(cacheDir)) === JSON.stringify(before) };
      } finally {
        client.close();
      }
    };

    it('honest data over TLS is read (control)', async () => {
      const { result } = await attempt(honest(recording.docker, 'new'), 'old');
      assert.ok('ok' in result, describeError('err' in result ? result.err : undefined));
    });

    it('tampered, rolled back and endless data over TLS fail and leave the cache as it was', async () => {
      const r = recording.docker;
      const attacks: Array<[Attack, StateName, string]> = [
        [putFile(honest(r, 'new', 'tampered timestamp'), 'timestamp', tamper(cur(r, 'new', 'timestamp'))), 'old', 'THRESHOLD_NOT_MET'],
        [honest(r, 'old', 'rolled back'), 'new', 'VERSION_ROLLBACK'],
        [withReply(honest(r, 'new', 'endless timestamp'), 'timestamp.json', { kind: 'endless' }), 'old', 'RESPONSE_TOO_LARGE'],
        [
          withReply(honest(r, 'new', 'silent snapshot'), checksumPath('snapshot', cur(r, 'new', 'snapshot')), { kind: 'hang' }),
          'old',
          'TIMEOUT',
        ],
      ];
      for (const [attack, cache, code] of attacks) {
        const { result, unchanged } = await attempt(attack, cache);
        assert.ok(
          'err' in result && isDctError(result.err, code),
          `${attack.name}: expected ${code}, got ${describeError('err' in result ? result.err : 'success')}`,
        );
        assert.ok(unchanged, `${attack.name}: cache unchanged`);
      }
    });
  });
});

function readTamperedReleases(repo: RecordedRepository): Buffer {
  return tamper(cur(repo, 'new', 'targets/releases'));
}

function describeError(err: unknown): string {
  if (err === undefined) return 'no error';
  if (isDctError(err)) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err === 'string' ? err : inspect(err);
}
