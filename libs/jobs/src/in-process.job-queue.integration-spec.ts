import { InProcessJobQueue } from './in-process.job-queue.js';
import { INTERRUPTED_BY_SHUTDOWN } from './job-queue.helpers.js';
import { describeJobQueueContract, kindOptions, waitFor } from './job-queue.contract.js';

describeJobQueueContract('InProcessJobQueue', async () => {
  const queue = new InProcessJobQueue();
  return { queue, dispose: () => queue.close(0) };
});

describe('InProcessJobQueue at shutdown', () => {
  it('fails a job that outlasts the grace period as interrupted, and records it for `fail` kinds', async () => {
    const queue = new InProcessJobQueue();
    const interrupted: string[] = [];
    let started = 0;
    const handle = async (job: { signal: AbortSignal }) => {
      started++;
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
      throw new Error('stopped');
    };
    queue.define({ kind: 'refresh', options: kindOptions({ attempts: 3 }), handle });
    queue.define({ kind: 'playbook', options: kindOptions({ interrupted: 'fail' }), handle, onInterrupted: async (job, reason) => void interrupted.push(`${job.id} ${reason}`) });
    await queue.start();
    const refresh = await queue.enqueue('refresh', {});
    const run = await queue.enqueue('playbook', {});
    await waitFor(() => started === 2, 'both jobs to start');
    await queue.close(100);
    expect(await queue.get(refresh.id)).toMatchObject({ state: 'failed', attempts: 1, error: INTERRUPTED_BY_SHUTDOWN });
    expect(await queue.get(run.id)).toMatchObject({ state: 'failed', error: INTERRUPTED_BY_SHUTDOWN });
    expect(interrupted).toEqual([`${run.id} ${INTERRUPTED_BY_SHUTDOWN}`]);
    await expect(queue.enqueue('refresh', {})).rejects.toThrow(/closed/);
  });

  it('fails a job whose handler ignores the abort signal, without waiting for it', async () => {
    const queue = new InProcessJobQueue();
    let started = false;
    queue.define({ kind: 'stuck', options: kindOptions(), handle: () => ((started = true), new Promise<void>(() => undefined)) });
    await queue.start();
    const { id } = await queue.enqueue('stuck', {});
    await waitFor(() => started, 'the job to start');
    await queue.close(50);
    expect(await queue.get(id)).toMatchObject({ state: 'failed', error: INTERRUPTED_BY_SHUTDOWN });
    await queue.idle();
  });

  it('keeps only the newest failed jobs of a kind', async () => {
    const queue = new InProcessJobQueue();
    queue.define({
      kind: 'bad',
      options: kindOptions(),
      handle: async () => {
        throw new Error('no');
      },
    });
    await queue.start();
    const first = await queue.enqueue('bad', {});
    for (let i = 0; i < 500; i++) await queue.enqueue('bad', {});
    await queue.idle();
    expect((await queue.counts()).bad.failed).toBe(500);
    expect(await queue.get(first.id)).toBeNull();
    expect(await queue.failed('bad', 1000)).toHaveLength(500);
    await queue.close(0);
  });
});
