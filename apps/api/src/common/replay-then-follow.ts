import { Observable } from 'rxjs';

/**
 * A stream that first replays what a client missed, then follows live items, with nothing lost
 * in between: live items are buffered while the replay is read, and those the replay already
 * carried are dropped (by key).
 */
export function replayThenFollow<T>(live$: Observable<T>, replay: () => Promise<T[]>, key: (item: T) => string): Observable<T> {
  return new Observable<T>((subscriber) => {
    let buffer: T[] | null = [];
    const subscription = live$.subscribe({
      next: (item) => (buffer ? buffer.push(item) : subscriber.next(item)),
      error: (error: unknown) => subscriber.error(error),
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
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => subscription.unsubscribe();
  });
}
