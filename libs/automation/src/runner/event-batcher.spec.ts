import type { RunnerEvent } from './ansible-runner.types.js';
import { boundBytes } from './ansible-runner.js';
import { EventBatcher } from './event-batcher.js';
import { TailBuffer } from './tail-buffer.js';

const ev = (counter: number): RunnerEvent => ({
  counter,
  uuid: `u${counter}`,
  event: 'runner_on_ok',
  created: new Date(0),
  host: 'h',
  task: 't',
  stdout: '',
  data: {},
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventBatcher', () => {
  it('hands over a batch as soon as it is full, the rest after the interval or on close', async () => {
    const batches: number[][] = [];
    const b = new EventBatcher({ onEvents: (e) => void batches.push(e.map((x) => x.counter)) }, 3, 10_000, () => undefined);
    for (let i = 1; i <= 7; i += 1) b.push(ev(i));
    await b.close();
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('flushes a partial batch after the interval', async () => {
    const batches: number[][] = [];
    const b = new EventBatcher({ onEvents: (e) => void batches.push(e.map((x) => x.counter)) }, 50, 20, () => undefined);
    b.push(ev(1));
    b.push(ev(2));
    for (let i = 0; i < 100 && batches.length === 0; i += 1) await sleep(10);
    expect(batches).toEqual([[1, 2]]);
    await b.close();
  });

  it('never calls the listener twice at once, pauses the source while it lags, and resumes it', async () => {
    let active = 0;
    let maxActive = 0;
    const seen: number[] = [];
    const source = { paused: 0, resumed: 0, pause() { this.paused += 1; }, resume() { this.resumed += 1; } };
    const b = new EventBatcher(
      {
        async onEvents(events) {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await sleep(20);
          seen.push(...events.map((e) => e.counter));
          active -= 1;
        },
      },
      2,
      5,
      () => undefined,
      source,
    );
    for (let i = 1; i <= 10; i += 1) b.push(ev(i));
    await b.close();
    expect(maxActive).toBe(1);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(source.paused).toBeGreaterThan(0);
    expect(source.resumed).toBe(source.paused);
  });

  it('reports a throwing or rejecting listener and goes on with the next batch', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const b = new EventBatcher(
      {
        onEvents() {
          calls += 1;
          if (calls === 1) throw new Error('sync');
          if (calls === 2) return Promise.reject(new Error('async'));
        },
      },
      1,
      5,
      (e) => errors.push((e as Error).message),
    );
    for (let i = 1; i <= 3; i += 1) b.push(ev(i));
    await b.close();
    expect(calls).toBe(3);
    expect(errors).toEqual(['sync', 'async']);
  });
});

describe('bounded output', () => {
  it('TailBuffer keeps the last characters', () => {
    const t = new TailBuffer(10);
    for (let i = 0; i < 100; i += 1) t.append(`${i % 10}`);
    expect(t.toString()).toBe('0123456789');
  });

  it('boundBytes keeps the last bytes from a line boundary', () => {
    expect(boundBytes('short', 100)).toBe('short');
    expect(boundBytes('line one\nline two\nline three\n', 16)).toBe('line three\n');
    expect(Buffer.byteLength(boundBytes('é'.repeat(1000), 101))).toBeLessThanOrEqual(101);
  });
});
