import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@hybridforms/core';
import { ProviderEntity } from '@hybridforms/persistence';
import { RefreshService } from './refresh.service.js';

const TICK = 'discovery:full-refresh-tick';

/**
 * Scheduled discovery. The tick only fans out: it lists the providers whose interval has run out
 * and asks for one full refresh each, each with its own error handling, so one failing provider
 * never stops the others.
 */
@Injectable()
export class RefreshScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RefreshScheduler.name);
  private ticking = false;

  constructor(
    @InjectRepository(ProviderEntity) private readonly providers: Repository<ProviderEntity>,
    private readonly refreshes: RefreshService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Embedded mode: this process is the only one, so whatever was running died with the last one.
    await this.refreshes.failAbandoned(true);
    await this.refreshes.redispatchQueued();
    const interval = setInterval(() => void this.tick(), this.config.refresh.schedulerTickSeconds * 1000);
    interval.unref();
    this.scheduler.addInterval(TICK, interval);
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', TICK)) this.scheduler.deleteInterval(TICK);
  }

  /** One pass: fail abandoned refreshes, then request a full refresh of every provider that is due. */
  async tick(now = new Date()): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    const started: string[] = [];
    try {
      await this.refreshes.failAbandoned(false);
      for (const provider of await this.providers.find()) {
        if (!this.isDue(provider, now)) continue;
        try {
          const { refresh, joined } = await this.refreshes.request(provider.id, { trigger: 'schedule' });
          if (!joined) started.push(refresh.id);
        } catch (error) {
          this.logger.error(`scheduled refresh of provider ${provider.name} could not start: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      this.logger.error(`scheduler tick failed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
    return started;
  }

  isDue(provider: ProviderEntity, now: Date): boolean {
    const interval = (provider.refreshIntervalSeconds ?? this.config.refresh.defaultIntervalSeconds) * 1000;
    return !provider.lastFullRefreshAt || provider.lastFullRefreshAt.getTime() + interval <= now.getTime();
  }
}
