/**
 * Properties of canonical JSON and TUF metadata parsing (outside bytes: every file a
 * notary server or a client uploads).
 * - canonicalize∘parse is a fixed point: canonical text parses back to the same value
 *   and canonicalises to the same text;
 * - the canonical-text fast path (canonicalValueEnd / canonicalSignedText) never throws
 *   and, when it answers, answers what canonicalize would;
 * - parseJson / parseMetadata refuse arbitrary bytes and mutated real notary files
 *   only with a DctError; a mutated root that still parses is verified the same way with
 *   and without the literal-text shortcut.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalize, parseJson } from '../../src/core/canonical-json.js';
import { canonicalSignedText, canonicalValueEnd } from '../../src/core/canonical-text.js';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
import { verifyThreshold } from '../../src/core/tuf/verify.js';
import { fixturePath, listFiles, notaryCases, roleOfServedPath } from '../support/fixtures.js';
import { checkProperty, mutatedBytes, mutatedJson, typedOrValue } from './property-support.js';

/**
 * JSON values canonical JSON can hold: integers only (no floats), strings of any code
 * points but the C0 controls, which canonical JSON writes raw, as notary's Go encoder
 * does (vector control-newline-tab), so that its text is not JSON.parse-able.
 */
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).filter((s) => !/[\u0000-\u001f]/.test(s));
const canonicalValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    text(30),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(text(10), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Real metadata files as notary-server 0.7 served them, with the role each stands for. */
const served: { role: string; bytes: Buffer }[] = notaryCases().flatMap((c) => {
  const dir = fixturePath('notary-0.7', c, 'server');
  return listFiles(dir)
    .filter((p) => p.endsWith('.json') && !p.startsWith('by-checksum/') && !p.startsWith('versions/'))
    .map((p) => ({ role: roleOfServedPath(p), bytes: readFileSync(join(dir, p)) }));
});
const roots = served.filter((f) => f.role === 'root');

describe('property: canonical JSON', () => {
  it('canonical text parses back to a value with the same canonical text', async () => {
    await checkProperty(
      'canonicalize∘parse fixed point',
      [canonicalValue],
      (v) => {
        const canonical = canonicalize(v);
        assert.equal(canonicalize(parseJson(Buffer.from(canonical, 'utf8'))), canonical);
      },
      { numRuns: 2000 },
    );
  });

  it('the canonical-text fast path agrees with canonicalize whenever it answers', async () => {
    const envelopes = fc
      .tuple(canonicalValue, fc.constantFrom('', ' ', '\n'), fc.boolean())
      .map(([v, ws, compact]) =>
        compact ? `{"signed":${canonicalize(v)},"signatures":[]}${ws}` : `{"signed":${JSON.stringify(v, null, 1)},"signatures":[]}${ws}`,
      );
    await checkProperty(
      'canonicalSignedText agrees with canonicalize',
      [envelopes],
      (text) => {
        const fast = canonicalSignedText(text);
        if (fast !== undefined) assert.equal(fast, canonicalize((JSON.parse(text) as { signed: unknown }).signed));
      },
      { numRuns: 1500 },
    );
  });

  it('canonicalValueEnd never throws, on any text and start', async () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      canonicalValue.map((v) => canonicalize(v)),
    );
    await checkProperty(
      'canonicalValueEnd total',
      [texts, fc.nat({ max: 210 })],
      (text, start) => {
        const end = canonicalValueEnd(text, start);
        assert.ok(end === -1 || (end > start && end <= text.length), `end ${end} for start ${start}`);
        if (end > 0 && start === 0 && end === text.length) {
          // a whole canonical value: canonicalize(JSON.parse) gives the text back
          assert.equal(canonicalize(JSON.parse(text)), text);
        }
      },
      { numRuns: 3000 },
    );
  });

  it('parseJson refuses arbitrary bytes only with MALFORMED_JSON', async () => {
    await checkProperty(
      'parseJson arbitrary bytes',
      [fc.uint8Array({ maxLength: 300 })],
      (bytes) => {
        typedOrValue(() => parseJson(bytes));
      },
      { numRuns: 2000 },
    );
  });
});

describe('property: TUF metadata parsing', () => {
  it(`has real notary files to mutate (${served.length})`, () => {
    assert.ok(served.length >= 20 && roots.length >= 5);
  });

  it('arbitrary bytes and JSON are refused with a DctError, for every role', async () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify({ signed: v, signatures: [] }))),
    );
    const role = fc.constantFrom('root', 'targets', 'snapshot', 'timestamp', 'targets/releases', 'bogus');
    await checkProperty(
      'parseMetadata arbitrary input',
      [input, role],
      (bytes, r) => {
        typedOrValue(() => parseMetadata(bytes, r));
      },
      { numRuns: 1500 },
    );
  });

  it('byte mutations of real notary files are refused with a DctError or parsed, never crash', async () => {
    const bytes = mutatedBytes(served.map((f) => f.bytes));
    const role = fc.constantFrom(...new Set(served.map((f) => f.role)));
    await checkProperty(
      'parseMetadata mutated notary bytes',
      [bytes, role],
      (b, r) => {
        const m = typedOrValue(() => parseMetadata(b, r));
        if (m) typedOrValue(() => m.signedBytes());
      },
      { numRuns: 1500 },
    );
  });

  it('structural mutations of real roots: refused with a DctError, or verified alike with and without the literal shortcut', async () => {
    const docs = roots.map((r) => JSON.parse(r.bytes.toString('utf8')) as unknown);
    const bytes = fc.oneof(
      mutatedJson(docs).map((v) => Buffer.from(JSON.stringify(v))),
      mutatedBytes(roots.map((r) => r.bytes)),
    );
    let accepted = 0;
    await checkProperty(
      'root mutations verify consistently',
      [bytes],
      (b) => {
        const m = typedOrValue(() => parseMetadata(b, 'root'));
        if (!m) return;
        const root = m.signed;
        const role = root.roles['root'];
        if (!role) return;
        const keys = { keys: root.keys, keyids: role.keyids, threshold: role.threshold };
        const strict = typedOrValue(() => verifyThreshold(m, keys, 'root'));
        const literal = typedOrValue(() => verifyThreshold(m, keys, 'root', { literal: true }));
        assert.equal(strict !== undefined, literal !== undefined, 'the literal shortcut changed the verdict');
        if (strict) accepted++;
      },
      { numRuns: 800 },
    );
    console.log(`  (${accepted} mutated roots still verified: mutations outside the signed part)`);
  });
});
