/**
 * Properties of the one-pass reader of canonical targets files (`readCanonicalTargets`,
 * taken by `parseMetadata` for targets roles): on any input, `parseMetadata` gives
 * exactly what the general path gives (`JSON.parse` of the whole file, the model built
 * from the parsed value, signatures checked over canonical JSON re-derived from it):
 * the same error (code and message), or the same model, signed bytes and verdict of
 * the signature check, with and without the literal shortcut.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalize } from '../../src/core/canonical-json.js';
import { isCanonicalBase64 } from '../../src/core/encoding.js';
import { readCanonicalTargets } from '../../src/core/tuf/targets-text.js';
import { fixturePath, listFiles, notaryCases, roleOfServedPath } from '../support/fixtures.js';
import { newKey } from '../support/repo-simulator.js';
import { bothOutcomes } from '../core/tuf/parse-outcome.js';
import { checkProperty, mutatedBytes } from './property-support.js';
import { sign } from 'node:crypto';

const key = newKey();
const keys = { keys: { [key.publicKey.id]: key.publicKey }, keyids: [key.publicKey.id], threshold: 1 };

/** An envelope around `signed` (a value or its text), with a signature over its canonical JSON when that exists. */
function envelope(signed: unknown, signedText: string): Buffer {
  let sigs = '[]';
  try {
    const sig = sign('sha256', Buffer.from(canonicalize(signed)), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    sigs = `[{"keyid":"${key.publicKey.id}","method":"ecdsa","sig":"${sig.toString('base64')}"}]`;
  } catch {
    // no canonical form (a value canonical JSON cannot hold): unsigned
  }
  return Buffer.from(`{"signed":${signedText},"signatures":${sigs}}`, 'utf8');
}

const name = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(/^[a-z][a-z0-9.-]{0,8}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', '0', '10', '9', '007', '"', '\\', 'é', '😀', '\uffff', '<a>') },
);
const digest = fc.oneof(
  { weight: 30, arbitrary: fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b).toString('base64')) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9+/=_-]{0,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('QR==', 'QUJ=', 'QQ', '=', '', 'A===', 'QQ==\u0000', 'QQ=\\"') },
);
const alg = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('sha256', 'sha512') }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const length = fc.oneof(
  { weight: 30, arbitrary: fc.nat() },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 64, 1e15 - 1, 1e15, 1.5, '5', null, true) },
);
const custom = fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
const entry = fc.oneof(
  { weight: 30, arbitrary: fc.record({ hashes: fc.dictionary(alg, digest, { maxKeys: 3 }), length }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { custom, hashes: fc.oneof(fc.dictionary(alg, digest, { maxKeys: 3 }), fc.jsonValue({ maxDepth: 1 })), length, zz: fc.boolean() },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const targetsMap = fc.dictionary(name, entry, { maxKeys: 6 });

/** A targets `signed` value, written as canonical JSON (when it has a canonical form) or as JSON.stringify writes it. */
const generatedFile = fc
  .record({
    targets: targetsMap,
    version: fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 1000 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, '2') },
    ),
    extra: fc.option(fc.jsonValue({ maxDepth: 1 }), { nil: undefined }),
    canonical: fc.boolean(),
  })
  .map(({ targets, version, extra, canonical }) => {
    const signed: Record<string, unknown> = {
      _type: 'Targets',
      delegations: { keys: {}, roles: [] },
      expires: '2030-01-01T00:00:00Z',
      targets,
      version,
    };
    if (extra !== undefined) signed['unknown'] = extra;
    let text: string;
    try {
      text = canonical ? canonicalize(signed) : JSON.stringify(signed);
    } catch {
      text = JSON.stringify(signed);
    }
    return envelope(signed, text);
  });

describe('property: the one-pass reader of targets files agrees with the general path', () => {
  it('generated targets files (odd names, digests, lengths, entries), as written and byte-mutated', async () => {
    let fast = 0;
    let parsed = 0;
    let verified = 0;
    const input = fc.oneof(
      { weight: 2, arbitrary: generatedFile },
      { weight: 1, arbitrary: generatedFile.chain((b) => mutatedBytes([b])) },
    );
    await checkProperty(
      'one-pass targets reader = general path (generated)',
      [input, fc.constantFrom('targets', 'targets/releases')],
      (bytes, role) => {
        const { fast: f, general } = bothOutcomes(bytes, role, keys);
        assert.deepEqual(f, general);
        if (readCanonicalTargets(bytes.toString('utf8'))) fast++;
        if ('model' in f) {
          parsed++;
          if (Array.isArray(f.model['verifyStrict'])) verified++;
        }
      },
      { numRuns: 1500 },
    );
    console.log(`  (${fast} read in one pass, ${parsed} parsed, ${verified} verified)`);
    assert.ok(fast > 50 && verified > 100, 'the generator reaches the one-pass reader and valid signatures');
  });

  it('byte mutations of real notary targets files', async () => {
    const files: Buffer[] = [];
    for (const c of notaryCases()) {
      const dir = fixturePath('notary-0.7', c, 'server');
      for (const p of listFiles(dir).filter((f) => f.endsWith('.json') && !f.startsWith('by-checksum/') && !f.startsWith('versions/'))) {
        if (roleOfServedPath(p).startsWith('targets')) files.push(readFileSync(join(dir, p)));
      }
    }
    assert.ok(files.length >= 10);
    await checkProperty(
      'one-pass targets reader = general path (mutated notary files)',
      [mutatedBytes(files)],
      (bytes) => {
        const { fast, general } = bothOutcomes(bytes, 'targets');
        assert.deepEqual(fast, general);
      },
      { numRuns: 800 },
    );
  });

  it('a digest is read in one pass exactly when it is canonical standard base64', async () => {
    const file = (d: string) =>
      `{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{"a":{"hashes":{"sha256":"${d}"},"length":1}},"version":1},"signatures":[]}`;
    const chars = fc.oneof(
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('')),
      fc.constantFrom('=', '-', '_', ' ', '\u0141', '\u0100', '\u2b41', '.'),
    );
    const candidate = fc.oneof(
      fc.array(chars, { maxLength: 96 }).map((a) => a.join('')),
      fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b).toString('base64')),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 70 }), fc.nat(), chars).map(([b, at, c]) => {
        const s = Buffer.from(b).toString('base64');
        const i = at % s.length;
        return s.slice(0, i) + c + s.slice(i + 1);
      }),
    );
    await checkProperty(
      'one-pass digest check = isCanonicalBase64',
      [candidate],
      (d) => {
        assert.equal(readCanonicalTargets(file(d)) !== undefined, isCanonicalBase64(d), JSON.stringify(d));
      },
      { numRuns: 3000 },
    );
  });
});
