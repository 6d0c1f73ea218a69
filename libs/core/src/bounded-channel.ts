/**
 * A bounded FIFO between producers and one consumer: `push` waits while the channel is full, so
 * producers run only as far ahead as the consumer lets them; `pull` waits while it is empty.
 * `close` ends it after what is buffered; `fail` makes `pull` throw once the buffer is drained;
 * `stop` (the consumer left) drops everything and releases every waiting push with false.
 */
export class BoundedChannel<T> {
  private readonly items: T[] = [];
  private readonly waitingPushes: (() => void)[] = [];
  private wakePull: (() => void) | null = null;
  private closed = false;
  private stopped = false;
  private failure: { error: unknown } | null = null;

  constructor(private readonly capacity: number) {}

  /** Resolves true once the item is buffered, false when the consumer has stopped. */
  async push(item: T): Promise<boolean> {
    while (!this.stopped && this.items.length >= this.capacity) await new Promise<void>((resolve) => this.waitingPushes.push(resolve));
    if (this.stopped) return false;
    this.items.push(item);
    this.wake();
    return true;
  }

  /** The next item; undefined once closed and drained, or stopped. */
  async pull(): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) {
        const item = this.items.shift() as T;
        this.waitingPushes.shift()?.();
        return item;
      }
      if (this.failure) throw this.failure.error;
      if (this.closed || this.stopped) return undefined;
      await new Promise<void>((resolve) => (this.wakePull = resolve));
    }
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.items.length = 0;
    for (const resume of this.waitingPushes.splice(0)) resume();
    this.wake();
  }

  private wake(): void {
    const wake = this.wakePull;
    this.wakePull = null;
    wake?.();
  }
}
