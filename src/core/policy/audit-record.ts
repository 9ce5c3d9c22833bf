/**
 * The audit feed (issue 13): every decision, at every enforcement point, written down —
 * who asked, about which image, which rule matched, the verdict, and the signatures it
 * rested on. Enforcement points hand records to an `AuditSink` (never blocking their
 * decision on it); the server keeps them in an `AuditStore` and serves them as an API and a
 * changefeed (`GET /_dct/audit/changefeed`), for the dashboard to come.
 */
import type { SignatureFormat, SignatureVerdict } from '../signatures/signature-report.js';
import type { ImageDecision, PolicyMode } from './decision.js';

/** Where a decision was made. */
export type EnforcementPoint = 'admission' | 'registry' | 'verify' | 'pull' | 'pin' | 'docker';

export const ENFORCEMENT_POINTS: readonly EnforcementPoint[] = ['admission', 'registry', 'verify', 'pull', 'pin', 'docker'];

/** Who asked for the image. Every field is as the enforcement point saw it. */
export interface AuditActor {
  /** the user: Kubernetes `userInfo.username`, the registry's authenticated user, the local OS user */
  user?: string;
  /** the client's address (registry pulls) */
  address?: string;
  /** the host the enforcement point runs on */
  host?: string;
}

/** One signature the decision saw, in short. */
export interface AuditSignature {
  format: SignatureFormat;
  verdict: SignatureVerdict;
  /** the digest it covers */
  subject: string;
  /** key ID, certificate subject/SAN, DCT role: whatever names the signer best */
  signer?: string;
  /** the failed check's stable code */
  code?: string;
}

export interface AuditRecord {
  /** assigned by the store: ascending, unique within one feed (absent until stored) */
  id?: number;
  /** ISO 8601 time of the decision */
  at: string;
  point: EnforcementPoint;
  actor: AuditActor;
  /** the image as given */
  image: string;
  /** the digest decided about, when known */
  digest?: string;
  /** the rule that matched (absent: none did, default deny) */
  rule?: string;
  /** the policy's verdict */
  verdict: 'allow' | 'deny';
  mode: PolicyMode;
  /** whether the enforcement point let the image through (a deny in `warn`/`audit` mode is let through) */
  admitted: boolean;
  reasons: string[];
  signatures: AuditSignature[];
  /**
   * Where the decision happened, as strings: admission `uid`, `kind`, `namespace`, `name`,
   * `operation`, `dryRun`; registry `method`, `repository`, `reference`; CLI `command`.
   */
  context: Record<string, string>;
  /**
   * Who reported the record, as the server authenticated the poster (`server` for its own
   * pull gate). Set by the store's front end, never taken from a posted body.
   */
  source?: string;
}

/** What an enforcement point hands its records to. Never throws, never blocks: a lost audit write is logged, not fatal. */
export interface AuditSink {
  record(record: AuditRecord): void;
  /** writes what is queued (a CLI calls it before exiting) */
  flush(): Promise<void>;
}

/** A sink that keeps nothing (no feed configured). */
export const NO_AUDIT: AuditSink = { record() {}, flush: () => Promise.resolve() };

/**
 * A page of the feed: `records > 0`, up to that many with `id > changeId`; `records < 0`, the
 * |records| just before `changeId` (the latest when `changeId < 0`), in ascending order.
 */
export interface AuditQuery {
  changeId: number;
  records: number;
  image?: string;
  verdict?: 'allow' | 'deny';
  point?: EnforcementPoint;
}

/** The server's store of audit records (SQLite, PostgreSQL). */
export interface AuditStore {
  /** stores the records in one transaction and returns them with their ids */
  append(records: readonly AuditRecord[]): Promise<AuditRecord[]>;
  page(query: AuditQuery): Promise<AuditRecord[]>;
  /** calls `listener` after any process appended records; returns an unsubscribe function */
  watch(listener: () => void): Promise<() => Promise<void>>;
}

function signerName(r: ImageDecision['reports'][number]): string | undefined {
  const s = r.signer;
  if (!s) return undefined;
  return s.role ?? s.san ?? s.subject ?? s.name ?? s.keyId;
}

/** The audit record of one decision. */
export function auditRecordOf(
  decision: ImageDecision,
  point: EnforcementPoint,
  actor: AuditActor,
  context: Record<string, string> = {},
  admitted: boolean = decision.verdict === 'allow',
): AuditRecord {
  return {
    at: decision.decidedAt,
    point,
    actor,
    image: decision.image,
    ...(decision.digest !== undefined ? { digest: decision.digest } : {}),
    ...(decision.rule !== undefined ? { rule: decision.rule } : {}),
    verdict: decision.verdict,
    mode: decision.mode,
    admitted,
    reasons: decision.reasons,
    signatures: decision.reports.map((r) => {
      const signer = signerName(r);
      return {
        format: r.format,
        verdict: r.verdict,
        subject: r.subject,
        ...(signer !== undefined ? { signer } : {}),
        ...(r.code !== undefined ? { code: r.code } : {}),
      };
    }),
    context,
  };
}
