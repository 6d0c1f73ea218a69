/** Coalesces progress reports into at most one database write a second. */
export class RefreshProgressReporter {
  private latest: Record<string, number> | null = null;
  private current: Record<string, number> = {};
  private lastWrite = 0;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly write: (counts: Record<string, number>) => Promise<unknown>) {}

  /** Counts reported by the plugin and by the saving side: each key keeps its latest value. */
  report(counts: Record<string, number>): void {
    this.current = { ...this.current, ...counts };
    this.latest = this.current;
    if (Date.now() - this.lastWrite >= 1000) void this.flush();
  }

  flush(): Promise<unknown> {
    if (!this.latest) return this.pending;
    const counts = this.latest;
    this.latest = null;
    this.lastWrite = Date.now();
    this.pending = this.pending.then(() => this.write(counts)).catch(() => undefined);
    return this.pending;
  }
}
