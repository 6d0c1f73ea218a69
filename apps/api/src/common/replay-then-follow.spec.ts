import { Subject } from 'rxjs';
import { replayThenFollow } from './replay-then-follow.js';

describe('replayThenFollow', () => {
  it('replays first, then follows, keeping what arrived during the replay and dropping what it repeated', async () => {
    const live = new Subject<string>();
    let finishReplay!: (items: string[]) => void;
    const seen: string[] = [];
    const subscription = replayThenFollow(live, () => new Promise<string[]>((resolve) => (finishReplay = resolve)), (s) => s).subscribe((s) => seen.push(s));
    live.next('c'); // stored while the replay is read, and also in the replay
    live.next('d'); // stored after the replay's query
    expect(seen).toEqual([]);
    finishReplay(['a', 'b', 'c']);
    await new Promise((resolve) => setImmediate(resolve));
    live.next('e');
    subscription.unsubscribe();
    live.next('f');
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('ends the stream with the replay’s error', async () => {
    const errors: unknown[] = [];
    replayThenFollow(new Subject<string>(), () => Promise.reject(new Error('db down')), (s) => s).subscribe({ error: (e) => errors.push(e) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
  });
});
