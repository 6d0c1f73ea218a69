/**
 * A bounded hand-over from many producers (subscriptions) to one consumer (the stream's reader):
 * `push` waits while the channel is full, so producers run only as far ahead as the reader lets
 * them. `stop` (the reader left) releases every waiting push with false.
 */
export class ChunkChannel<T> {
  private readonly items: T[] = [];
  private readonly waitingPushes: (() => void)[] = [];
  private wakePull: (() => void) | null = null;
  private closed = false;
  private stopped = false;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<boolean> {
    while (!this.stopped && this.items.length >= this.capacity) await new Promise<void>((resolve) => this.waitingPushes.push(resolve));
    if (this.stopped) return false;
    this.items.push(item);
    this.wake();
    return true;
  }

  /** The next item; undefined once closed and drained. */
  async pull(): Promise<T | undefined> {
    for (;;) {
      if (this.items.length > 0) {
        const item = this.items.shift() as T;
        this.waitingPushes.shift()?.();
        return item;
      }
      if (this.closed || this.stopped) return undefined;
      await new Promise<void>((resolve) => (this.wakePull = resolve));
    }
  }

  close(): void {
    this.closed = true;
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
