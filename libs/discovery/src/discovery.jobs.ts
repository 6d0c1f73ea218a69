import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { RUNS_JOBS, type AppConfig } from '@hybridforms/core';
import { HandlesJob, JOB_QUEUE, type JobContext, type JobKindOptions, type JobQueue } from '@hybridforms/jobs';
import { TARGETED_REFRESH_JOB, TargetedRefreshQueue } from './events/targeted-refresh.queue.js';
import { MetricCapture } from './metrics/metric.capture.js';
import { RefreshScheduler } from './refresh/refresh.scheduler.js';
import { RefreshRunner } from './refresh/refresh.runner.js';
import { REFRESH_JOB, RefreshService } from './refresh/refresh.service.js';
import { EVENT_POLL_JOB, METRIC_CAPTURE_JOB, TelemetryScheduler } from './telemetry.scheduler.js';

export const REFRESH_TICK_JOB = 'refresh-tick';
export const EVENT_TICK_JOB = 'event-poll-tick';
export const METRIC_TICK_JOB = 'metric-capture-tick';

/** A tick or a poll: cheap to run again, and the next firing retries anyway. */
const ONCE: Omit<JobKindOptions, 'concurrency'> = { attempts: 1, backoffMs: 0, interrupted: 'retry' };

type ProviderJob = { providerId: string };

/**
 * The discovery side of the job queue: the kinds it runs (the ticks are fired by the runtime's
 * schedule table, once per cluster).
 * - `refresh`: runs one refresh; a refresh whose worker died is taken over by another (its saves
 *   are idempotent upserts and nothing is archived before its end).
 * - `refresh-tick`, `event-poll-tick`, `metric-capture-tick`: they only fan out.
 * - `event-poll`, `metric-capture`, `targeted-refresh`: one per provider at a time (keyed).
 */
@Injectable()
export class DiscoveryJobs implements OnApplicationBootstrap {
  private readonly logger = new Logger(DiscoveryJobs.name);

  constructor(
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(RUNS_JOBS) private readonly runsJobs: boolean,
    private readonly refreshes: RefreshService,
    private readonly runner: RefreshRunner,
    private readonly refreshScheduler: RefreshScheduler,
    private readonly telemetry: TelemetryScheduler,
    private readonly capture: MetricCapture,
    private readonly targeted: TargetedRefreshQueue,
  ) {}

  // A job the queue hands over again (its worker died) finds the refresh still `running`: take it over.
  @HandlesJob(REFRESH_JOB, (config: AppConfig) => ({ ...ONCE, concurrency: config.refresh.concurrency }))
  async refresh(job: JobContext<{ refreshId: string }>): Promise<void> {
    const refresh = await this.runner.run(job.payload.refreshId, { takeOver: true, signal: job.signal });
    // Let go of at shutdown: the job must not count as done, so the queue gives it to another process.
    if (job.signal.aborted && refresh.status === 'running') throw new Error(`refresh ${refresh.id} handed back unfinished`);
  }

  @HandlesJob(REFRESH_TICK_JOB, { ...ONCE, concurrency: 1 })
  async refreshTick(): Promise<void> {
    await this.refreshScheduler.tick();
  }

  @HandlesJob(EVENT_TICK_JOB, { ...ONCE, concurrency: 1 })
  async eventPollTick(): Promise<void> {
    await this.telemetry.fanOutEventPolls();
  }

  @HandlesJob(METRIC_TICK_JOB, { ...ONCE, concurrency: 1 })
  async metricCaptureTick(): Promise<void> {
    await this.telemetry.fanOutMetricCaptures();
  }

  @HandlesJob(EVENT_POLL_JOB, { ...ONCE, concurrency: 4 })
  async eventPoll(job: JobContext<ProviderJob>): Promise<void> {
    await this.telemetry.pollAndDrain(job.payload.providerId);
  }

  @HandlesJob(METRIC_CAPTURE_JOB, { ...ONCE, concurrency: 2 })
  async metricCapture(job: JobContext<ProviderJob & { at: string }>): Promise<void> {
    await this.capture.capture(job.payload.providerId, new Date(job.payload.at));
  }

  // No retries of its own: the targets stay in the database and every event tick drains them again.
  @HandlesJob(TARGETED_REFRESH_JOB, { ...ONCE, concurrency: 2 })
  async targetedRefresh(job: JobContext<ProviderJob>): Promise<void> {
    await this.targeted.drain(job.payload.providerId);
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
  }
}
