import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Job, Queue, UnrecoverableError, WaitingError, Worker, type Span, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { INTERRUPTED_BY_CRASH, INTERRUPTED_BY_SHUTDOWN, messageOf, settledWithin } from './job-queue.helpers.js';
import type {
  EnqueuedJob,
  EnqueueOptions,
  JobContext,
  JobCounts,
  JobEvent,
  JobInfo,
  JobKindDefinition,
  JobQueue,
  JobState,
} from './job-queue.js';

/** After the grace period and the abort: how long handlers get to return before their jobs are handed back anyway. */
const ABORT_WAIT_MS = 2_000;
/** How long close() waits for BullMQ to finish handing back and disconnecting. */
const DISCONNECT_WAIT_MS = 5_000;
const KEEP_COMPLETED = 100;
const KEEP_FAILED = 1000;
const PING_TIMEOUT_MS = 1_000;
const IDLE_POLL_MS = 100;
/**
 * Whether a BullMQ queue has a job waiting, running or delayed. A job scheduler always has its
 * next firing delayed (ids `repeat:<name>:<tick>`): those do not count.
 */
const PENDING_SCRIPT = `
if redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('LLEN', KEYS[3]) > 0 then return 1 end
for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  if string.sub(id, 1, 7) ~= 'repeat:' then return 1 end
end
return 0`;
/** The same Redis error repeats on every reconnect attempt: logged at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000;

export interface JobQueueLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface BullMqJobQueueOptions {
  redisUrl: string;
  /** Prefix of every Redis key of this queue (one per deployment; tests use one per test). */
  prefix: string;
  /** How long a running job's lock lasts without renewal: a dead process's jobs are taken over after this. */
  lockMs: number;
  /** How often workers look for jobs whose lock expired. */
  stalledCheckMs: number;
  /**
   * Re-deliveries after a stall before BullMQ fails the job by itself (default 2): a job that
   * keeps killing its process stops. For `interrupted: 'fail'` kinds, every re-delivery calls
   * `onInterrupted` instead of the handler, whichever way it is failed.
   */
  maxStalledCount?: number;
  logger?: JobQueueLogger;
}

interface RunningJob {
  controller: AbortController;
  /** Settles when the processor has finished with the job (completed, failed or handed back). */
  done: Promise<void>;
  /** Stops waiting for a handler that ignores its abort signal: the job is handed back regardless. */
  abandon: () => void;
}

type Outcome = { type: 'completed' } | { type: 'failed'; error: unknown } | { type: 'abandoned' };

/**
 * Scaled-out mode: jobs in Redis through BullMQ, one BullMQ queue per kind, run by every process
 * that calls `start()`. Job ids are `<kind>:<BullMQ job id>`.
 *
 * What we rely on in BullMQ 6.7.0 (read in dist/esm):
 * - A stalled job (lock expired) is always moved back to wait by `moveStalledJobsToWait`, its
 *   `stc` (stalledCounter) incremented; beyond `maxStalledCount` it is marked with a deferred
 *   failure (`defa`) and the next worker to take it fails it in `processJob` without calling the
 *   processor (then `handleFailed`). Nothing is failed by the stalled checker itself.
 * - Deduplication keys (`de:<id>`) live until the job completes or fails (not across retries).
 * - A job scheduler's next job (`repeat:<name>:<millis>`) is added when the current one becomes
 *   active, so a late firing is never duplicated but may overlap the previous one still running.
 * - `Job.moveToWait(token)` puts an active job back at the head of wait (lock released, no attempt
 *   counted); throwing `WaitingError` afterwards tells the worker it was moved.
 *
 * Ours on top: schedules are upserted by `start()` (a process that only enqueues declares none);
 * a firing that finds the schedule's previous firing still running (a marker key) completes
 * without running. `waitMs` counts from enqueue (plus its delay): for a retry that includes the
 * earlier tries, BullMQ keeps no time of the backoff's end.
 */
