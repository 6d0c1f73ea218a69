import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, RUNS_JOBS, type AppConfig } from '@hybridforms/core';
import { JOB_QUEUE, type JobKindOptions, type JobQueue } from '@hybridforms/jobs';
import { TARGETED_REFRESH_JOB, TargetedRefreshQueue } from './events/targeted-refresh.queue.js';
import { MetricCapture } from './metrics/metric.capture.js';
import { RefreshScheduler } from './refresh/refresh.scheduler.js';
import { RefreshRunner } from './refresh/refresh.runner.js';
import { REFRESH_JOB, RefreshService } from './refresh/refresh.service.js';
import { EVENT_POLL_JOB, METRIC_CAPTURE_JOB, TelemetryScheduler } from './telemetry.scheduler.js';

const REFRESH_TICK_JOB = 'refresh-tick';
const EVENT_TICK_JOB = 'event-poll-tick';
const METRIC_TICK_JOB = 'metric-capture-tick';

/** A tick or a poll: cheap to run again, and the next firing retries anyway. */
const ONCE: Omit<JobKindOptions, 'concurrency'> = { attempts: 1, backoffMs: 0, interrupted: 'retry' };

/**
 * The discovery side of the job queue: the kinds it runs and the schedules that feed them.
 * - `refresh`: runs one refresh; a refresh whose worker died is taken over by another (its saves
 *   are idempotent upserts and nothing is archived before its end).
 * - `refresh-tick`, `event-poll-tick`, `metric-capture-tick`: fired once per cluster per tick,
 *   they only fan out.
 * - `event-poll`, `metric-capture`, `targeted-refresh`: one per provider at a time (keyed).
 */
@Injectable()
export class DiscoveryJobs implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(DiscoveryJobs.name);

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly refreshes: RefreshService,
    private readonly runner: RefreshRunner,
    private readonly refreshScheduler: RefreshScheduler,
    private readonly telemetry: TelemetryScheduler,
    private readonly capture: MetricCapture,
    private readonly targeted: TargetedRefreshQueue,
  ) {}

  onModuleInit(): void {
    type ProviderJob = { providerId: string };
    this.queue.define<{ refreshId: string }>({
      kind: REFRESH_JOB,
      options: { ...ONCE, concurrency: this.config.refresh.concurrency },
      // A job the queue hands over again (its worker died) finds the refresh still `running`: take it over.
      handle: async (job) => {
        const refresh = await this.runner.run(job.payload.refreshId, { takeOver: true, signal: job.signal });
        // Let go of at shutdown: the job must not count as done, so the queue gives it to another process.
        if (job.signal.aborted && refresh.status === 'running') throw new Error(`refresh ${refresh.id} handed back unfinished`);
      },
    });
    this.queue.define({ kind: REFRESH_TICK_JOB, options: { ...ONCE, concurrency: 1 }, handle: () => this.refreshScheduler.tick().then(() => undefined) });
    this.queue.define({ kind: EVENT_TICK_JOB, options: { ...ONCE, concurrency: 1 }, handle: () => this.telemetry.fanOutEventPolls() });
    this.queue.define({ kind: METRIC_TICK_JOB, options: { ...ONCE, concurrency: 1 }, handle: () => this.telemetry.fanOutMetricCaptures() });
    this.queue.define<ProviderJob>({
      kind: EVENT_POLL_JOB,
      options: { ...ONCE, concurrency: 4 },
      handle: (job) => this.telemetry.pollAndDrain(job.payload.providerId),
    });
    this.queue.define<ProviderJob & { at: string }>({
      kind: METRIC_CAPTURE_JOB,
      options: { ...ONCE, concurrency: 2 },
      handle: async (job) => {
        await this.capture.capture(job.payload.providerId, new Date(job.payload.at));
      },
    });
    this.queue.define<ProviderJob>({
      kind: TARGETED_REFRESH_JOB,
      // No retries of its own: the targets stay in the database and every event tick drains them again.
      options: { ...ONCE, concurrency: 2 },
      handle: async (job) => {
        await this.targeted.drain(job.payload.providerId);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runsJobs) return;
    if (this.queue.implementation === 'in-process') {
      // Embedded mode: this process is the only one, so whatever was running died with the last one,
      // and the queue it was in died with it.
      const failed = await this.runner.failAbandoned(true);
      if (failed > 0) this.logger.warn(`${failed} refresh(es) interrupted by the last stop marked failed`);
    }
    await this.refreshes.redispatchQueued();
    await this.queue.schedule(REFRESH_TICK_JOB, this.config.refresh.schedulerTickSeconds * 1000, REFRESH_TICK_JOB, {});
    await this.queue.schedule(EVENT_TICK_JOB, this.config.events.pollIntervalSeconds * 1000, EVENT_TICK_JOB, {});
    await this.queue.schedule(METRIC_TICK_JOB, this.config.metrics.captureIntervalSeconds * 1000, METRIC_TICK_JOB, {});
  }
}
