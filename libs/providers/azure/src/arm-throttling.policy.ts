import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';

/** Tuning of {@link ArmThrottlingPolicy}; every field has a default fit for real ARM. */
export interface ArmThrottlingOptions {
  /** Retry-After (seconds) given to a 429 that carries none, so the SDK's throttling strategy retries it. */
  defaultRetryAfterSeconds?: number;
  /** Below this many remaining subscription reads, requests are paced. Default 10. */
  lowWatermark?: number;
  /** Reads ARM gives back per second (regional token bucket: 25/s for subscription reads). */
  refillPerSecond?: number;
  /** Clock and sleep, replaceable in tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignalLike) => Promise<void>;
}

/** The abort signal type the pipeline hands to policies. */
type AbortSignalLike = NonNullable<PipelineRequest['abortSignal']>;

const REMAINING_READS_HEADER = 'x-ms-ratelimit-remaining-subscription-reads';
const RETRY_AFTER_HEADERS = ['retry-after', 'retry-after-ms', 'x-ms-retry-after-ms'];

/**
 * One per subscription, shared by every client of that subscription, added `perRetry` so that it
 * sees each attempt the SDK's retry policy makes:
 *
 * - proactive pacing: when `x-ms-ratelimit-remaining-subscription-reads` drops below the low
 *   watermark, the next requests of the subscription wait for the bucket to refill that far
 *   (ARM refills 25 reads/s), then go one refill interval apart until the header recovers;
 * - a 429 that names its Retry-After holds back the subscription's other requests too (ARM
 *   rejects anything sent before that time);
 * - a 429 with no Retry-After at all gets a default one: without it the SDK does not retry a
 *   429, and with it the SDK's own throttling strategy retries it, bounded by maxRetries.
 *
 * It never retries by itself, so retries are never multiplied.
 */
export class ArmThrottlingPolicy implements PipelinePolicy {
  readonly name = 'hybridformsArmThrottlingPolicy';
  private readonly defaultRetryAfterSeconds: number;
  private readonly lowWatermark: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignalLike) => Promise<void>;
  /** Epoch ms before which no request of this subscription is sent. */
  private nextSendAt = 0;
  /** True while the last reading was below the watermark: requests go one interval apart. */
  private pacing = false;

  constructor(options: ArmThrottlingOptions = {}) {
    this.defaultRetryAfterSeconds = options.defaultRetryAfterSeconds ?? 5;
    this.lowWatermark = options.lowWatermark ?? 10;
    this.intervalMs = 1000 / (options.refillPerSecond ?? 25);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** Milliseconds a request sent now would wait (for tests and logs). */
  get currentDelayMs(): number {
    return Math.max(0, this.nextSendAt - this.now());
  }

  async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
    await this.waitForTurn(request.abortSignal);
    const response = await next(request);
    this.observe(response);
    return response;
  }

  private async waitForTurn(signal: AbortSignalLike | undefined): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextSendAt);
    // Reserve a slot so that concurrent requests leave one refill interval apart.
    if (this.pacing) this.nextSendAt = at + this.intervalMs;
    if (at > now) await this.sleep(at - now, signal);
  }

  private observe(response: PipelineResponse): void {
    const remaining = Number.parseInt(response.headers.get(REMAINING_READS_HEADER) ?? '', 10);
    if (Number.isFinite(remaining)) {
      if (remaining < this.lowWatermark) {
        this.pacing = true;
        const refillMs = (this.lowWatermark - Math.max(0, remaining)) * this.intervalMs;
        this.nextSendAt = Math.max(this.nextSendAt, this.now() + refillMs);
      } else {
        this.pacing = false;
      }
    }
    if (response.status !== 429) return;
    if (!RETRY_AFTER_HEADERS.some((header) => response.headers.has(header))) {
      response.headers.set('retry-after', String(this.defaultRetryAfterSeconds));
    }
    const retryAfterMs = retryAfterOf(response, this.now());
    if (retryAfterMs !== null) this.nextSendAt = Math.max(this.nextSendAt, this.now() + retryAfterMs);
  }
}

function retryAfterOf(response: PipelineResponse, now: number): number | null {
  for (const header of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(response.headers.get(header));
    if (response.headers.has(header) && Number.isFinite(ms)) return Math.max(0, ms);
  }
  const value = response.headers.get('retry-after');
  if (value === undefined) return null;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

function abortableSleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignalLike | undefined): Error {
  const reason = (signal as AbortSignal | undefined)?.reason;
  const error = new Error(reason instanceof Error ? reason.message : 'The operation was aborted.');
  error.name = 'AbortError';
  return error;
}
