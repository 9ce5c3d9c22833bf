/**
 * Audit records read from outside (a body posted to the server's audit API, a line of a JSON
 * lines feed) are checked field by field before anything keeps them: every field typed and
 * bounded (string lengths, list sizes, ISO 8601 times, enforcement points, verdicts), unknown
 * fields refused. A failure is AUDIT_RECORD_INVALID naming the field (`records[3].verdict: …`).
 *
 * `id` and `source` are accepted (a file line holds them) but the server's front end drops them:
 * the store assigns ids, and the source is who the server authenticated, never what a client said.
 */
import { DctError } from '../errors.js';
import type { SignatureFormat, SignatureVerdict } from '../signatures/signature-report.js';
import { ENFORCEMENT_POINTS, type AuditRecord, type AuditSignature, type EnforcementPoint } from './audit-record.js';
import type { PolicyMode } from './decision.js';

/** The bounds a record must keep. */
export const AUDIT_LIMITS = {
  /** image references: name (255) + tag (128) + digest, with room */
  image: 1024,
  digest: 200,
  rule: 256,
  /** actor fields, `source`, signature subjects and signers, codes */
  name: 512,
  reasons: 64,
  reason: 2048,
  signatures: 64,
  contextEntries: 32,
  contextKey: 64,
  contextValue: 1024,
  /** a whole posted body: at most this many records */
  records: 1000,
} as const;

const MODES: readonly PolicyMode[] = ['enforce', 'warn', 'audit'];
const VERDICTS = ['allow', 'deny'] as const;
const FORMATS: readonly SignatureFormat[] = ['dct', 'cosign', 'notation'];
const SIGNATURE_VERDICTS: readonly SignatureVerdict[] = ['verified', 'failed', 'skipped'];
const RECORD_FIELDS = new Set([
  'id',
  'at',
  'point',
  'actor',
  'image',
  'digest',
  'rule',
  'verdict',
  'mode',
  'admitted',
  'reasons',
  'signatures',
  'context',
  'source',
]);
const ACTOR_FIELDS = new Set(['user', 'address', 'host']);
const SIGNATURE_FIELDS = new Set(['format', 'verdict', 'subject', 'signer', 'code']);
/** 2026-12-07T11:52:12Z, with optional fractions and an offset instead of Z */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function invalid(where: string, why: string): DctError {
  return new DctError('AUDIT_RECORD_INVALID', `${where}: ${why}`);
}

function object(value: unknown, where: string, fields: ReadonlySet<string> | undefined): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, 'must be an object');
  const o = value as Record<string, unknown>;
  if (fields) for (const k of Object.keys(o)) if (!fields.has(k)) throw invalid(`${where}.${k.slice(0, 64)}`, 'unknown field');
  return o;
}

/** A string of 1..max characters; no NUL (no database keeps one), no control characters unless `text`. */
function str(value: unknown, where: string, max: number, text = false): string {
  if (typeof value !== 'string') throw invalid(where, 'must be a string');
  if (value === '') throw invalid(where, 'must not be empty');
  if (value.length > max) throw invalid(where, `longer than ${max} characters`);
  if (text ? value.includes('\u0000') : CONTROL.test(value)) throw invalid(where, 'holds control characters');
  return value;
}

function optional<T>(o: Record<string, unknown>, key: string, read: (v: unknown) => T): { [k: string]: T } {
  return o[key] === undefined ? {} : { [key]: read(o[key]) };
}

