import { Observable } from 'rxjs';

/**
 * A stream that first replays what a client missed, then follows live items, with nothing lost
 * in between: live items are buffered while the replay is read, and those the replay already
 * carried are dropped (by key).
 */
export function replayThenFollow<T>(
  live$: Observable<T>,
  replay: () => Promise<T[]>,
  key: (item: T) => string,
  /** Asked once the replay is out: true completes the stream (what it follows has already ended). */
  endedAfterReplay: () => boolean = () => false,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let buffer: T[] | null = [];
    let liveEnded = false;
    const subscription = live$.subscribe({
      next: (item) => (buffer ? buffer.push(item) : subscriber.next(item)),
      error: (error: unknown) => subscriber.error(error),
      // A live source that ends ends the stream, after the replay if that is still being read.
      complete: () => (buffer ? (liveEnded = true) : subscriber.complete()),
    });
    replay().then(
      (items) => {
        const sent = new Set<string>();
        for (const item of items) {
          sent.add(key(item));
          subscriber.next(item);
        }
        for (const item of buffer ?? []) if (!sent.has(key(item))) subscriber.next(item);
        buffer = null;
        if (liveEnded || endedAfterReplay()) subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => subscription.unsubscribe();
  });
}
