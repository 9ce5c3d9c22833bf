/**
 * Counts lost audit records and reports them without flooding the log: the first loss at
 * once, later ones of the same cause summed up and reported once per interval (and by
 * `report()`, which a sink's flush calls). A reporter that throws is ignored.
 */
export class LossReporter {
  /** records lost so far */
  lost = 0;
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastReport = 0;

  constructor(
    private readonly onError: (message: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  lose(count: number, why: string): void {
    if (count <= 0) return;
    this.lost += count;
    this.pending.set(why, (this.pending.get(why) ?? 0) + count);
    if (Date.now() - this.lastReport >= this.intervalMs) this.report();
    else this.timer ??= setTimeout(() => this.report(), this.intervalMs).unref();
  }

  /** Reports what is pending now. */
  report(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastReport = Date.now();
    for (const [why, count] of this.pending) {
      try {
        this.onError(`${why}: ${count} audit record(s) lost`);
      } catch {
        // reporting a loss must not fail the caller
      }
    }
    this.pending.clear();
  }
}
