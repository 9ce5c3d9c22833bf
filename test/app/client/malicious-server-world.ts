/**
 * The world of the client's malicious-server tests
 * (test/app/client/malicious-server-*.test.ts): a `Case` is one attack served
 * by the lying server of test/support/malicious-notary.ts with what a client
 * with a good cache (`read`, `openDraft`) and one with an empty cache (first
 * contact) must do; `attackTests` turns cases into tests that check it — a
 * stable code with a message naming the cause and a byte-for-byte unchanged
 * cache, or success (with the warning notary gives) where notary's rules make
 * a read succeed — and that nothing is written to the server.
 * `useMaliciousNotary` records the honest repositories and starts the server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { inspect } from 'node:util';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache, repositoryDir } from '../../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../src/adapters/notary-http/remote-repository.js';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { isDctError } from '../../../src/core/errors.js';
import { reply } from '../../support/malicious-attacks.js';
import { MaliciousNotary, type Attack, type Reply } from '../../support/malicious-notary.js';
import {
  CLIENT_PASSPHRASE,
  copyCache,
  recordRepositories,
  snapshotDir,
  type RecordedRepository,
  type Recording,
  type RepoKind,
  type StateName,
} from '../../support/malicious-recording.js';

export const DAY = 24 * 3600 * 1000;
export const MiB = 1024 * 1024;
/** short deadlines keep the hanging-server cases quick */
export const TIMEOUT_MS = 400;

export type Expect =
  | { code: string | readonly string[]; message: RegExp }
  | { ok: true; warning?: RegExp; offline?: boolean; /** the cache may take verified files */ updates?: boolean };

export interface Case {
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

export const ok = (extra: Omit<Extract<Expect, { ok: true }>, 'ok'> = {}): Expect => ({ ok: true, ...extra });
export const fails = (code: string | readonly string[], message: RegExp): Expect => ({ code, message });
export const cur = (repo: RecordedRepository, state: StateName, role: string) => repo.states[state].current.get(role)!;

/** Replaces what a role's file name serves (current and/or checksum paths). */
export function serveAt(attack: Attack, path: string, b: Buffer, extra: Parameters<typeof reply>[1] = {}): Attack {
  attack.files.set(path, reply(b, extra));
  return attack;
}

/** `attack` with `path` answered by `r`. */
export function withReply(attack: Attack, path: string, r: Reply): Attack {
  attack.files.set(path, r);
  return attack;
}

/** The same attack with every file served as text/html. */
export function asHtml(attack: Attack): Attack {
  for (const [path, r] of attack.files) if (r.kind === 'bytes') attack.files.set(path, { ...r, contentType: 'text/html; charset=utf-8' });
  return attack;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function describeError(err: unknown): string {
  if (err === undefined) return 'no error';
  if (isDctError(err)) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err === 'string' ? err : inspect(err);
}

// ---------------------------------------------------------------------------
// the recorded repositories and the lying server each file's suite runs against (set in its `before`)

export let work: string;
export let recording: Recording;
export let evil: MaliciousNotary;
let run = 0;

/** Called in a suite: records the honest repositories and starts the lying server before it; stops and removes them after it. */
export function useMaliciousNotary(): void {
  work = mkdtempSync(join(tmpdir(), 'dct-malicious-'));

  before(async () => {
    recording = await recordRepositories(join(work, 'recorded'));
    evil = await MaliciousNotary.start();
  });
  after(async () => {
    await evil?.close();
    rmSync(work, { recursive: true, force: true });
  });
}

/**
 * One test per case, named after it: a client with a good cache reads and opens
 * a draft, a client with an empty cache reads, each against the case's attack;
 * each outcome is checked against the case and nothing is written to the server.
 */
export function attackTests(cases: Case[]): void {
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
}
