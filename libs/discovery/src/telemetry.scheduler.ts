import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOB_QUEUE, type JobQueue } from '@hybridforms/jobs';
import { MetricCapture } from './metrics/metric.capture.js';
import { ProvidersService } from './providers/providers.service.js';
import { EventCatcher } from './events/event.catcher.js';
import { TargetedRefreshQueue } from './events/targeted-refresh.queue.js';

/** Job kinds of event catching and metric capture (see DiscoveryJobs). */
export const EVENT_POLL_JOB = 'event-poll';
export const METRIC_CAPTURE_JOB = 'metric-capture';

/**
 * Event catching and metric capture across providers. The scheduled ticks only fan out: one job
 * per provider, keyed by it, so a provider is polled (or captured) by one process at a time and
 * the providers spread over the workers; one failing provider never stops the others.
 */
@Injectable()
export class TelemetryScheduler {
  private readonly logger = new Logger(TelemetryScheduler.name);

  constructor(
    private readonly providers: ProvidersService,
    private readonly catcher: EventCatcher,
    private readonly capture: MetricCapture,
    private readonly targeted: TargetedRefreshQueue,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** The event tick: a poll job per provider (each drains its provider's refresh targets after it). */
  async fanOutEventPolls(): Promise<void> {
    for (const provider of await this.providers.list()) await this.queue.enqueue(EVENT_POLL_JOB, { providerId: provider.id }, { key: provider.id });
  }

  /**
   * One provider's event poll, then its refresh targets, new or left from earlier (a restart, a
   * failed drain), become a targeted refresh — after the poll, never beside it.
   */
  async pollAndDrain(providerId: string): Promise<void> {
    await this.catcher.poll(providerId);
    await this.targeted.drain(providerId).catch((error: Error) => this.logger.warn(`targeted refresh of provider ${providerId} could not start: ${error.message}`));
  }

  /** The metric tick: a capture job per provider, all for the same moment. */
  async fanOutMetricCaptures(now = new Date()): Promise<void> {
    for (const provider of await this.providers.list()) {
      await this.queue.enqueue(METRIC_CAPTURE_JOB, { providerId: provider.id, at: now.toISOString() }, { key: provider.id });
    }
  }

  /** Polls every provider's events here and now (the demo's first catch), then drains refresh targets. */
  async pollEvents(): Promise<void> {
    const providers = await this.providers.list();
    await Promise.all(providers.map((provider) => this.catcher.poll(provider.id)));
    await this.targeted.drainAll();
  }

  /** Captures every provider's metrics here and now (the demo's first capture). */
  async captureMetrics(now = new Date()): Promise<void> {
    const providers = await this.providers.list();
    await Promise.all(providers.map((provider) => this.capture.capture(provider.id, now)));
  }
}
