import { Logger } from '@nestjs/common';
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
import { INTERRUPTED_BY_SHUTDOWN, messageOf, settledWithin } from './job-queue.helpers.js';

/** Finished jobs kept per kind for `get()` and `failed()`. */
const KEEP_COMPLETED = 100;
const KEEP_FAILED = 500;
/** After the grace period and the abort: how long handlers get to return before their jobs are failed anyway. */
const ABORT_WAIT_MS = 2_000;

interface Entry {
  id: string;
  kind: string;
  key: string | null;
  payload: unknown;
  state: JobState;
  attempts: number;
  progress: Record<string, number>;
  error: string | null;
  enqueuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When it last became runnable (enqueued, delay or backoff over): the start of its wait. */
  readyAt: number;
  timer: NodeJS.Timeout | null;
  controller: AbortController | null;
  /** The current try, while active. */
  running: Promise<void> | null;
  /** Set when shutdown gave up on it: its handler's late outcome is ignored. */
  abandoned: boolean;
}

interface Kind {
  definition: JobKindDefinition<unknown>;
  waiting: Entry[];
  delayed: Set<Entry>;
  active: Set<Entry>;
  completed: Entry[];
  failed: Entry[];
}

/**
 * Embedded mode: every job runs in this process. Per kind: FIFO, at most `concurrency` at once,
 * retries after an exponential backoff. Nothing survives a restart: a job running at shutdown
 * past the grace period fails as interrupted.
 */
export class InProcessJobQueue implements JobQueue {
  readonly implementation = 'in-process' as const;
  private readonly logger = new Logger(InProcessJobQueue.name);
  private readonly kinds = new Map<string, Kind>();
  private readonly jobs = new Map<string, Entry>();
  private readonly schedules = new Map<string, { everyMs: number; kind: string; payload: unknown; timer: NodeJS.Timeout | null }>();
  private readonly listeners: ((event: JobEvent) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private sequence = 0;
  private started = false;
  private closing = false;
  private closed: Promise<void> | null = null;

  define<P>(definition: JobKindDefinition<P>): void {
    if (this.kinds.has(definition.kind)) throw new Error(`job kind ${definition.kind} is already defined`);
    if (definition.options.concurrency < 1 || definition.options.attempts < 1) throw new Error(`job kind ${definition.kind}: concurrency and attempts must be at least 1`);
    this.kinds.set(definition.kind, {
      definition: definition as JobKindDefinition<unknown>,
      waiting: [],
      delayed: new Set(),
      active: new Set(),
      completed: [],
      failed: [],
    });
  }

  async enqueue<P>(kind: string, payload: P, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    const state = this.kindOf(kind);
    if (this.closing) throw new Error(`job queue closed: cannot enqueue ${kind}`);
    const key = options.key ?? null;
    if (key !== null) {
      const existing = this.pendingWithKey(state, key);
      if (existing) return { id: existing.id, deduplicated: true };
    }
    const now = Date.now();
    const entry: Entry = {
      id: `${kind}:${++this.sequence}`,
      kind,
      key,
      // A copy, as a broker would store it: the caller's object may change after enqueue.
      payload: payload === undefined ? undefined : JSON.parse(JSON.stringify(payload)),
      state: 'waiting',
      attempts: 0,
      progress: {},
      error: null,
      enqueuedAt: new Date(now),
      startedAt: null,
      finishedAt: null,
      readyAt: now,
      timer: null,
      controller: null,
      running: null,
      abandoned: false,
    };
    this.jobs.set(entry.id, entry);
    if (options.delayMs && options.delayMs > 0) this.delay(state, entry, options.delayMs);
    else {
      state.waiting.push(entry);
      this.pump(state);
    }
    return { id: entry.id, deduplicated: false };
  }

  async schedule<P>(name: string, everyMs: number, kind: string, payload: P): Promise<void> {
    this.kindOf(kind);
    if (everyMs <= 0) throw new Error(`schedule ${name}: everyMs must be positive`);
    const previous = this.schedules.get(name);
    if (previous?.timer) clearInterval(previous.timer);
    const schedule = { everyMs, kind, payload: payload as unknown, timer: null as NodeJS.Timeout | null };
    this.schedules.set(name, schedule);
    if (this.started && !this.closing) this.arm(name, schedule);
  }

  async start(): Promise<void> {
    if (this.started || this.closing) return;
    this.started = true;
    for (const [name, schedule] of this.schedules) this.arm(name, schedule);
    for (const state of this.kinds.values()) this.pump(state);
  }

  close(graceMs: number): Promise<void> {
    this.closed ??= this.shutdown(graceMs);
    return this.closed;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    for (const schedule of this.schedules.values()) if (schedule.timer) clearInterval(schedule.timer);
    // Delayed jobs would start after close: they stay delayed (embedded mode keeps no queue across restarts).
    for (const entry of this.jobs.values()) if (entry.timer) clearTimeout(entry.timer);
    const running = () => [...this.kinds.values()].flatMap((state) => [...state.active]);
    this.notifyIdle();
    if (running().length === 0) return;
    await settledWithin(running().map((entry) => entry.running), graceMs);
    const overdue = running();
    if (overdue.length === 0) return;
    for (const entry of overdue) entry.controller?.abort(new Error(INTERRUPTED_BY_SHUTDOWN));
    await settledWithin(overdue.map((entry) => entry.running), ABORT_WAIT_MS);
    for (const entry of running()) {
      const state = this.kinds.get(entry.kind)!;
      entry.abandoned = true;
      state.active.delete(entry);
      await this.finishFailed(state, entry, INTERRUPTED_BY_SHUTDOWN, true);
    }
    this.notifyIdle();
  }

  async get(id: string): Promise<JobInfo | null> {
    const entry = this.jobs.get(id);
    return entry ? infoOf(entry) : null;
  }

  async counts(): Promise<Record<string, JobCounts>> {
    const counts: Record<string, JobCounts> = {};
    for (const [kind, state] of this.kinds) {
      counts[kind] = { waiting: state.waiting.length, delayed: state.delayed.size, active: state.active.size, failed: state.failed.length };
    }
    return counts;
  }

  async failed(kind?: string, limit = 50): Promise<JobInfo[]> {
    const states = kind === undefined ? [...this.kinds.values()] : [this.kindOf(kind)];
    return states
      .flatMap((state) => [...state.failed].reverse())
      // Stable: jobs failed in the same millisecond stay newest first.
      .sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime())
      .slice(0, limit)
      .map(infoOf);
  }

