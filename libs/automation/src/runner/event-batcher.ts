import type { RunnerEvent, RunnerListener } from './ansible-runner.types.js';

/**
 * Hands events to the listener in small batches (every `intervalMs` or `size` events, and at the end),
 * one call at a time. While a batch is being stored and another is full, the source is paused
 * (backpressure down to runner's stdout). A listener error is reported and the run goes on.
 */
export class EventBatcher {
  private queue: RunnerEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private paused = false;
  private pausing = true;

  constructor(
    private readonly listener: RunnerListener,
    private readonly size: number,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly source: { pause(): void; resume(): void } | null = null,
  ) {}

  push(event: RunnerEvent): void {
    this.queue.push(event);
    if (this.queue.length >= this.size) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Stops pausing the source (it must drain to its end now). */
  stopPausing(): void {
    this.pausing = false;
    this.resumeSource();
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return this.chain;
    const batch = this.queue;
    this.queue = [];
    this.inFlight += 1;
    if (this.inFlight > 1 && this.pausing && this.source && !this.paused) {
      this.paused = true;
      this.source.pause();
    }
    this.chain = this.chain
      .then(async () => {
        try {
          await this.listener.onEvents(batch);
        } catch (error) {
          this.onError(error);
        }
      })
      .finally(() => {
        this.inFlight -= 1;
        if (this.inFlight <= 1) this.resumeSource();
      });
    return this.chain;
  }

  /** Delivers what is left and waits for every delivery. */
  async close(): Promise<void> {
    this.stopPausing();
    await this.flush();
    await this.chain;
  }

  private resumeSource(): void {
    if (this.paused && this.source) {
      this.paused = false;
      this.source.resume();
    }
  }
}
