/**
 * The job queue every kind of background work goes through (refreshes, event polls, metric
 * captures, rollups, playbook runs). One interface, two implementations chosen by configuration:
 * in-process (embedded mode: one process, SQLite) and BullMQ on Redis (any number of processes).
 * Crons and API calls only enqueue; processes that run jobs call `start()`.
 */

/** How the jobs of one kind are run. */
export interface JobKindOptions {
  /** Jobs of this kind that one process runs at once. */
  concurrency: number;
  /** Tries in all, counting the first; 1 = a failure is final. */
  attempts: number;
  /** Delay before the first retry; each next retry waits twice as long. */
  backoffMs: number;
  /**
   * What becomes of a job whose process died while running it (BullMQ: its lock expired):
   * `retry` = run again by another process (the handler must be safe to re-run);
   * `fail` = never run again: `onInterrupted` is called instead, then the job is failed.
   */
  interrupted: 'retry' | 'fail';
}

/** What a handler gets for one try of one job. */
export interface JobContext<P = unknown> {
  id: string;
  kind: string;
  /** The dedupe key it was enqueued with, or null. */
  key: string | null;
  payload: P;
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the process shuts down and the grace period has run out: stop, the job is handed back. */
  signal: AbortSignal;
  /** Records progress (visible in `get()`); best effort. */
  progress(data: Record<string, number>): Promise<void>;
}

export type JobHandler<P = unknown> = (job: JobContext<P>) => Promise<void>;

export interface JobKindDefinition<P = unknown> {
  kind: string;
  options: JobKindOptions;
  handle: JobHandler<P>;
  /** For `interrupted: 'fail'` kinds: records that the job's process died (e.g. marks a run `error`). */
  onInterrupted?: (job: JobContext<P>, reason: string) => Promise<void>;
}

export interface EnqueueOptions {
  /**
   * Dedupe key: while a job of the same kind and key is waiting, delayed or running, enqueueing
   * another returns that job (`deduplicated: true`) instead of adding one.
   */
  key?: string;
  /** Run no sooner than this many milliseconds from now. */
  delayMs?: number;
}

export interface EnqueuedJob {
  id: string;
  deduplicated: boolean;
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobInfo {
  id: string;
  kind: string;
  key: string | null;
  state: JobState;
  attempts: number;
  progress: Record<string, number>;
  error: string | null;
  enqueuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
}

/** What the queue tells observers (metrics) about each try of a job run by this process. */
export type JobEvent =
  | { type: 'started'; kind: string; id: string; waitMs: number }
  | { type: 'completed'; kind: string; id: string; runMs: number }
  | { type: 'failed'; kind: string; id: string; runMs: number; final: boolean; error: string };

export interface JobQueue {
  /** `in-process` or `bullmq`. */
  readonly implementation: 'in-process' | 'bullmq';

  /** Declares a kind (every process, before enqueueing or starting). A kind is defined once. */
  define<P>(definition: JobKindDefinition<P>): void;

  /** Adds a job of a defined kind. The payload must be JSON. */
  enqueue<P>(kind: string, payload: P, options?: EnqueueOptions): Promise<EnqueuedJob>;

  /**
   * A schedule: every `everyMs` one job of `kind` with `payload` is enqueued, once per cluster
   * however many processes declare it (declaring it again replaces it). A firing is skipped while
   * the schedule's previous job is still waiting or running. Only processes that `start()` fire.
   */
  schedule<P>(name: string, everyMs: number, kind: string, payload: P): Promise<void>;

  /** Starts running jobs of every defined kind in this process (and firing schedules). */
  start(): Promise<void>;

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then aborts their signals and
   * hands them back (BullMQ: to another process; in-process: they fail as interrupted), and closes.
   */
  close(graceMs: number): Promise<void>;

  get(id: string): Promise<JobInfo | null>;
  counts(): Promise<Record<string, JobCounts>>;
  /** The newest failed jobs, newest first. */
  failed(kind?: string, limit?: number): Promise<JobInfo[]>;

  /** Observers of this process's job tries (metrics). */
  onEvent(listener: (event: JobEvent) => void): void;

  /** Distributed mode: whether the broker answers (health). In-process: always true. */
  ping(): Promise<boolean>;

  /** Resolves once no job of a defined kind is waiting, delayed or running (tests, the demo's first refresh). */
  idle(): Promise<void>;
}

export const JOB_QUEUE = Symbol('JOB_QUEUE');
