/**
 * The client against a Notary server that answers garbage or errors: an HTML
 * page for every file, a truncated timestamp, the snapshot as the timestamp,
 * deeply nested JSON, and 500s (for every request, with an endless body, once
 * the cached timestamp expired, for the targets download only). Each fails with
 * a stable code naming the cause and the cache unchanged; where notary falls
 * back to the cached timestamp (the server cannot be reached), the read
 * succeeds offline with notary's warning.
 */
import { describe } from 'node:test';
import { CACHED_TIMESTAMP_WARNING } from '../../../src/app/client/update-repository.js';
import { HTML_PAGE, checksumPath, honest, reply } from '../../support/malicious-attacks.js';
import { attackTests, type Case, cur, escapeRegExp, fails, ok, serveAt, useMaliciousNotary } from './malicious-server-world.js';

const cases: Case[] = [
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

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);
});
