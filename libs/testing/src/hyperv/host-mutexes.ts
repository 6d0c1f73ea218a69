/**
 * The host's named mutexes as create scripts take them (System.Threading.Mutex by name): one
 * holder at a time per name, waiters let in in the order they came, a waiter not let in within
 * its wait gives up. Names compare as Windows compares them, case-sensitively.
 */
export class HostMutexes {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `body` holding the mutex; `waited` says whether another holder was waited for. */
  async hold<T>(name: string, waitMs: number, body: () => Promise<T>): Promise<{ held: true; waited: boolean; value: T } | { held: false }> {
    const busy = this.tails.has(name);
    const before = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    // The next waiter waits for every earlier holder, including one this waiter gave up on.
    const tail = before.then(() => mine);
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      before.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      release();
      return { held: false };
    }
    try {
      return { held: true, waited: busy, value: await body() };
    } finally {
      release();
    }
  }
}