export class BullMqJobQueue implements JobQueue {
  readonly implementation = 'bullmq' as const;
  private readonly logger: JobQueueLogger;
  private readonly definitions = new Map<string, JobKindDefinition<unknown>>();
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly running = new Map<string, RunningJob>();
  private readonly schedules = new Map<string, { everyMs: number; kind: string; payload: unknown }>();
  private readonly listeners: ((event: JobEvent) => void)[] = [];
  private readonly lastErrorLog = new Map<string, number>();
  private readonly redis: Redis;
  private readonly maxStalledCount: number;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: BullMqJobQueueOptions) {
    this.logger = options.logger ?? new Logger(BullMqJobQueue.name);
    this.maxStalledCount = options.maxStalledCount ?? 2;
    // Ours, beside BullMQ's: ping, idle and the schedules' running markers.
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    this.redis.on('error', (error: Error) => this.logRedisError('redis', error));
  }

  define<P>(definition: JobKindDefinition<P>): void {
    const { kind, options } = definition;
    if (this.definitions.has(kind)) throw new Error(`job kind ${kind} is already defined`);
    // The kind is the first part of a job id and a part of Redis keys.
    if (!/^[\w.-]+$/.test(kind)) throw new Error(`job kind ${kind}: letters, digits, '_', '.', '-' only`);
    if (options.concurrency < 1 || options.attempts < 1) throw new Error(`job kind ${kind}: concurrency and attempts must be at least 1`);
    this.definitions.set(kind, definition as JobKindDefinition<unknown>);
    const queue = new Queue(kind, {
      connection: { url: this.options.redisUrl },
      prefix: this.options.prefix,
      defaultJobOptions: {
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs },
        removeOnComplete: { count: KEEP_COMPLETED },
        removeOnFail: { count: KEEP_FAILED },
      },
    });
    queue.on('error', (error: Error) => this.logRedisError(`queue ${kind}`, error));
    this.queues.set(kind, queue);
  }

  async enqueue<P>(kind: string, payload: P, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    const queue = this.queueOf(kind);
    if (this.closing) throw new Error(`job queue closed: cannot enqueue ${kind}`);
    // Our own id: when the key deduplicates, BullMQ answers with the existing job's id instead.
    const jobId = randomUUID();
    const job = await queue.add(kind, payload, {
      jobId,
      ...(options.delayMs && options.delayMs > 0 ? { delay: options.delayMs } : {}),
      ...(options.key !== undefined ? { deduplication: { id: options.key } } : {}),
    });
    return { id: `${kind}:${job.id}`, deduplicated: job.id !== jobId };
  }

  async schedule<P>(name: string, everyMs: number, kind: string, payload: P): Promise<void> {
    this.queueOf(kind);
    if (everyMs <= 0) throw new Error(`schedule ${name}: everyMs must be positive`);
    this.schedules.set(name, { everyMs, kind, payload });
    if (this.started && !this.closing) await this.upsertSchedule(name);
  }

  async start(): Promise<void> {
    if (this.started || this.closing) return;
    this.started = true;
    for (const [kind, definition] of this.definitions) {
      const workerOptions: WorkerOptions = {
        connection: { url: this.options.redisUrl },
        prefix: this.options.prefix,
        concurrency: definition.options.concurrency,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.stalledCheckMs,
        maxStalledCount: this.maxStalledCount,
      };
      const worker = new JobWorker(kind, (job, token) => this.process(definition, job, token), workerOptions, (job) =>
        this.interrupted(definition, job, job.deferredFailure ?? INTERRUPTED_BY_CRASH),
      );
      worker.on('error', (error: Error) => this.logRedisError(`worker ${kind}`, error));
      this.workers.set(kind, worker);
    }
    for (const name of this.schedules.keys()) await this.upsertSchedule(name);
  }

  close(graceMs: number): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  async get(id: string): Promise<JobInfo | null> {
    const separator = id.indexOf(':');
    const queue = separator > 0 ? this.queues.get(id.slice(0, separator)) : undefined;
    if (!queue) return null;
    const job = await queue.getJob(id.slice(separator + 1));
    if (!job) return null;
    const state = stateOf(await job.getState());
    return state ? this.infoOf(job, state) : null;
  }

  async counts(): Promise<Record<string, JobCounts>> {
    const counts: Record<string, JobCounts> = {};
    for (const [kind, queue] of this.queues) {
      const raw = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
      counts[kind] = {
        waiting: (raw.waiting ?? 0) + (raw.prioritized ?? 0),
        delayed: raw.delayed ?? 0,
        active: raw.active ?? 0,
        failed: raw.failed ?? 0,
      };
    }
    return counts;
  }

  async failed(kind?: string, limit = 50): Promise<JobInfo[]> {
    const queues = kind === undefined ? [...this.queues.values()] : [this.queueOf(kind)];
    const jobs = (await Promise.all(queues.map((queue) => queue.getFailed(0, limit - 1)))).flat();
    return jobs
      .map((job) => this.infoOf(job, 'failed'))
      .sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))
      .slice(0, limit);
  }

  onEvent(listener: (event: JobEvent) => void): void {
    this.listeners.push(listener);
  }

  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([this.redis.ping(), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), PING_TIMEOUT_MS)))]);
      return answer === 'PONG';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async idle(): Promise<void> {
    for (;;) {
      let busy = false;
      for (const queue of this.queues.values()) {
        // One atomic read per kind: two reads could both miss a job moving between states.
        busy = (await this.redis.eval(PENDING_SCRIPT, 4, queue.keys.wait, queue.keys.prioritized, queue.keys.active, queue.keys.delayed)) !== 0;
        if (busy) break;
      }
      if (!busy) return;
      await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
  }

  /** One try of one job, in a worker of this process. */
  private async process(definition: JobKindDefinition<unknown>, job: Job, token: string | undefined): Promise<void> {
    const { kind, options } = definition;
    if (options.interrupted === 'fail' && job.stalledCounter > 0) {
      // Re-delivered after its process died: never run again.
      await this.interrupted(definition, job, INTERRUPTED_BY_CRASH);
      throw new UnrecoverableError(INTERRUPTED_BY_CRASH);
    }
    const marker = job.repeatJobKey ? await this.claimSchedule(kind, job) : null;
    if (marker === false) return; // the schedule's previous firing still runs: this one is skipped

    const id = `${kind}:${job.id}`;
    const started = Date.now();
    const controller = new AbortController();
    let abandon = () => {};
    const abandoned = new Promise<Outcome>((resolve) => (abandon = () => resolve({ type: 'abandoned' })));
    let settle = () => {};
    const done = new Promise<void>((resolve) => (settle = resolve));
    this.running.set(id, { controller, done, abandon });
    const renewMarker = marker ? setInterval(() => void this.redis.pexpire(marker, this.options.lockMs).catch(() => undefined), this.options.lockMs / 3) : null;
    renewMarker?.unref();
    this.emit({ type: 'started', kind, id, waitMs: Math.max(0, started - job.timestamp - (job.opts.delay ?? 0)) });
    try {
      const outcome = await Promise.race([
        definition.handle(this.contextOf(definition, job, controller.signal)).then(
          (): Outcome => ({ type: 'completed' }),
          (error: unknown): Outcome => ({ type: 'failed', error }),
        ),
        abandoned,
      ]);
      const runMs = Date.now() - started;
      if (outcome.type === 'completed') {
        this.emit({ type: 'completed', kind, id, runMs });
        return;
      }
      if (controller.signal.aborted) {
        // Shutdown ran out of grace: another process takes it, or (fail kinds) it is recorded as interrupted.
        if (options.interrupted === 'retry') {
          await job.moveToWait(token);
          this.logger.warn(`${id} handed back at shutdown`);
          throw new WaitingError();
        }
        await this.interrupted(definition, job, INTERRUPTED_BY_SHUTDOWN);
        this.emit({ type: 'failed', kind, id, runMs, final: true, error: INTERRUPTED_BY_SHUTDOWN });
        throw new UnrecoverableError(INTERRUPTED_BY_SHUTDOWN);
      }
      const error = outcome.type === 'failed' ? outcome.error : new Error('abandoned');
      this.emit({ type: 'failed', kind, id, runMs, final: job.attemptsMade + 1 >= options.attempts, error: messageOf(error) });
      throw error instanceof Error ? error : new Error(messageOf(error));
    } finally {
      if (renewMarker) clearInterval(renewMarker);
      if (marker) await this.releaseSchedule(marker, job).catch(() => undefined);
      this.running.delete(id);
      settle();
    }
  }

  /**
   * A schedule's firing runs only while no other firing of it runs (cluster-wide): a marker key
   * holding the running job's id, renewed while it runs, expiring with a dead process's lock.
   * Returns the marker's key, or false when another firing holds it.
   */
  private async claimSchedule(kind: string, job: Job): Promise<string | false> {
    const marker = `${this.options.prefix}:${kind}:schedule-running:${job.repeatJobKey}`;
    const claimed = await this.redis.set(marker, job.id!, 'PX', this.options.lockMs, 'NX');
    if (claimed === 'OK') return marker;
    // The same job re-delivered after a stall may find its own marker.
    return (await this.redis.get(marker)) === job.id ? marker : false;
  }

  private async releaseSchedule(marker: string, job: Job): Promise<void> {
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, marker, job.id!);
  }

  private async upsertSchedule(name: string): Promise<void> {
    const { everyMs, kind, payload } = this.schedules.get(name)!;
    // Every process declaring it upserts the same scheduler: one job per tick in the cluster.
    await this.queueOf(kind).upsertJobScheduler(name, { every: everyMs }, { name: kind, data: payload });
  }

  /** Records that a job of an `interrupted: 'fail'` kind will never run again (called before the job is failed). */
  private async interrupted(definition: JobKindDefinition<unknown>, job: Job, reason: string): Promise<void> {
    const id = `${definition.kind}:${job.id}`;
    this.logger.warn(`${id}: ${reason}`);
    if (reason !== INTERRUPTED_BY_SHUTDOWN) this.emit({ type: 'failed', kind: definition.kind, id, runMs: 0, final: true, error: reason });
    if (!definition.onInterrupted) return;
    try {
      await definition.onInterrupted(this.contextOf(definition, job, new AbortController().signal), reason);
    } catch (error) {
      // Failed regardless: retrying would run the handler again, which this kind must never do.
      this.logger.error(`${id}: onInterrupted failed: ${this.redact(messageOf(error))}`);
    }
  }

  private contextOf(definition: JobKindDefinition<unknown>, job: Job, signal: AbortSignal): JobContext<unknown> {
    return {
      id: `${definition.kind}:${job.id}`,
      kind: definition.kind,
      key: job.deduplicationId ?? job.repeatJobKey ?? null,
      payload: job.data,
      attempt: job.attemptsMade + 1,
      signal,
      progress: async (data) => {
        try {
          await job.updateProgress({ ...data });
        } catch (error) {
          this.logger.warn(`${definition.kind}:${job.id}: progress not recorded: ${this.redact(messageOf(error))}`);
        }
      },
    };
  }

  private infoOf(job: Job, state: JobState): JobInfo {
    const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as Record<string, number>) : {};
    return {
      id: `${job.name}:${job.id}`,
      kind: job.name,
      key: job.deduplicationId ?? job.repeatJobKey ?? null,
      state,
      attempts: job.attemptsStarted,
      progress,
      error: state === 'completed' ? null : (job.failedReason ?? null),
      enqueuedAt: new Date(job.timestamp),
      startedAt: job.processedOn ? new Date(job.processedOn) : null,
      finishedAt: job.finishedOn && (state === 'completed' || state === 'failed') ? new Date(job.finishedOn) : null,
    };
  }

  private async shutdown(graceMs: number): Promise<void> {
    // Worker.close() stops fetching at once and resolves when its running jobs are done.
    const workersClosed = Promise.allSettled([...this.workers.values()].map((worker) => worker.close()));
    await settledWithin([workersClosed], graceMs);
    if (this.running.size > 0) {
      const overdue = [...this.running.values()];
      for (const job of overdue) job.controller.abort(new Error(INTERRUPTED_BY_SHUTDOWN));
      await settledWithin(
        overdue.map((job) => job.done),
        ABORT_WAIT_MS,
      );
      for (const job of this.running.values()) job.abandon();
    }
    await settledWithin([workersClosed], DISCONNECT_WAIT_MS);
    const queues = [...this.queues.values()];
    await settledWithin(
      queues.map((queue) => queue.close()),
      DISCONNECT_WAIT_MS,
    );
    // Without Redis, quit() would wait for a connection that never comes.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }

  private queueOf(kind: string): Queue {
    const queue = this.queues.get(kind);
    if (!queue) throw new Error(`job kind ${kind} is not defined`);
    return queue;
  }

  private emit(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`job event listener failed: ${messageOf(error)}`);
      }
    }
  }

  private logRedisError(source: string, error: Error): void {
    const message = this.redact(error.message);
    const now = Date.now();
    const key = `${source}: ${message}`;
    if (now - (this.lastErrorLog.get(key) ?? 0) < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog.set(key, now);
    this.logger.error(`${key}`);
  }

  /** Never logs the Redis password, whatever an error message quotes. */
  private redact(message: string): string {
    let password = '';
    try {
      password = decodeURIComponent(new URL(this.options.redisUrl).password);
    } catch {
      // not a URL: nothing to hide
    }
    return password ? message.split(password).join('***') : message;
  }
}

