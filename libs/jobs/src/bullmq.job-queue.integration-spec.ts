import { BullMqJobQueue } from './bullmq.job-queue.js';
import { INTERRUPTED_BY_SHUTDOWN } from './job-queue.helpers.js';
import { describeJobQueueContract, gate, kindOptions, sleep, waitFor } from './job-queue.contract.js';
import type { JobQueue } from './job-queue.js';
import { deleteKeys, quietLogger, testQueue, uniquePrefix } from './testing/redis-test-queue.js';

describeJobQueueContract('BullMqJobQueue', async () => {
  const prefix = uniquePrefix();
  const queue = testQueue(prefix);
  return {
    queue,
    dispose: async () => {
      await queue.close(0);
      await deleteKeys(prefix);
    },
  };
});

describe('BullMqJobQueue across processes (several queue instances on one Redis)', () => {
  let prefix: string;
  const queues: JobQueue[] = [];
  const instance = (): JobQueue => {
    const queue = testQueue(prefix);
    queues.push(queue);
    return queue;
  };
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close(0)));
    await deleteKeys(prefix);
  });

  it('fires a schedule declared by three processes once per tick in all', async () => {
    const firings: { process: number; id: string }[] = [];
    const processes = [instance(), instance(), instance()];
    for (const [index, queue] of processes.entries()) {
      queue.define({ kind: 'rollup', options: kindOptions({ concurrency: 2 }), handle: async (job) => void firings.push({ process: index, id: job.id }) });
      await queue.schedule('rollup-every-300ms', 300, 'rollup', {});
      await queue.start();
    }
    await waitFor(() => firings.length >= 5, 'five firings');
    const ids = firings.map((firing) => firing.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Each firing is the scheduler's job for one tick (repeat:<name>:<tick>): ticks one period apart at least.
    const ticks = ids.map((id) => Number(id.split(':').pop())).sort((a, b) => a - b);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBeGreaterThanOrEqual(300);
  });

  it('runs a keyed job enqueued by two processes at once only once', async () => {
    const [a, b] = [instance(), instance()];
    let runs = 0;
    for (const queue of [a, b]) queue.define({ kind: 'refresh', options: kindOptions({ concurrency: 3 }), handle: async () => void (runs++, await sleep(100)) });
    await a.start();
    await b.start();
    const [fromA, fromB] = await Promise.all([a.enqueue('refresh', {}, { key: 'provider-a' }), b.enqueue('refresh', {}, { key: 'provider-a' })]);
    expect(fromA.id).toBe(fromB.id);
    expect([fromA.deduplicated, fromB.deduplicated].sort()).toEqual([false, true]);
    for (let i = 0; i < 10; i++) await (i % 2 ? a : b).enqueue('refresh', { i });
    await a.idle();
    await sleep(200);
    expect(runs).toBe(11);
  });

  it('hands a `retry` job running past the grace period back to another process at shutdown', async () => {
    const [leaving, staying] = [instance(), instance()];
    const ranBy: string[] = [];
    const started = gate();
    leaving.define({
      kind: 'refresh',
      options: kindOptions(),
      handle: async (job) => {
        ranBy.push('leaving');
        started.open();
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
        throw new Error('aborted');
      },
    });
    staying.define({ kind: 'refresh', options: kindOptions(), handle: async (job) => void ranBy.push(`staying:${job.attempt}:${JSON.stringify(job.payload)}`) });
    await leaving.start();
    const { id } = await leaving.enqueue('refresh', { provider: 'azure-1' }, { key: 'azure-1' });
    await started.opened;
    await staying.start();
    await leaving.close(200);
    await waitFor(async () => (await staying.get(id))?.state === 'completed', 'the other process to complete it');
    expect(ranBy).toEqual(['leaving', 'staying:1:{"provider":"azure-1"}']);
  });

  it('hands a job back at shutdown even when its handler ignores the abort signal', async () => {
    const [leaving, staying] = [instance(), instance()];
    const started = gate();
    let completedBy = '';
    leaving.define({ kind: 'refresh', options: kindOptions(), handle: () => (started.open(), new Promise<void>(() => undefined)) });
    staying.define({ kind: 'refresh', options: kindOptions(), handle: async () => void (completedBy = 'staying') });
    await leaving.start();
    const { id } = await leaving.enqueue('refresh', {});
    await started.opened;
    await staying.start();
    await leaving.close(100);
    await waitFor(async () => (await staying.get(id))?.state === 'completed', 'the other process to complete it');
    expect(completedBy).toBe('staying');
  });

  it('records a `fail` job running past the grace period as interrupted at shutdown, and never runs it again', async () => {
    const [leaving, staying] = [instance(), instance()];
    const interrupted: string[] = [];
    let runs = 0;
    const started = gate();
    const definition = (name: string) => ({
      kind: 'playbook',
      options: kindOptions({ interrupted: 'fail' as const, attempts: 3 }),
      handle: async (job: { signal: AbortSignal }) => {
        runs++;
        started.open();
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
        throw new Error('aborted');
      },
      onInterrupted: async (job: { id: string }, reason: string) => void interrupted.push(`${name} ${job.id} ${reason}`),
    });
    leaving.define(definition('leaving'));
    staying.define(definition('staying'));
    await leaving.start();
    const { id } = await leaving.enqueue('playbook', {});
    await started.opened;
    await staying.start();
    await leaving.close(200);
    expect(interrupted).toEqual([`leaving ${id} ${INTERRUPTED_BY_SHUTDOWN}`]);
    expect(await staying.get(id)).toMatchObject({ state: 'failed', error: INTERRUPTED_BY_SHUTDOWN });
    await sleep(500);
    expect(runs).toBe(1);
  });

  it('runs no job in a process that only enqueues', async () => {
    const [api, worker] = [instance(), instance()];
    const ranBy: string[] = [];
    api.define({ kind: 'refresh', options: kindOptions(), handle: async () => void ranBy.push('api') });
    worker.define({ kind: 'refresh', options: kindOptions(), handle: async () => void ranBy.push('worker') });
    await worker.start();
    for (let i = 0; i < 5; i++) await api.enqueue('refresh', { i });
    await api.idle();
    expect(ranBy).toEqual(['worker', 'worker', 'worker', 'worker', 'worker']);
  });
});

describe('BullMqJobQueue without a reachable Redis', () => {
  it('answers ping() with false, and logs errors without the password', async () => {
    const lines: string[] = [];
    const queue = new BullMqJobQueue({ redisUrl: 'redis://:s3cret-pa55@127.0.0.1:1', prefix: uniquePrefix(), lockMs: 2_000, stalledCheckMs: 1_000, logger: quietLogger(lines) });
    queue.define({ kind: 'refresh', options: kindOptions(), handle: async () => undefined });
    expect(await queue.ping()).toBe(false);
    await waitFor(() => lines.length > 0, 'a logged connection error');
    expect(lines.join('\n')).not.toContain('s3cret-pa55');
    await queue.close(0);
    // ioredis keeps a 2 s timer after disconnecting a client that never connected: let it run out.
    await sleep(2_100);
  });
});