function oneOf<T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(where, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function list(value: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalid(where, 'must be a list');
  if (value.length > max) throw invalid(where, `more than ${max} entries`);
  return value;
}

function isoTime(value: unknown, where: string): string {
  const s = str(value, where, 40);
  if (!ISO_TIME.test(s) || Number.isNaN(Date.parse(s))) throw invalid(where, 'must be an ISO 8601 time (2026-12-07T11:52:12.000Z)');
  return s;
}

function signature(value: unknown, where: string): AuditSignature {
  const o = object(value, where, SIGNATURE_FIELDS);
  return {
    format: oneOf(o['format'], `${where}.format`, FORMATS),
    verdict: oneOf(o['verdict'], `${where}.verdict`, SIGNATURE_VERDICTS),
    subject: str(o['subject'], `${where}.subject`, AUDIT_LIMITS.name),
    ...optional(o, 'signer', (v) => str(v, `${where}.signer`, AUDIT_LIMITS.name, true)),
    ...optional(o, 'code', (v) => str(v, `${where}.code`, AUDIT_LIMITS.name)),
  };
}

function context(value: unknown, where: string): Record<string, string> {
  const o = object(value, where, undefined);
  const keys = Object.keys(o);
  if (keys.length > AUDIT_LIMITS.contextEntries) throw invalid(where, `more than ${AUDIT_LIMITS.contextEntries} entries`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (k.length > AUDIT_LIMITS.contextKey || k === '' || CONTROL.test(k) || k === '__proto__') {
      throw invalid(`${where}.${k.slice(0, 64)}`, `keys are 1..${AUDIT_LIMITS.contextKey} printable characters`);
    }
    out[k] = str(o[k], `${where}.${k}`, AUDIT_LIMITS.contextValue, true);
  }
  return out;
}

function actorOf(value: unknown, where: string): AuditRecord['actor'] {
  const actor = object(value, where, ACTOR_FIELDS);
  return {
    ...optional(actor, 'user', (v) => str(v, `${where}.user`, AUDIT_LIMITS.name, true)),
    ...optional(actor, 'address', (v) => str(v, `${where}.address`, AUDIT_LIMITS.name)),
    ...optional(actor, 'host', (v) => str(v, `${where}.host`, AUDIT_LIMITS.name)),
  };
}

function idOf(value: unknown, where: string): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) throw invalid(where, 'must be a positive integer');
  return value;
}

function digestOf(value: unknown, where: string): string {
  const digest = str(value, where, AUDIT_LIMITS.digest);
  if (!DIGEST.test(digest)) throw invalid(where, 'must be a digest (sha256:…)');
  return digest;
}

function admittedOf(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw invalid(where, 'must be true or false');
  return value;
}

/** One record; `where` names it in errors (`records[3]`). Fields are checked in the order of AuditRecord. */
export function parseAuditRecord(value: unknown, where = 'record'): AuditRecord {
  const o = object(value, where, RECORD_FIELDS);
  return {
    ...optional(o, 'id', (v) => idOf(v, `${where}.id`)),
    at: isoTime(o['at'], `${where}.at`),
    point: oneOf<EnforcementPoint>(o['point'], `${where}.point`, ENFORCEMENT_POINTS),
    actor: actorOf(o['actor'], `${where}.actor`),
    image: str(o['image'], `${where}.image`, AUDIT_LIMITS.image),
    ...optional(o, 'digest', (v) => digestOf(v, `${where}.digest`)),
    ...optional(o, 'rule', (v) => str(v, `${where}.rule`, AUDIT_LIMITS.rule, true)),
    verdict: oneOf(o['verdict'], `${where}.verdict`, VERDICTS),
    mode: oneOf(o['mode'], `${where}.mode`, MODES),
    admitted: admittedOf(o['admitted'], `${where}.admitted`),
    reasons: list(o['reasons'], `${where}.reasons`, AUDIT_LIMITS.reasons).map((r, i) =>
      str(r, `${where}.reasons[${i}]`, AUDIT_LIMITS.reason, true),
    ),
    signatures: list(o['signatures'], `${where}.signatures`, AUDIT_LIMITS.signatures).map((s, i) =>
      signature(s, `${where}.signatures[${i}]`),
    ),
    context: context(o['context'], `${where}.context`),
    ...optional(o, 'source', (v) => str(v, `${where}.source`, AUDIT_LIMITS.name, true)),
  };
}

/** A posted body `{"records":[…]}`: 1..AUDIT_LIMITS.records records, nothing else. */
export function parseAuditPost(value: unknown): AuditRecord[] {
  const o = object(value, 'body', new Set(['records']));
  const records = list(o['records'], 'records', AUDIT_LIMITS.records);
  if (records.length === 0) throw invalid('records', 'must hold at least one record');
  return records.map((r, i) => parseAuditRecord(r, `records[${i}]`));
}

/** The filters of an audit query (`image`, `verdict`, `point`); absent or empty = no filter. */
export function parseAuditFilters(get: (name: string) => string | null): {
  image?: string;
  verdict?: 'allow' | 'deny';
  point?: EnforcementPoint;
} {
  const image = get('image');
  const verdict = get('verdict');
  const point = get('point');
  return {
    ...(image ? { image: str(image, 'image', AUDIT_LIMITS.image) } : {}),
    ...(verdict ? { verdict: oneOf(verdict, 'verdict', VERDICTS) } : {}),
    ...(point ? { point: oneOf(point, 'point', ENFORCEMENT_POINTS) } : {}),
  };
}
