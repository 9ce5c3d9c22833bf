/**
 * The admission use case: an AdmissionReview in, the answer out. `validate` admits or refuses
 * the object (naming every refused image and why, with `warn`-mode warnings and audit
 * annotations); `mutate` also pins each admitted image to its verified digest (JSON patch) —
 * in GitOps mode Pods only, so that Argo CD and Flux do not fight rewritten Deployments.
 *
 * Every distinct image of a request is decided once, all in parallel, through the cache and
 * within a deadline under the API server's webhook timeout; an image not decided in time, or
 * whose decision failed, is refused (fail-closed) unless fail-open is configured.
 *
 * With a pull-secret source, the Pod's (or template's) `imagePullSecrets` — or, when it names
 * none, its service account's, as the ServiceAccount admission plugin would add them — are read
 * first and passed to every decision, tried before the webhook's own registry credentials.
 */
import { setMaxListeners } from 'node:events';
import { DctError, isDctError } from '../../core/errors.js';
import type { ImageDecider, ImageDecision } from '../../core/policy/decision.js';
import type { PullCredentials, PullSecretSource } from '../../core/policy/pull-credentials.js';
import {
  DEFAULT_MAX_REVIEW_BYTES,
  denialStatus,
  parseAdmissionReview,
  reviewResponse,
  type AdmissionRequest,
  type AdmissionReview,
  type AdmissionReviewResponse,
} from './admission-review.js';
import { DecisionCache, type CacheOutcome } from './decision-cache.js';
import { encodePatch, pinning, type ReplaceOperation } from './image-pinning.js';
import { selectorMatches, type LabelSelector } from './label-selector.js';
import { objectLabels, workloadImages, type WorkloadImages } from './workload-images.js';

export type AdmissionEndpoint = 'validate' | 'mutate';

export interface AdmissionSettings {
  /** mutate Pods only; workloads are validated but left as written */
  gitops: boolean;
  /** admit (with a warning) when no decision could be made in time or it failed */
  failOpen: boolean;
  /** the deadline of all decisions of one request */
  timeoutMs: number;
  cacheTtlMs: number;
  staleMs: number;
  exemptNamespaces: readonly string[];
  /** objects whose labels match any of these are admitted unchecked */
  exemptLabels: readonly LabelSelector[];
  /** the webhook's own namespace: always exempt, so that the webhook can always be restarted */
  ownNamespace?: string;
  maxReviewBytes: number;
}

export const DEFAULT_ADMISSION_SETTINGS: AdmissionSettings = {
  gitops: false,
  failOpen: false,
  timeoutMs: 8000,
  cacheTtlMs: 5 * 60_000,
  staleMs: 5 * 60_000,
  exemptNamespaces: [],
  exemptLabels: [],
  maxReviewBytes: DEFAULT_MAX_REVIEW_BYTES,
};

/** One image's outcome in a request, as metrics and logs see it. */
export interface ImageOutcome {
  image: string;
  /** `warn`: admitted with warnings; `error`: no decision (timeout, failure) */
  verdict: 'allow' | 'deny' | 'warn' | 'error';
  cache?: CacheOutcome;
  ms: number;
  decision?: ImageDecision;
  error?: DctError;
}

/** What happened in a review, for the log and, unless it was a dry run, the audit feed. */
export interface AdmissionRecord {
  endpoint: AdmissionEndpoint;
  uid: string;
  kind: string;
  namespace?: string;
  name?: string;
  operation: string;
  user?: string;
  dryRun: boolean;
  allowed: boolean;
  exempt?: string;
  images: ImageOutcome[];
  patched: number;
  /** the pull secrets that could not be read */
  pullSecretProblems?: string[];
}

export interface AdmissionEvents {
  cache?(outcome: CacheOutcome): void;
  image?(outcome: ImageOutcome): void;
  /** every review, dry runs included (for the log) */
  reviewed?(record: AdmissionRecord): void;
  /** the reviews with side effects: not called for dry runs */
  audit?(record: AdmissionRecord): void;
  revalidateError?(image: string, err: unknown): void;
}

const WARNING_MAX = 256;

export class AdmissionController {
  private readonly cache: DecisionCache;

  /** `decider()` is the policy now loaded (undefined until one is). */
  constructor(
    private readonly decider: () => ImageDecider | undefined,
    private readonly settings: AdmissionSettings,
    private readonly events: AdmissionEvents = {},
    now: () => number = Date.now,
    /** the cluster's pull secrets (absent: the webhook's own credentials only) */
    private readonly pullSecrets?: PullSecretSource,
  ) {
    this.cache = new DecisionCache((image, credentials) => this.decideNow(image, credentials), {
      ttlMs: settings.cacheTtlMs,
      staleMs: settings.staleMs,
      now,
      onOutcome: (o) => events.cache?.(o),
      onRevalidateError: (image, err) => events.revalidateError?.(image, err),
    });
  }

