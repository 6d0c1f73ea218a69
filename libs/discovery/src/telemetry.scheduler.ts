import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, scheduleEvery, type AppConfig } from '@hybridforms/core';
import { MetricCapture } from './metrics/metric.capture.js';
import { ProvidersService } from './providers/providers.service.js';
import { EventCatcher } from './events/event.catcher.js';
import { TargetedRefreshQueue } from './events/targeted-refresh.queue.js';

const EVENT_TICK = 'discovery:event-poll-tick';
const METRIC_TICK = 'discovery:metric-capture-tick';

/**
 * Scheduled event catching and metric capture. Each tick only fans out: one poll (or capture)
 * per provider, each with its own error handling, so one failing provider never stops the others.
 */
@Injectable()
export class TelemetryScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TelemetryScheduler.name);

  constructor(
    private readonly providers: ProvidersService,
    private readonly catcher: EventCatcher,
    private readonly capture: MetricCapture,
    private readonly targeted: TargetedRefreshQueue,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    scheduleEvery(this.scheduler, EVENT_TICK, this.config.events.pollIntervalSeconds, () => this.pollEvents(), this.logger);
    scheduleEvery(this.scheduler, METRIC_TICK, this.config.metrics.captureIntervalSeconds, () => this.captureMetrics(), this.logger);
  }

  onModuleDestroy(): void {
    for (const name of [EVENT_TICK, METRIC_TICK]) if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
  }

  /** Polls every provider's events, then drains refresh targets left from earlier (a restart). */
  async pollEvents(): Promise<void> {
    const providers = await this.providers.list();
    await Promise.all(providers.map((provider) => this.catcher.poll(provider.id)));
    await this.targeted.drainAll();
  }

  async captureMetrics(now = new Date()): Promise<void> {
    const providers = await this.providers.list();
    await Promise.all(providers.map((provider) => this.capture.capture(provider.id, now)));
  }
}