  onEvent(listener: (event: JobEvent) => void): void {
    this.listeners.push(listener);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kindOf(kind: string): Kind {
    const state = this.kinds.get(kind);
    if (!state) throw new Error(`job kind ${kind} is not defined`);
    return state;
  }

  private pendingWithKey(state: Kind, key: string): Entry | undefined {
    return state.waiting.find((entry) => entry.key === key) ?? [...state.delayed, ...state.active].find((entry) => entry.key === key);
  }

  private arm(name: string, schedule: { everyMs: number; kind: string; payload: unknown; timer: NodeJS.Timeout | null }): void {
    schedule.timer = setInterval(() => {
      // Keyed by the schedule's name: a firing is skipped while the previous one waits or runs.
      this.enqueue(schedule.kind, schedule.payload, { key: name }).catch((error: Error) => this.logger.error(`schedule ${name}: ${error.message}`));
    }, schedule.everyMs);
    schedule.timer.unref();
  }

  private delay(state: Kind, entry: Entry, ms: number): void {
    entry.state = 'delayed';
    state.delayed.add(entry);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      state.delayed.delete(entry);
      entry.state = 'waiting';
      entry.readyAt = Date.now();
      state.waiting.push(entry);
      this.pump(state);
    }, ms);
    entry.timer.unref();
  }

  private pump(state: Kind): void {
    while (this.started && !this.closing && state.active.size < state.definition.options.concurrency && state.waiting.length > 0) {
      this.run(state, state.waiting.shift()!);
    }
  }

  private run(state: Kind, entry: Entry): void {
    const started = Date.now();
    entry.state = 'active';
    entry.attempts += 1;
    entry.startedAt = new Date(started);
    entry.controller = new AbortController();
    state.active.add(entry);
    this.emit({ type: 'started', kind: entry.kind, id: entry.id, waitMs: started - entry.readyAt });
    const context: JobContext<unknown> = {
      id: entry.id,
      kind: entry.kind,
      key: entry.key,
      payload: entry.payload,
      attempt: entry.attempts,
      signal: entry.controller.signal,
      progress: async (data) => {
        if (!entry.abandoned) entry.progress = { ...data };
      },
    };
    entry.running = (async () => {
      let failure: string | null = null;
      try {
        await state.definition.handle(context);
      } catch (error) {
        failure = messageOf(error);
      }
      if (entry.abandoned) return;
      state.active.delete(entry);
      entry.controller = null;
      const runMs = Date.now() - started;
      if (failure === null) {
        entry.state = 'completed';
        entry.error = null;
        entry.finishedAt = new Date();
        this.keep(state.completed, entry, KEEP_COMPLETED);
        this.emit({ type: 'completed', kind: entry.kind, id: entry.id, runMs });
      } else if (context.signal.aborted) {
        await this.finishFailed(state, entry, INTERRUPTED_BY_SHUTDOWN, false, runMs);
      } else if (entry.attempts < state.definition.options.attempts && !this.closing) {
        entry.error = failure;
        this.emit({ type: 'failed', kind: entry.kind, id: entry.id, runMs, final: false, error: failure });
        this.delay(state, entry, state.definition.options.backoffMs * 2 ** (entry.attempts - 1));
      } else {
        await this.finishFailed(state, entry, failure, false, runMs);
      }
      this.pump(state);
      this.notifyIdle();
    })();
  }

  /** A final failure; for a job cut short by shutdown, `interrupted: 'fail'` kinds record it first. */
  private async finishFailed(state: Kind, entry: Entry, error: string, abandoned: boolean, runMs = Date.now() - (entry.startedAt?.getTime() ?? Date.now())): Promise<void> {
    entry.state = 'failed';
    entry.error = error;
    entry.finishedAt = new Date();
    entry.controller = null;
    this.keep(state.failed, entry, KEEP_FAILED);
    this.emit({ type: 'failed', kind: entry.kind, id: entry.id, runMs, final: true, error });
    const { onInterrupted, options } = state.definition;
    if (error === INTERRUPTED_BY_SHUTDOWN && options.interrupted === 'fail' && onInterrupted) {
      const context: JobContext<unknown> = {
        id: entry.id,
        kind: entry.kind,
        key: entry.key,
        payload: entry.payload,
        attempt: entry.attempts,
        signal: AbortSignal.abort(),
        progress: async () => undefined,
      };
      await onInterrupted(context, error).catch((failure: unknown) => this.logger.error(`${entry.id}: onInterrupted failed: ${messageOf(failure)}`));
    }
    if (abandoned) this.logger.warn(`${entry.id} did not stop within ${ABORT_WAIT_MS} ms of its abort signal`);
  }

  /** Keeps the newest `limit` finished jobs of a kind, forgetting older ones. */
  private keep(list: Entry[], entry: Entry, limit: number): void {
    list.push(entry);
    while (list.length > limit) this.jobs.delete(list.shift()!.id);
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

  private isIdle(): boolean {
    // Once closing, waiting and delayed jobs will never run here: only running ones count.
    for (const state of this.kinds.values()) if ((!this.closing && (state.waiting.length > 0 || state.delayed.size > 0)) || state.active.size > 0) return false;
    return true;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function infoOf(entry: Entry): JobInfo {
  return {
    id: entry.id,
    kind: entry.kind,
    key: entry.key,
    state: entry.state,
    attempts: entry.attempts,
    progress: { ...entry.progress },
    error: entry.error,
    enqueuedAt: entry.enqueuedAt,
    startedAt: entry.startedAt,
    finishedAt: entry.finishedAt,
  };
}