  /** The policy changed: forget every cached decision. */
  invalidate(): void {
    this.cache.clear();
  }

  /** Answers a review body. Throws `ADMISSION_REVIEW_INVALID` / `ADMISSION_BODY_TOO_LARGE` for a body that is not one. */
  async review(endpoint: AdmissionEndpoint, body: Uint8Array | string): Promise<AdmissionReviewResponse> {
    const review = parseAdmissionReview(body, this.settings.maxReviewBytes);
    return this.answer(endpoint, review);
  }

  async answer(endpoint: AdmissionEndpoint, review: AdmissionReview): Promise<AdmissionReviewResponse> {
    const req = review.request;
    const record: AdmissionRecord = {
      endpoint,
      uid: req.uid,
      kind: req.kind.kind,
      ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
      ...(req.name !== undefined ? { name: req.name } : {}),
      operation: req.operation,
      ...(req.userInfo.username !== undefined ? { user: req.userInfo.username } : {}),
      dryRun: req.dryRun,
      allowed: true,
      images: [],
      patched: 0,
    };
    const done = (response: Parameters<typeof reviewResponse>[1]): AdmissionReviewResponse => {
      record.allowed = response.allowed;
      this.events.reviewed?.(record);
      if (!req.dryRun) this.events.audit?.(record);
      return reviewResponse(review, response);
    };

    if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || req.object === null) return done({ allowed: true });
    const exempt = this.exemption(req);
    if (exempt) {
      record.exempt = exempt;
      return done({ allowed: true, auditAnnotations: { exempt } });
    }
    let workload: WorkloadImages | undefined;
    try {
      workload = workloadImages(req.kind, req.object);
    } catch (err) {
      if (!isDctError(err, 'ADMISSION_OBJECT_INVALID')) throw err;
      return done({ allowed: false, status: denialStatus(`dct admission: ${err.message}`, 400) });
    }
    if (!workload || workload.images.length === 0) return done({ allowed: true });

    const started = performance.now();
    const credentials = await this.pullCredentials(req, workload, record);
    // the pull secrets' lookup counts against the review's deadline
    const remaining = Math.max(1, this.settings.timeoutMs - Math.round(performance.now() - started));
    const outcomes = await this.decideAll([...new Set(workload.images.map((o) => o.image))], credentials, remaining);
    record.images = [...outcomes.values()];

    const denials: string[] = [];
    const warnings: string[] = [];
    for (const o of outcomes.values()) {
      if (o.error) {
        if (this.settings.failOpen) warnings.push(`image ${o.image} admitted unverified (fail-open): ${o.error.message}`);
        else denials.push(`image ${o.image}: ${o.error.message} (fail-closed)`);
      } else if (o.decision) {
        const d = o.decision;
        if (d.verdict === 'deny') denials.push(`image ${o.image}: ${denialReason(d)}`);
        else for (const w of d.warnings) warnings.push(`image ${o.image}: ${w}`);
      }
    }
    const ops: ReplaceOperation[] = [];
    for (const occurrence of workload.images) {
      const decision = outcomes.get(occurrence.image)?.decision;
      if (!decision || decision.verdict !== 'allow') continue;
      const p = pinning(occurrence.image, decision);
      if (p.kind === 'mismatch') {
        denials.push(`image ${occurrence.image}: pins ${p.pinned}, but the policy decided about ${p.decided}`);
      } else if (p.kind === 'pin') {
        ops.push({ op: 'replace', path: occurrence.pointer, value: p.value });
      }
    }

