/**
 * The audit feed's records of one admission review: one `AuditRecord` per image decided (point
 * `admission`, the requesting user, the review's uid, kind, namespace, name, operation and
 * endpoint), `admitted` being whether the review let the object in. An image with no decision
 * (a timeout, a failure, no policy loaded) is recorded as a deny with that reason, admitted only
 * when fail-open let the object in. Dry runs and exempt objects leave no record (the controller
 * does not report dry runs; an exempt object has no images decided).
 */
import { auditRecordOf, type AuditRecord } from '../../core/policy/audit-record.js';
import type { ImageDecision } from '../../core/policy/decision.js';
import type { AdmissionRecord } from './admission-controller.js';

export function admissionAuditRecords(record: AdmissionRecord, now: () => Date = () => new Date()): AuditRecord[] {
  const context: Record<string, string> = {
    uid: record.uid,
    kind: record.kind,
    ...(record.namespace !== undefined ? { namespace: record.namespace } : {}),
    ...(record.name !== undefined ? { name: record.name } : {}),
    operation: record.operation,
    endpoint: record.endpoint,
  };
  const actor = record.user !== undefined ? { user: record.user } : {};
  return record.images.map((outcome) => {
    const decision: ImageDecision = outcome.decision ?? {
      image: outcome.image,
      verdict: 'deny',
      mode: 'enforce',
      reasons: [outcome.error ? `${outcome.error.message} [${outcome.error.code}]` : 'no decision'],
      warnings: [],
      reports: [],
      decidedAt: now().toISOString(),
    };
    return auditRecordOf(decision, 'admission', actor, context, record.allowed);
  });
}
