/**
 * What both audit stores share: the retention default, the row a record is kept as (the
 * filtered fields as columns, the whole record as JSON text) and the checks of a page query.
 */
import { DctError } from '../../core/errors.js';
import type { AuditQuery, AuditRecord } from '../../core/policy/audit-record.js';

/** Records kept by default: older ones are removed as new ones arrive. */
export const DEFAULT_AUDIT_RETENTION = 1_000_000;

export interface AuditRow {
  at: string;
  point: string;
  image: string;
  verdict: string;
  /** the record without `id` (the row's id is its id) */
  record: string;
}

export function auditRow(record: AuditRecord): AuditRow {
  const { id: _id, ...rest } = record;
  return { at: rest.at, point: rest.point, image: rest.image, verdict: rest.verdict, record: JSON.stringify(rest) };
}

export function recordOfRow(id: number, json: string): AuditRecord {
  return { id, ...(JSON.parse(json) as Omit<AuditRecord, 'id'>) };
}

/** Paging arguments are safe integers; a retention a whole positive number. */
export function assertAuditQuery(query: AuditQuery): void {
  if (!Number.isSafeInteger(query.changeId) || !Number.isSafeInteger(query.records)) {
    throw new DctError('INVALID_PARAMETERS', `audit change ID ${query.changeId} and records ${query.records} must be integers`);
  }
}

export function assertRetention(retention: number): number {
  if (!Number.isSafeInteger(retention) || retention < 1) {
    throw new DctError('INVALID_CONFIG', `the audit retention must be a whole positive number of records, not ${retention}`);
  }
  return retention;
}

/** A page's direction (as the TUF changefeed: a negative count or id pages backwards, from the latest unless id > 0). */
export function pageDirection(query: AuditQuery): { backward: boolean; limit: number } {
  return { backward: query.records < 0 || query.changeId < 0, limit: Math.abs(query.records) };
}
