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

  it('completes after the replay when what it follows has already ended', async () => {
    const seen: string[] = [];
    let completed = false;
    replayThenFollow(new Subject<string>(), async () => ['a'], (s) => s, () => true).subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a']);
    expect(completed).toBe(true);
  });

  it('completes when the live source completes, after the replay if it was still being read', async () => {
    const live = new Subject<string>();
    let finishReplay!: (items: string[]) => void;
    const seen: string[] = [];
    let completed = false;
    replayThenFollow(live, () => new Promise<string[]>((resolve) => (finishReplay = resolve)), (s) => s).subscribe({
      next: (s) => seen.push(s),
      complete: () => (completed = true),
    });
    live.next('b');
    live.complete();
    expect(completed).toBe(false);
    finishReplay(['a']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a', 'b']);
    expect(completed).toBe(true);
  });

  it('ends the stream with the replay’s error', async () => {
    const errors: unknown[] = [];
    replayThenFollow(new Subject<string>(), () => Promise.reject(new Error('db down')), (s) => s).subscribe({ error: (e) => errors.push(e) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
  });
});
