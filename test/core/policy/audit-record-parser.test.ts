/**
 * The audit record parser: a good record (made by auditRecordOf from a decision) passes unchanged;
 * each bad input in the table fails with AUDIT_RECORD_INVALID naming its field; arbitrary JSON
 * never fails any other way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isDctError } from '../../../src/core/errors.js';
import { auditRecordOf, type AuditRecord } from '../../../src/core/policy/audit-record.js';
import { AUDIT_LIMITS, parseAuditFilters, parseAuditPost, parseAuditRecord } from '../../../src/core/policy/audit-record-parser.js';
import type { ImageDecision } from '../../../src/core/policy/decision.js';

const decision = {
  image: 'registry.example.com/team/app:v1',
  digest: `sha256:${'a'.repeat(64)}`,
  rule: 'prod',
  verdict: 'deny',
  mode: 'enforce',
  decidedAt: '2026-12-07T11:52:12.000Z',
  reasons: ['no trusted signature'],
  reports: [
    {
      format: 'cosign',
      verdict: 'failed',
      subject: `sha256:${'a'.repeat(64)}`,
      code: 'SIGNATURE_INVALID',
      signer: { keyId: 'abc123' },
    },
  ],
} as unknown as ImageDecision;

export const GOOD: AuditRecord = auditRecordOf(decision, 'admission', { user: 'system:serviceaccount:ci', host: 'node-1' }, { uid: 'u1' });

const withField = (path: string, value: unknown): unknown => {
  const copy = JSON.parse(JSON.stringify(GOOD)) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
};

const refused = (fn: () => unknown, field: string) =>
  assert.throws(fn, (err: unknown) => isDctError(err, 'AUDIT_RECORD_INVALID') && err.message.startsWith(`${field}:`), field);

describe('parseAuditRecord', () => {
  it('passes a record made by auditRecordOf unchanged (and one with id and source)', () => {
    assert.deepEqual(parseAuditRecord(JSON.parse(JSON.stringify(GOOD))), GOOD);
    const stored = { ...GOOD, id: 7, source: 'user:alice' };
    assert.deepEqual(parseAuditRecord(stored), stored);
  });

  const table: Array<[string, unknown, string]> = [
    ['at', undefined, 'record.at'],
    ['at', 'yesterday', 'record.at'],
    ['at', '2026-13-45T99:00:00Z', 'record.at'],
    ['at', 1733572332, 'record.at'],
    ['point', 'kubelet', 'record.point'],
    ['verdict', 'maybe', 'record.verdict'],
    ['verdict', undefined, 'record.verdict'],
    ['mode', 'strict', 'record.mode'],
    ['admitted', 'yes', 'record.admitted'],
    ['image', '', 'record.image'],
    ['image', 'x'.repeat(AUDIT_LIMITS.image + 1), 'record.image'],
    ['image', 'app\u0000:v1', 'record.image'],
    ['image', 'app\n:v1', 'record.image'],
    ['digest', 'not a digest', 'record.digest'],
    ['rule', 42, 'record.rule'],
    ['actor', 'alice', 'record.actor'],
    ['actor.user', 'x'.repeat(AUDIT_LIMITS.name + 1), 'record.actor.user'],
    ['actor.role', 'admin', 'record.actor.role'],
    ['reasons', 'one', 'record.reasons'],
    ['reasons', Array.from({ length: AUDIT_LIMITS.reasons + 1 }, () => 'r'), 'record.reasons'],
    ['reasons', ['ok', 3], 'record.reasons[1]'],
    ['signatures', {}, 'record.signatures'],
    ['context', [], 'record.context'],
    ['context', { uid: 5 }, 'record.context.uid'],
    ['context', Object.fromEntries(Array.from({ length: AUDIT_LIMITS.contextEntries + 1 }, (_, i) => [`k${i}`, 'v'])), 'record.context'],
    ['context', { ['k'.repeat(AUDIT_LIMITS.contextKey + 1)]: 'v' }, `record.context.${'k'.repeat(64)}`],
    ['id', -1, 'record.id'],
    ['id', 1.5, 'record.id'],
    ['source', '', 'record.source'],
    ['extra', true, 'record.extra'],
  ];
  for (const [path, value, field] of table) {
    it(`refuses ${path} = ${JSON.stringify(value)?.slice(0, 40)} naming ${field}`, () => {
      refused(() => parseAuditRecord(withField(path, value)), field);
    });
  }

  it('refuses bad signatures naming the entry and its field', () => {
    const sig = GOOD.signatures[0];
    refused(() => parseAuditRecord({ ...GOOD, signatures: [sig, { ...sig, format: 'pgp' }] }), 'record.signatures[1].format');
    refused(() => parseAuditRecord({ ...GOOD, signatures: [{ ...sig, verdict: 'ok' }] }), 'record.signatures[0].verdict');
    refused(() => parseAuditRecord({ ...GOOD, signatures: [{ ...sig, key: 'k' }] }), 'record.signatures[0].key');
    refused(() => parseAuditRecord({ ...GOOD, signatures: Array.from({ length: 65 }, () => sig) }), 'record.signatures');
  });

  it('checks fields in the order of the record: the first bad one is named', () => {
    refused(() => parseAuditRecord({ at: 'now' }), 'record.at');
    refused(() => parseAuditRecord({ at: GOOD.at, point: 'verify' }), 'record.actor');
  });

  it('refuses non-objects', () => {
    for (const v of [null, 1, 'x', [], true]) refused(() => parseAuditRecord(v), 'record');
  });
});

describe('parseAuditPost', () => {
  it('names the record of a body that fails', () => {
    refused(() => parseAuditPost({ records: [GOOD, GOOD, GOOD, { ...GOOD, verdict: 'perhaps' }] }), 'records[3].verdict');
    refused(() => parseAuditPost({ records: [] }), 'records');
    refused(() => parseAuditPost({ records: Array.from({ length: AUDIT_LIMITS.records + 1 }, () => GOOD) }), 'records');
    refused(() => parseAuditPost({ records: [GOOD], source: 'me' }), 'body.source');
    refused(() => parseAuditPost([GOOD]), 'body');
    assert.equal(parseAuditPost({ records: [GOOD, GOOD] }).length, 2);
  });
});

describe('parseAuditFilters', () => {
  it('takes the filters and refuses bad ones', () => {
    const q = (s: string) => new URLSearchParams(s);
    assert.deepEqual(
      parseAuditFilters((n) => q('image=a%3Av1&verdict=deny&point=registry').get(n)),
      { image: 'a:v1', verdict: 'deny', point: 'registry' },
    );
    assert.deepEqual(
      parseAuditFilters((n) => q('image=&verdict=').get(n)),
      {},
    );
    refused(() => parseAuditFilters((n) => q('verdict=nope').get(n)), 'verdict');
    refused(() => parseAuditFilters((n) => q('point=x').get(n)), 'point');
  });
});

describe('parseAuditRecord on arbitrary input', () => {
  it('either parses into a record that parses again the same, or fails with AUDIT_RECORD_INVALID', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...Object.keys(GOOD), 'actor.user', 'actor.extra', 'signatures', 'context.k', 'extra'),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([path, value]) => withField(path, value));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), mutated), (input) => {
        try {
          const record = parseAuditRecord(input);
          assert.deepEqual(parseAuditRecord(JSON.parse(JSON.stringify(record))), record);
        } catch (err) {
          assert.ok(isDctError(err, 'AUDIT_RECORD_INVALID'), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
