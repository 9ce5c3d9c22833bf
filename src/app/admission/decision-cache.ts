/**
 * The webhook's cache of verified results: an `allow` decision is kept for `ttlMs`; for
 * `staleMs` after that it is still served (`stale`) while one decision in the background
 * revalidates it (stale-while-revalidate), so a warm image never waits for a registry. Denials
 * and failures are not kept: a newly signed image is admitted at the next request. Concurrent
 * requests for an image nobody has decided yet share one decision (single flight).
 *
 * A decision made with a request's own registry credential (a Pod's pull secret for the
 * image's registry) is kept under (image, that credential's source): a private image verified
 * with namespace A's secret is not admitted for namespace B from the cache — B's Pod is decided
 * with B's credentials (or the webhook's own), and refused when they cannot read the image.
 * Decisions made with the webhook's own credentials are shared by every request.
 */
import { parseImageReference } from '../../core/image-reference.js';
import type { ImageDecision } from '../../core/policy/decision.js';
import type { PullCredentials } from '../../core/policy/pull-credentials.js';

export type CacheOutcome = 'hit' | 'miss' | 'stale';

export interface DecisionCacheOptions {
  /** how long an allow decision is fresh; 0 turns the cache off */
  ttlMs: number;
  /** how long after that a stale decision is served while it is revalidated */
  staleMs: number;
  /** the most images kept (the oldest go first) */
  maxEntries?: number;
  now?: () => number;
  onOutcome?: (outcome: CacheOutcome) => void;
  /** a background revalidation failed (the stale decision stays until it expires) */
  onRevalidateError?: (image: string, err: unknown) => void;
}

interface Entry {
  decision: ImageDecision;
  storedAt: number;
}

export type Decide = (image: string, credentials?: PullCredentials) => Promise<ImageDecision>;

/** The cache key of an image decided with these credentials: the image, and the source of the one used for its registry. */
export function decisionKey(image: string, credentials?: PullCredentials): string {
  if (!credentials) return image;
  let registry: string;
  try {
    registry = parseImageReference(image).domain;
  } catch {
    return image;
  }
  const used = credentials.forRegistry(registry);
  return used ? `${image}\n${used.source}` : image;
}

export class DecisionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<ImageDecision>>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  /** bumped by clear(): a decision started before a policy reload is not stored after it */
  private generation = 0;

  constructor(
    private readonly decide: Decide,
    private readonly opts: DecisionCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  /** The decision for an image: cached when fresh or stale, else decided (once for all who ask meanwhile). */
  async get(image: string, credentials?: PullCredentials): Promise<{ decision: ImageDecision; cache: CacheOutcome }> {
    const key = decisionKey(image, credentials);
    const entry = this.entries.get(key);
    if (entry) {
      const age = this.now() - entry.storedAt;
      if (age < this.opts.ttlMs) {
        this.opts.onOutcome?.('hit');
        return { decision: entry.decision, cache: 'hit' };
      }
      if (age < this.opts.ttlMs + this.opts.staleMs) {
        this.opts.onOutcome?.('stale');
        if (!this.inflight.has(key)) {
          this.fetch(key, image, credentials).catch((err: unknown) => this.opts.onRevalidateError?.(image, err));
        }
        return { decision: entry.decision, cache: 'stale' };
      }
      this.entries.delete(key);
    }
    this.opts.onOutcome?.('miss');
    return { decision: await (this.inflight.get(key) ?? this.fetch(key, image, credentials)), cache: 'miss' };
  }

  /** Forgets every decision (the policy changed). */
  clear(): void {
    this.entries.clear();
    this.inflight.clear();
    this.generation++;
  }

  get size(): number {
    return this.entries.size;
  }

  private fetch(key: string, image: string, credentials: PullCredentials | undefined): Promise<ImageDecision> {
    const generation = this.generation;
    const p = this.decide(image, credentials).then(
      (decision) => {
        if (generation === this.generation) {
          this.inflight.delete(key);
          if (decision.verdict === 'allow' && this.opts.ttlMs > 0) this.store(key, decision);
          else this.entries.delete(key);
        }
        return decision;
      },
      (err: unknown) => {
        if (generation === this.generation) this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  private store(key: string, decision: ImageDecision): void {
    this.entries.delete(key);
    this.entries.set(key, { decision, storedAt: this.now() });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
