/** The webhook's Prometheus metrics: reviews and image decisions by verdict, latency, the decision cache, policy reloads. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AdmissionEndpoint, ImageOutcome } from '../app/admission/admission-controller.js';
import type { CacheOutcome } from '../app/admission/decision-cache.js';

export class WebhookMetrics {
  readonly registry = new Registry();
  private readonly reviews = new Counter({
    name: 'dct_admission_reviews_total',
    help: 'AdmissionReviews answered, by endpoint and whether the object was admitted',
    labelNames: ['endpoint', 'allowed'] as const,
    registers: [this.registry],
  });
  private readonly invalid = new Counter({
    name: 'dct_admission_invalid_requests_total',
    help: 'requests refused before review (not an AdmissionReview, too large, wrong content type)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'dct_admission_decisions_total',
    help: 'image decisions by verdict: allow, deny, warn (admitted with warnings), error (timeout or failure)',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'dct_admission_review_duration_seconds',
    help: 'time to answer an AdmissionReview',
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 8, 10],
    registers: [this.registry],
  });
  private readonly cache = new Counter({
    name: 'dct_admission_cache_total',
    help: 'decision cache lookups: hit (fresh), stale (served while revalidated), miss (decided)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: 'dct_admission_policy_reloads_total',
    help: 'policy file (re)loads by result; a failed one keeps the policy in force',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly loaded = new Gauge({
    name: 'dct_admission_policy_loaded',
    help: '1 once a policy is loaded (the webhook is ready), else 0',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'dct_admission_' });
    for (const outcome of ['hit', 'miss', 'stale'] as const) this.cache.inc({ outcome }, 0);
    for (const verdict of ['allow', 'deny', 'warn', 'error'] as const) this.decisions.inc({ verdict }, 0);
    this.loaded.set(0);
  }

  reviewed(endpoint: AdmissionEndpoint, allowed: boolean, seconds: number): void {
    this.reviews.inc({ endpoint, allowed: String(allowed) });
    this.latency.observe({ endpoint }, seconds);
  }

  refused(code: string): void {
    this.invalid.inc({ code });
  }

  image(outcome: ImageOutcome): void {
    this.decisions.inc({ verdict: outcome.verdict });
  }

  cacheOutcome(outcome: CacheOutcome): void {
    this.cache.inc({ outcome });
  }

  policyLoad(ok: boolean, loadedNow: boolean): void {
    this.reloads.inc({ result: ok ? 'success' : 'failure' });
    this.loaded.set(loadedNow ? 1 : 0);
  }
}
