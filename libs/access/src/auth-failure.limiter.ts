const WINDOW_MS = 60_000;
// Forget quiet clients so that a scan from many addresses cannot grow the map without bound.
const MAX_TRACKED = 10_000;

/**
 * Counts failed authentications per client address in fixed one-minute windows; past the limit a
 * client is refused (429) until its window ends, so a token cannot be guessed at line speed.
 * One process's count: embedded mode, and the fallback of the cluster-wide count (RedisAuthFailureCounter).
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(
    private readonly maxFailuresPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the client must wait, or 0 when it may try. */
  retryAfterSeconds(client: string): number {
    const window = this.current(client);
    if (!window || window.failures < this.maxFailuresPerMinute) return 0;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - this.now()) / 1000));
  }

  recordFailure(client: string): void {
    const window = this.current(client);
    if (window) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= MAX_TRACKED) this.evictExpired();
    if (this.windows.size >= MAX_TRACKED) this.windows.delete(this.windows.keys().next().value as string);
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  private current(client: string): { startedAt: number; failures: number } | undefined {
    const window = this.windows.get(client);
    if (window && this.now() - window.startedAt >= WINDOW_MS) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [client, window] of this.windows) if (now - window.startedAt >= WINDOW_MS) this.windows.delete(client);
  }
}
