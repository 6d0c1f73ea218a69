import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BullMqJobQueue } from './bullmq.job-queue.js';
import { INTERRUPTED_BY_CRASH } from './job-queue.helpers.js';
import { kindOptions, sleep, waitFor } from './job-queue.contract.js';
import { deleteKeys, TEST_REDIS_URL, testQueue, uniquePrefix } from './testing/redis-test-queue.js';

/*
 * Real process death: a child process runs our BullMqJobQueue (compiled by tsc from these
 * sources) and takes a job; the spec SIGKILLs it mid-job and a second queue instance, in this
 * process, must take the job over as its kind says.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LOCK_MS = 2_000;
const STALLED_CHECK_MS = 1_000;
/** Lock expiry, then a stalled check that marks the job and one that moves it, with room to spare. */
const TAKEOVER_BOUND_MS = LOCK_MS + 3 * STALLED_CHECK_MS + 10_000;

let buildDir: string;
let childScript: string;

beforeAll(() => {
  buildDir = join(REPO_ROOT, 'node_modules', '.cache', `hf-jobs-child-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(buildDir, { recursive: true });
  const tsconfig = join(buildDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(REPO_ROOT, 'tsconfig.build.json'),
      compilerOptions: { outDir: buildDir, rootDir: REPO_ROOT, sourceMap: false },
      include: [],
      files: [join(REPO_ROOT, 'libs/jobs/src/testing/job-worker.child.ts')],
    }),
  );
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc failed: ${result.stdout}${result.stderr}`);
  // Under node_modules the repo's package.json no longer applies: the build says it is ESM itself.
  writeFileSync(join(buildDir, 'package.json'), JSON.stringify({ type: 'module' }));
  childScript = join(buildDir, 'libs/jobs/src/testing/job-worker.child.js');
}, 120_000);

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe('BullMqJobQueue when the process running a job dies (SIGKILL)', () => {
  let prefix: string;
  let child: ChildProcess | null = null;
  let survivor: BullMqJobQueue | null = null;

  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await survivor?.close(0);
    survivor = null;
    await deleteKeys(prefix);
  });

  /** Starts the child worker, enqueues one job of `kind` and kills the child once it runs it. */
  async function killMidJob(kind: string, interrupted: 'retry' | 'fail', maxStalledCount?: number): Promise<string> {
    let output = '';
    child = spawn(process.execPath, [childScript], {
      env: { ...process.env, JOB_WORKER_CHILD: JSON.stringify({ redisUrl: TEST_REDIS_URL, prefix, kind, interrupted, lockMs: LOCK_MS, stalledCheckMs: STALLED_CHECK_MS, maxStalledCount }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolveExit) => child!.once('exit', resolveExit));
    await waitFor(() => output.includes('ready\n'), `the child worker to start (output: ${output})`, 30_000);
    const producer = testQueue(prefix);
    producer.define({ kind, options: kindOptions({ interrupted }), handle: async () => undefined });
    const { id } = await producer.enqueue(kind, { vm: 'rhel-7' });
    await producer.close(0);
    await waitFor(() => output.includes(`started ${id}\n`), `the child to take job ${id} (output: ${output})`);
    child.kill('SIGKILL');
    await exited;
    return id;
  }

  it('runs a `retry` job again in another process, to completion', async () => {
    const id = await killMidJob('refresh', 'retry');
    const runs: string[] = [];
    survivor = testQueue(prefix);
    survivor.define({ kind: 'refresh', options: kindOptions(), handle: async (job) => void runs.push(`${job.id} ${JSON.stringify(job.payload)}`) });
    await survivor.start();
    await waitFor(async () => (await survivor!.get(id))?.state === 'completed', 'the survivor to complete the job', TAKEOVER_BOUND_MS);
    expect(runs).toEqual([`${id} {"vm":"rhel-7"}`]);
  });

  it('never runs a `fail` job again: the survivor calls onInterrupted once and fails it', async () => {
    const id = await killMidJob('playbook', 'fail');
    const calls: string[] = [];
    survivor = testQueue(prefix);
    survivor.define({
      kind: 'playbook',
      options: kindOptions({ interrupted: 'fail', attempts: 3 }),
      handle: async () => void calls.push('handle'),
      onInterrupted: async (job, reason) => void calls.push(`onInterrupted ${job.id} ${JSON.stringify(job.payload)} ${reason}`),
    });
    await survivor.start();
    await waitFor(async () => (await survivor!.get(id))?.state === 'failed', 'the survivor to fail the job', TAKEOVER_BOUND_MS);
    expect(await survivor.get(id)).toMatchObject({ state: 'failed', error: INTERRUPTED_BY_CRASH });
    // Several more lock and stalled-check periods: nothing runs it again.
    await sleep(LOCK_MS + 2 * STALLED_CHECK_MS);
    expect(calls).toEqual([`onInterrupted ${id} {"vm":"rhel-7"} ${INTERRUPTED_BY_CRASH}`]);
  });

  it('calls onInterrupted before failing a `fail` job that BullMQ itself gives up on (maxStalledCount exceeded)', async () => {
    const id = await killMidJob('playbook', 'fail', 0);
    const calls: string[] = [];
    survivor = testQueue(prefix, { maxStalledCount: 0 });
    survivor.define({
      kind: 'playbook',
      options: kindOptions({ interrupted: 'fail' }),
      handle: async () => void calls.push('handle'),
      onInterrupted: async (job, reason) => void calls.push(`onInterrupted ${job.id} ${reason}`),
    });
    await survivor.start();
    await waitFor(async () => (await survivor!.get(id))?.state === 'failed', 'the job to be failed', TAKEOVER_BOUND_MS);
    const failed = await survivor.get(id);
    expect(failed?.error).toMatch(/stalled more than allowable limit/);
    expect(calls).toEqual([`onInterrupted ${id} ${failed?.error}`]);
    await sleep(LOCK_MS + 2 * STALLED_CHECK_MS);
    expect(calls).toHaveLength(1);
  });
});