/**
 * A BullMQ worker that calls `onDeferredFailure` before failing a job BullMQ gave up on after
 * stalls (`maxStalledCount` exceeded): such a job never reaches the processor, and the lock still
 * held here keeps another process from taking it meanwhile. If this process dies first, the job
 * stalls again and the next one calls it.
 */
class JobWorker extends Worker {
  constructor(
    name: string,
    processor: (job: Job, token?: string) => Promise<void>,
    options: WorkerOptions,
    private readonly onDeferredFailure: (job: Job) => Promise<void>,
  ) {
    super(name, processor, options);
  }

  protected override async handleFailed(error: Error, job: Job, token: string, fetchNextCallback?: () => boolean, span?: Span): Promise<Job> {
    if (job.deferredFailure && error.message === job.deferredFailure) {
      // BullMQ stopped renewing the lock before calling us: renew it while onInterrupted runs.
      this.lockManager.trackJob(job.id!, token, job.processedOn ?? Date.now(), false);
      try {
        await this.onDeferredFailure(job);
      } finally {
        this.lockManager.untrackJob(job.id!);
      }
    }
    return super.handleFailed(error, job, token, fetchNextCallback, span);
  }
}

function stateOf(state: string): JobState | null {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'paused':
    case 'waiting-children':
      return 'waiting';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return null;
  }
}
