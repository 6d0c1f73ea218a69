export interface RateDecision {
  allowed: boolean;
  /** The value of x-ms-ratelimit-remaining-subscription-reads. */
  remaining: number;
  /** Seconds until a token is back (for Retry-After) when not allowed. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * ARM's regional token bucket for subscription reads (real: 250 tokens, 25 per second). When
 * disabled, every read passes and the header reports a full bucket less one, as a fresh ARM does.
 */
export class ReadRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: { bucket: number; refillPerSecond: number } | false,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  take(subscriptionId: string): RateDecision {
    if (!this.config) return { allowed: true, remaining: 249, retryAfterSeconds: 0 };
    const { bucket: size, refillPerSecond } = this.config;
    const now = this.clock();
    const key = subscriptionId.toLowerCase();
    const bucket = this.buckets.get(key) ?? { tokens: size, updatedAt: now };
    bucket.tokens = Math.min(size, bucket.tokens + ((now - bucket.updatedAt) / 1000) * refillPerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
    }
    const wait = refillPerSecond > 0 ? Math.ceil((1 - bucket.tokens) / refillPerSecond) : 60;
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, wait) };
  }
}
