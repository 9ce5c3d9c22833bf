/**
 * The policy file of a long-running enforcement point that must keep judging (the server's pull
 * gate): loaded once at start (a broken file stops the start), then watched (`watchContent`)
 * and loaded again when its content changes. A change that does not load is reported and the
 * last good policy stays in force; listeners hear of each policy that replaced the one before.
 */
import { watchContent, type ContentWatcher } from '../fs-watch/content-watcher.js';
import type { PolicySource } from '../../core/policy/policy-source.js';
import type { TrustPolicy } from '../../core/policy/trust-policy.js';
import { loadPolicyFile } from './policy-file.js';

export interface WatchedPolicyOptions {
  /** polling interval of the file watch fallback (ms, default 2000) */
  pollMs?: number;
  /** a changed file loaded and now in force */
  onReloaded?(file: string): void;
  /** a changed file did not load (the previous policy stays in force), or the watch failed */
  onError?(err: unknown, file: string): void;
}

export class WatchedPolicySource implements PolicySource {
  private readonly listeners: Array<() => void> = [];
  private watcher: ContentWatcher | undefined;

  private constructor(
    readonly file: string,
    private policy: TrustPolicy,
  ) {}

  /** Loads the file (throws its POLICY_* error when it does not load) and watches it. */
  static async open(file: string, opts: WatchedPolicyOptions = {}): Promise<WatchedPolicySource> {
    const source = new WatchedPolicySource(file, (await loadPolicyFile(file)).policy);
    source.watcher = await watchContent(
      [file],
      async () => {
        try {
          source.policy = (await loadPolicyFile(file)).policy;
        } catch (err) {
          opts.onError?.(err, file);
          return;
        }
        opts.onReloaded?.(file);
        for (const l of source.listeners) l();
      },
      { pollMs: opts.pollMs ?? 2000, onError: (err) => opts.onError?.(err, file) },
    );
    return source;
  }

  current(): Promise<TrustPolicy> {
    return Promise.resolve(this.policy);
  }

  /** Calls `listener` after each policy that replaced the previous one. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.watcher?.close();
  }
}
