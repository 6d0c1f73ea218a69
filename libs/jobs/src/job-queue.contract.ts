import { afterEach, describe, expect, it } from '@jest/globals';
import type { JobContext, JobEvent, JobKindOptions, JobQueue } from './job-queue.js';

/*
 * The behaviour every JobQueue implementation owes its callers, run against each of them by its
 * integration spec. Waits are bounds of correctness (a job that never runs fails the test after
 * the bound), never measures of speed.
 */

export interface JobQueueHarness {
  queue: JobQueue;
  /** Closes the queue (if the test did not) and removes whatever it stored. */
  dispose(): Promise<void>;
}

export function kindOptions(options: Partial<JobKindOptions> = {}): JobKindOptions {
  return { concurrency: 1, attempts: 1, backoffMs: 50, interrupted: 'retry', ...options };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A promise and the function that resolves it: a gate a test opens when it chooses. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export function describeJobQueueContract(name: string, makeQueue: () => Promise<JobQueueHarness>): void {
  describe(`${name}: the JobQueue contract`, () => {
    const harnesses: JobQueueHarness[] = [];
    const newQueue = async (): Promise<JobQueue> => {
      const harness = await makeQueue();
      harnesses.push(harness);
      return harness.queue;
    };
    afterEach(async () => {
      await Promise.all(harnesses.splice(0).map((harness) => harness.dispose()));
    });

    it('runs an enqueued job with its payload, and reports it completed', async () => {
      const queue = await newQueue();
      const seen: JobContext<{ vm: string }>[] = [];
      queue.define<{ vm: string }>({ kind: 'echo', options: kindOptions(), handle: async (job) => void seen.push(job) });
      await queue.start();
      const { id, deduplicated } = await queue.enqueue('echo', { vm: 'rhel-01' });
      await queue.idle();
      expect(deduplicated).toBe(false);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ id, kind: 'echo', key: null, payload: { vm: 'rhel-01' }, attempt: 1 });
      expect(await queue.get(id)).toMatchObject({ id, kind: 'echo', state: 'completed', attempts: 1, error: null });
      expect(await queue.get('echo:no-such-job')).toBeNull();
    });

    it('runs no job of a process that has not started', async () => {
      const queue = await newQueue();
      let runs = 0;
      queue.define({ kind: 'echo', options: kindOptions(), handle: async () => void runs++ });
      const { id } = await queue.enqueue('echo', {});
      await sleep(300);
      expect(runs).toBe(0);
      expect(await queue.get(id)).toMatchObject({ state: 'waiting', attempts: 0 });
      expect((await queue.counts()).echo).toEqual({ waiting: 1, delayed: 0, active: 0, failed: 0 });
      await queue.start();
      await queue.idle();
      expect(runs).toBe(1);
    });

    it('runs at most `concurrency` jobs of a kind at once', async () => {
      const queue = await newQueue();
      let running = 0;
      let most = 0;
      let done = 0;
      queue.define({
        kind: 'capture',
        options: kindOptions({ concurrency: 2 }),
        handle: async () => {
          most = Math.max(most, ++running);
          await sleep(150);
          running--;
          done++;
        },
      });
      for (let i = 0; i < 6; i++) await queue.enqueue('capture', { i });
      await queue.start();
      await queue.idle();
      expect(done).toBe(6);
      expect(most).toBe(2);
    });

    it('dedupes by key while a job waits, and keeps different keys apart', async () => {
      const queue = await newQueue();
      const payloads: unknown[] = [];
      queue.define({ kind: 'refresh', options: kindOptions(), handle: async (job) => void payloads.push(job.payload) });
      const first = await queue.enqueue('refresh', { n: 1 }, { key: 'provider-a' });
      const again = await queue.enqueue('refresh', { n: 2 }, { key: 'provider-a' });
      const other = await queue.enqueue('refresh', { n: 3 }, { key: 'provider-b' });
      expect(again).toEqual({ id: first.id, deduplicated: true });
      expect(other.deduplicated).toBe(false);
      expect(other.id).not.toBe(first.id);
      await queue.start();
      await queue.idle();
      expect(payloads).toEqual([{ n: 1 }, { n: 3 }]);
      expect((await queue.get(first.id))?.key).toBe('provider-a');
    });

    it('dedupes by key while a job runs, and takes a new job once it has finished', async () => {
      const queue = await newQueue();
      const release = gate();
      const keys: (string | null)[] = [];
      queue.define({
        kind: 'refresh',
        options: kindOptions({ concurrency: 2 }),
        handle: async (job) => {
          keys.push(job.key);
          if (keys.length === 1) await release.opened;
        },
      });
      await queue.start();
      const first = await queue.enqueue('refresh', {}, { key: 'provider-a' });
      await waitFor(() => keys.length === 1, 'the first job to start');
      expect(await queue.enqueue('refresh', {}, { key: 'provider-a' })).toEqual({ id: first.id, deduplicated: true });
      release.open();
      await queue.idle();
      const next = await queue.enqueue('refresh', {}, { key: 'provider-a' });
      expect(next.deduplicated).toBe(false);
      expect(next.id).not.toBe(first.id);
      await queue.idle();
      expect(keys).toEqual(['provider-a', 'provider-a']);
    });

    it('retries a failing job after an exponential backoff, and completes it when a try succeeds', async () => {
      const queue = await newQueue();
      const tries: { attempt: number; start: number; end: number }[] = [];
      queue.define({
        kind: 'poll',
        options: kindOptions({ attempts: 3, backoffMs: 100 }),
        handle: async (job) => {
          const start = Date.now();
          try {
            if (job.attempt < 3) throw new Error(`try ${job.attempt} failed`);
          } finally {
            tries.push({ attempt: job.attempt, start, end: Date.now() });
          }
        },
      });
      await queue.start();
      const { id } = await queue.enqueue('poll', {});
      await queue.idle();
      expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
      // Backoffs of 100 then 200 ms (a lower bound: retries never come early).
      expect(tries[1].start - tries[0].end).toBeGreaterThanOrEqual(90);
      expect(tries[2].start - tries[1].end).toBeGreaterThanOrEqual(190);
      expect(await queue.get(id)).toMatchObject({ state: 'completed', attempts: 3 });
      expect(await queue.failed('poll')).toEqual([]);
    });

    it('fails a job that keeps failing after its last try, visible in failed(), get() and counts(), and stops there', async () => {
      const queue = await newQueue();
      let tries = 0;
      queue.define({
        kind: 'poll',
        options: kindOptions({ attempts: 2, backoffMs: 20 }),
        handle: async (job) => {
          tries++;
          throw new Error(`unreachable ${(job.payload as { host: string }).host}`);
        },
      });
      await queue.start();
      const older = await queue.enqueue('poll', { host: 'a' });
      await queue.idle();
      const newer = await queue.enqueue('poll', { host: 'b' });
      await queue.idle();
      expect(tries).toBe(4);
      expect(await queue.get(newer.id)).toMatchObject({ state: 'failed', attempts: 2, error: 'unreachable b' });
      expect((await queue.get(newer.id))?.finishedAt).toBeInstanceOf(Date);
      const failed = await queue.failed('poll');
      expect(failed.map((job) => job.id)).toEqual([newer.id, older.id]);
      expect(await queue.failed(undefined, 1)).toMatchObject([{ id: newer.id, error: 'unreachable b' }]);
      expect((await queue.counts()).poll).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 2 });
      await sleep(300);
      expect(tries).toBe(4);
    });

    it('shows a running job and its progress through get()', async () => {
      const queue = await newQueue();
      const release = gate();
      const reported = gate();
      queue.define({
        kind: 'refresh',
        options: kindOptions(),
        handle: async (job) => {
          await job.progress({ collected: 3, total: 5 });
          reported.open();
          await release.opened;
        },
      });
      await queue.start();
      const { id } = await queue.enqueue('refresh', {});
      await reported.opened;
      const running = await queue.get(id);
      expect(running).toMatchObject({ state: 'active', attempts: 1, progress: { collected: 3, total: 5 } });
      expect(running?.startedAt).toBeInstanceOf(Date);
      expect((await queue.counts()).refresh.active).toBe(1);
      release.open();
      await queue.idle();
      expect(await queue.get(id)).toMatchObject({ state: 'completed', progress: { collected: 3, total: 5 } });
    });

    it('holds a delayed job back until its delay has passed', async () => {
      const queue = await newQueue();
      let ranAt = 0;
      queue.define({ kind: 'later', options: kindOptions(), handle: async () => void (ranAt = Date.now()) });
      await queue.start();
      const enqueuedAt = Date.now();
      const { id } = await queue.enqueue('later', {}, { delayMs: 300 });
      expect((await queue.get(id))?.state).toBe('delayed');
      await queue.idle();
      expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(290);
    });

    it('fires a schedule repeatedly once started, never overlapping its own previous firing', async () => {
      const queue = await newQueue();
      let running = 0;
      let most = 0;
      const payloads: unknown[] = [];
      queue.define({
        kind: 'rollup',
        options: kindOptions({ concurrency: 4 }),
        handle: async (job) => {
          most = Math.max(most, ++running);
          payloads.push(job.payload);
          // Outlasts several ticks: the firings in between are skipped, not run beside it.
          await sleep(350);
          running--;
        },
      });
      await queue.schedule('hourly-rollup', 100, 'rollup', { window: '1h' });
      await sleep(300);
      expect(payloads).toHaveLength(0);
      await queue.start();
      await waitFor(() => payloads.length >= 3, 'three firings');
      expect(most).toBe(1);
      expect(payloads[0]).toEqual({ window: '1h' });
    });

    it("keeps kinds apart: one kind's slow jobs do not hold up another's", async () => {
      const queue = await newQueue();
      const release = gate();
      let slowStarted = false;
      let fastDone = false;
      queue.define({
        kind: 'slow',
        options: kindOptions(),
        handle: async () => {
          slowStarted = true;
          await release.opened;
        },
      });
      queue.define({ kind: 'fast', options: kindOptions(), handle: async () => void (fastDone = true) });
      await queue.start();
      await queue.enqueue('slow', {});
      await queue.enqueue('slow', {});
      await waitFor(() => slowStarted, 'the slow job to start');
      await queue.enqueue('fast', {});
      await waitFor(() => fastDone, 'the fast job to run while the slow kind is busy');
      expect((await queue.counts()).slow).toMatchObject({ waiting: 1, active: 1 });
      release.open();
      await queue.idle();
    });

    it('close(grace) lets a running job finish within the grace period', async () => {
      const queue = await newQueue();
      const events: JobEvent[] = [];
      let finished = false;
      let aborted = false;
      queue.onEvent((event) => events.push(event));
      queue.define({
        kind: 'refresh',
        options: kindOptions(),
        handle: async (job) => {
          await sleep(300);
          aborted = job.signal.aborted;
          finished = true;
        },
      });
      await queue.start();
      const { id } = await queue.enqueue('refresh', {});
      await waitFor(() => events.some((event) => event.type === 'started'), 'the job to start');
      await queue.close(10_000);
      expect(finished).toBe(true);
      expect(aborted).toBe(false);
      expect(events.map((event) => event.type)).toEqual(['started', 'completed']);
      expect(events[1]).toMatchObject({ id });
    });

    it('close(grace) aborts the signal of a job that outlasts the grace period', async () => {
      const queue = await newQueue();
      let started = false;
      let abortedAfter = 0;
      queue.define({
        kind: 'refresh',
        options: kindOptions(),
        handle: async (job) => {
          started = true;
          const since = Date.now();
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
          abortedAfter = Date.now() - since;
          throw new Error('stopped');
        },
      });
      await queue.start();
      await queue.enqueue('refresh', {});
      await waitFor(() => started, 'the job to start');
      await queue.close(300);
      expect(abortedAfter).toBeGreaterThanOrEqual(250);
    });

    it('reports started, completed and failed tries to observers, with wait and run times', async () => {
      const queue = await newQueue();
      const events: JobEvent[] = [];
      queue.onEvent((event) => events.push(event));
      queue.define({ kind: 'ok', options: kindOptions(), handle: () => sleep(50) });
      queue.define({
        kind: 'bad',
        options: kindOptions({ attempts: 2, backoffMs: 20 }),
        handle: async () => {
          throw new Error('denied');
        },
      });
      await queue.start();
      const ok = await queue.enqueue('ok', {});
      await queue.idle();
      const bad = await queue.enqueue('bad', {});
      await queue.idle();
      expect(events.map((event) => `${event.type}:${event.kind}`)).toEqual(['started:ok', 'completed:ok', 'started:bad', 'failed:bad', 'started:bad', 'failed:bad']);
      expect(events[0]).toMatchObject({ id: ok.id, waitMs: expect.any(Number) });
      expect(events[1]).toMatchObject({ id: ok.id, runMs: expect.any(Number) });
      expect((events[1] as { runMs: number }).runMs).toBeGreaterThanOrEqual(40);
      expect(events[3]).toMatchObject({ id: bad.id, final: false, error: 'denied' });
      expect(events[5]).toMatchObject({ id: bad.id, final: true, error: 'denied' });
      for (const event of events) {
        if (event.type === 'started') expect(event.waitMs).toBeGreaterThanOrEqual(0);
        else expect(event.runMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('idle() resolves at once when nothing is pending, and only after waiting and delayed jobs have run', async () => {
      const queue = await newQueue();
      let runs = 0;
      queue.define({ kind: 'echo', options: kindOptions({ concurrency: 2 }), handle: async () => {
          await sleep(50);
          runs++;
        },
      });
      await queue.start();
      await queue.idle();
      await queue.enqueue('echo', {}, { delayMs: 200 });
      await queue.enqueue('echo', {});
      await queue.enqueue('echo', {});
      await queue.idle();
      expect(runs).toBe(3);
      expect((await queue.counts()).echo).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0 });
      expect(await queue.ping()).toBe(true);
    });
  });
}