    const auditAnnotations = { decisions: JSON.stringify(record.images.map(auditEntry)) };
    const what = `${req.kind.kind} ${req.namespace ? `${req.namespace}/` : ''}${req.name ?? objectName(req) ?? ''}`.trim();
    if (denials.length > 0) {
      const unique = [...new Set(denials)];
      if (record.pullSecretProblems) unique.push(`image pull secrets: ${record.pullSecretProblems.join('; ')}`);
      return done({
        allowed: false,
        status: denialStatus(`dct admission denied ${what}: ${unique.join('; ')}`),
        auditAnnotations,
      });
    }
    const response: Parameters<typeof reviewResponse>[1] = { allowed: true, auditAnnotations };
    if (endpoint === 'validate' && warnings.length > 0) response.warnings = warnings.map(truncateWarning);
    if (endpoint === 'mutate' && ops.length > 0 && (workload.isPod || !this.settings.gitops)) {
      response.patch = encodePatch(ops);
      response.patchType = 'JSONPatch';
      record.patched = ops.length;
    }
    return done(response);
  }

  private exemption(req: AdmissionRequest): string | undefined {
    const ns = req.namespace;
    if (ns !== undefined && ns === this.settings.ownNamespace) return `namespace ${ns} is the webhook's own`;
    if (ns !== undefined && this.settings.exemptNamespaces.includes(ns)) return `namespace ${ns} is exempt`;
    const labels = objectLabels(req.object);
    const selector = this.settings.exemptLabels.find((s) => selectorMatches(s, labels));
    return selector ? `labels match the exemption ${selector.text}` : undefined;
  }

  /** The review's pull secrets (the spec's, else its service account's), within the deadline; problems go to the record. */
  private async pullCredentials(
    req: AdmissionRequest,
    workload: WorkloadImages,
    record: AdmissionRecord,
  ): Promise<PullCredentials | undefined> {
    if (!this.pullSecrets || req.namespace === undefined) return undefined;
    const found = await this.pullSecrets.lookup(
      {
        namespace: req.namespace,
        secrets: workload.pullSecrets,
        ...(workload.pullSecrets.length === 0 ? { serviceAccount: workload.serviceAccount ?? 'default' } : {}),
      },
      deadlineSignal(this.settings.timeoutMs),
    );
    if (found.problems.length > 0) record.pullSecretProblems = found.problems;
    return found.credentials;
  }

  /** Every image decided in parallel, each within the request's deadline. */
  private async decideAll(
    images: readonly string[],
    credentials: PullCredentials | undefined,
    deadline: number,
  ): Promise<Map<string, ImageOutcome>> {
    const outcomes = await Promise.all(
      images.map(async (image): Promise<ImageOutcome> => {
        const started = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new DctError(
                  'ADMISSION_DECISION_TIMEOUT',
                  `no decision within ${this.settings.timeoutMs} ms (the registry or the policy is too slow)`,
                ),
              ),
            deadline,
          );
        });
        let outcome: ImageOutcome;
        try {
          const { decision, cache } = await Promise.race([this.cache.get(image, credentials), timeout]);
          const verdict = decision.verdict === 'deny' ? 'deny' : decision.warnings.length > 0 ? 'warn' : 'allow';
          outcome = { image, verdict, cache, ms: performance.now() - started, decision };
        } catch (err) {
          const error =
            isDctError(err, 'ADMISSION_DECISION_TIMEOUT') || isDctError(err, 'ADMISSION_POLICY_NOT_LOADED')
              ? err
              : new DctError('ADMISSION_DECISION_FAILED', `the decision failed: ${err instanceof Error ? err.message : String(err)}`, {
                  cause: err,
                });
          outcome = { image, verdict: 'error', ms: performance.now() - started, error };
        } finally {
          clearTimeout(timer);
        }
        this.events.image?.(outcome);
        return outcome;
      }),
    );
    return new Map(outcomes.map((o) => [o.image, o]));
  }

  private async decideNow(image: string, credentials: PullCredentials | undefined): Promise<ImageDecision> {
    const decider = this.decider();
    if (!decider) throw new DctError('ADMISSION_POLICY_NOT_LOADED', 'the policy is not loaded (see the webhook log for why)');
    // the decision itself is bounded too: a cached single flight must not hang for ever
    const decision = await decider.decide(image, {
      signal: deadlineSignal(this.settings.timeoutMs),
      ...(credentials ? { credentials } : {}),
    });
    if (decision.verdict !== 'allow' && decision.verdict !== 'deny') throw new Error(`the policy answered no verdict for ${image}`);
    return decision;
  }
}

/**
 * How many listeners one decision's deadline signal may have before node warns of a leak: every
 * request of the decision listens on it while it runs (a cosign lookup alone reads up to 8
 * bundles and 8 payloads at once, beside the other formats), more than node's default of 10.
 */
const DEADLINE_SIGNAL_LISTENERS = 100;

/** An AbortSignal that aborts after `ms`, with room for all of one decision's requests. */
function deadlineSignal(ms: number): AbortSignal {
  const signal = AbortSignal.timeout(ms);
  setMaxListeners(DEADLINE_SIGNAL_LISTENERS, signal);
  return signal;
}

function denialReason(d: ImageDecision): string {
  const reasons = d.reasons.length > 0 ? d.reasons.join('; ') : 'refused by the policy';
  const rule = d.rule !== undefined ? ` (rule ${d.rule})` : ' (no rule matched: default deny)';
  const near = d.suggestions && d.suggestions.length > 0 ? `; did you mean ${d.suggestions.join(' or ')}?` : '';
  return `${reasons}${rule}${near}`;
}

function auditEntry(o: ImageOutcome): Record<string, string> {
  const d = o.decision;
  return {
    image: o.image,
    verdict: o.verdict,
    ...(d?.digest ? { digest: d.digest } : {}),
    ...(d?.rule ? { rule: d.rule } : {}),
    ...(d ? { mode: d.mode } : {}),
    ...(o.error ? { error: o.error.code } : {}),
  };
}

function objectName(req: AdmissionRequest): string | undefined {
  const metadata = req.object?.metadata as Record<string, unknown> | undefined;
  const name = metadata?.name ?? metadata?.generateName;
  return typeof name === 'string' ? name : undefined;
}

function truncateWarning(w: string): string {
  return w.length <= WARNING_MAX ? w : `${w.slice(0, WARNING_MAX - 1)}…`;
}
